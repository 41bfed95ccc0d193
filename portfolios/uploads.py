"""Checking an uploaded evidence file: its name, size and type (by content), and its hash.

Files are read in chunks, never whole: a 1 GB video streams from Django's temporary file
through the hash and into storage without being held in memory.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from portal.refusals import Refused

# What the portal accepts, decided by the file's content, never by its name.
ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "image/heic": "HEIC image (iPhone photo)",
    "video/mp4": "MP4 video",
    "video/quicktime": "QuickTime video",
    "video/webm": "WebM video",
    "video/3gpp": "3GP video",
    "audio/mpeg": "MP3 audio",
    "audio/mp4": "M4A audio",
    "audio/x-m4a": "M4A audio",
    "audio/x-wav": "WAV audio",
    "audio/ogg": "Ogg audio",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
    "application/msword": "Word 97-2003 document",
    "text/plain": "Plain text",
}
# Types the review page previews: pictures, sound and video in place, PDFs drawn by the sandboxed
# PDF viewer (docs/decisions/0014-serving-files.md); everything else is a download only.
INLINE_TYPES = ("image/", "audio/", "video/", "application/pdf")

EMPTY = "{name} is empty: choose the file again, or a different one."
TOO_LARGE = "{name} is {size}, over the limit of {limit}."
NOT_ALLOWED = (
    "{name} is not a type of file the portal accepts (it reads as {found}). Accepted: "
    "documents (PDF, Word, OpenDocument, text), images, audio and video."
)
BAD_NAME = "The file name {name!r} contains folder names or control characters: rename it."
HEAD = 8192


class UploadRejected(Refused):
    """A file the portal does not keep: empty, too large, of a kind it does not take."""


@dataclass(frozen=True)
class Inspected:
    content_type: str
    sha256: str
    size: int


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"


def check_name(name: str) -> None:
    if (
        "/" in name
        or "\\" in name
        or name in {".", ".."}
        or any(unicodedata.category(ch) == "Cc" for ch in name)
    ):
        raise UploadRejected(BAD_NAME.format(name=name))


def sniff(head: bytes) -> str | None:
    """The type the content says it is; plain UTF-8 text without NULs counts as text."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 3:
            return None
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script")):
        return "text/html"  # refused: could run in a browser
    return "text/plain"


def inspect(upload: UploadedFile) -> Inspected:
    """Check one uploaded file, reading it once in chunks. Raises UploadRejected with a message."""
    name = upload.name or ""
    check_name(name)
    size = upload.size or 0
    if size == 0:
        raise UploadRejected(EMPTY.format(name=name))
    limit = settings.EVIDENCE_MAX_BYTES
    if size > limit:
        raise UploadRejected(
            TOO_LARGE.format(name=name, size=human_size(size), limit=human_size(limit))
        )
    digest, head = hashlib.sha256(), b""
    for chunk in upload.chunks():
        if len(head) < HEAD:
            head += chunk[: HEAD - len(head)]
        digest.update(chunk)
    upload.seek(0)
    found = sniff(head)
    if found not in ALLOWED_TYPES:
        raise UploadRejected(NOT_ALLOWED.format(name=name, found=found or "unknown binary data"))
    return Inspected(found, digest.hexdigest(), size)
