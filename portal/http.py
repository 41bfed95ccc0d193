import logging
import re
import unicodedata
from collections.abc import Callable, Iterable

from django.core.files import File
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from portal.models import Role, User

log = logging.getLogger(__name__)


class PortalRequest(HttpRequest):
    """The request a logged-in view receives: its user is a person, and the middleware has put
    their roles, and the role they are acting in, on it."""

    user: User  # type: ignore[assignment]
    roles: list[Role]
    role: Role | None


# The extension a download is named with, for each type the portal serves, by content. The
# first is the one given; the others are kept when the sender already used them.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/heic": (".heic",),
    "video/mp4": (".mp4", ".m4v"),
    "video/quicktime": (".mov",),
    "video/webm": (".webm",),
    "video/3gpp": (".3gp",),
    "audio/mpeg": (".mp3",),
    "audio/mp4": (".m4a",),
    "audio/x-m4a": (".m4a",),
    "audio/x-wav": (".wav",),
    "audio/ogg": (".ogg", ".oga"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "application/msword": (".doc",),
    "text/plain": (".txt",),
    "text/csv": (".csv",),
}
UNKNOWN_EXTENSION = ".bin"
# Characters no file name should carry on any system people download to (Windows is the
# strictest), besides folders and control characters.
NOT_IN_NAMES = re.compile(r'[<>:"/\\|?*\'`;]')
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{device}{n}" for device in ("COM", "LPT") for n in "123456789"
}


def download_name(original: str, content_type: str, fallback: str = "file") -> str:
    """The name a file downloads under: the person's own name for it, made harmless, ending in
    the extension of the type its content was found to be. A text file sent as `notes.bat`
    downloads as `notes.txt`, a JPEG sent as `x.html` as `x.jpg`. Only the last folder-free part
    of the name is kept; control and format characters (a right-to-left override can disguise
    an extension), quotes and characters Windows refuses are dropped or replaced."""
    extensions = EXTENSIONS.get(content_type, (UNKNOWN_EXTENSION,))
    name = re.split(r"[/\\]", original)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp"})
    name = NOT_IN_NAMES.sub("_", name)
    name = " ".join(name.split())
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem.strip(" ."):
        stem, suffix = name, ""
    extension = f".{suffix}" if suffix and f".{suffix.lower()}" in extensions else extensions[0]
    stem = stem.strip(" .")[:100].strip(" .") or fallback
    if stem.split(".")[0].upper() in WINDOWS_DEVICES:
        stem = f"{stem}_"
    return f"{stem}{extension}"


FILE_MISSING = (
    "This file is missing from the portal's storage, so it cannot be shown. Nothing was "
    "changed; the fault is logged for the portal's administrators."
)


def file_missing(request: HttpRequest) -> HttpResponse:
    """The answer to someone allowed a stored file that is missing from storage: not found, and
    said so. The fault is the portal's, not theirs; the caller logs which file it was."""
    return render(request, "portal/file_missing.html", {"message": FILE_MISSING}, status=404)


def open_stored(request: HttpRequest, file: File, what: str) -> File | HttpResponse:
    """A stored file opened for reading, or, if it is missing from storage, the missing-file
    page (`file_missing`) with the fault logged as `what` and the file's name. Open it before
    recording that it was seen or downloaded, so that a missing file records nothing."""
    try:
        return file.open("rb")
    except FileNotFoundError:
        log.error("%s is missing from storage (%s)", what, file.name)
        return file_missing(request)


def is_stored(file: FieldFile, what: str) -> bool:
    """Whether a stored file is there to be downloaded; one missing from storage is logged as
    `open_stored` logs it. For a page offering one file, never for each row of a list (a call
    to storage each). A storage that fails to answer (an S3 fault, a timeout) is taken to hold
    it, logged: the page stays up with its link, whose download says what went wrong."""
    if not file.name:
        log.error("%s has no file in storage", what)
        return False
    try:
        if file.storage.exists(file.name):
            return True
    except Exception:  # any storage backend's fault, not only the file system's
        log.exception("Could not ask storage whether %s is there (%s)", what, file.name)
        return True
    log.error("%s is missing from storage (%s)", what, file.name)
    return False


def private_pdf(request: HttpRequest, file: File, filename: str) -> HttpResponseBase:
    """A stored PDF as a download for the one person allowed it: never cached on the way. One
    missing from storage is said, not found, and logged (`open_stored`), not a server error."""
    content = open_stored(request, file, f"Stored PDF downloaded as {filename}")
    if isinstance(content, HttpResponse):
        return content
    response = FileResponse(
        content,
        as_attachment=True,
        filename=download_name(filename, "application/pdf"),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Digits 0-9 only, and few enough for a database id: "²" passes str.isdigit() but not int(),
# and thirty digits pass int() but overflow PostgreSQL's bigint.
AN_ID = re.compile(r"[0-9]{1,18}")


def posted_id(value: str | None) -> int:
    """An id sent by a form or address; anything else matches nothing (0), never an error."""
    return int(value) if value and AN_ID.fullmatch(value) else 0


def posted_ids(values: Iterable[str]) -> set[int]:
    return {posted_id(v) for v in values} - {0}


def posted_text(value: str | None) -> str:
    """Text sent by a form field read without a Django form (whose fields refuse NUL
    themselves): without NUL characters, which PostgreSQL refuses in text."""
    return (value or "").replace("\x00", "")


def search_text(value: str | None, limit: int = 100) -> str:
    """What a person typed into a search box, as the database can take it: trimmed, capped,
    and without NUL characters (PostgreSQL refuses them in text)."""
    return (value or "").replace("\x00", "").strip()[:limit]


def token_links(request: HttpRequest, url_name: str) -> Callable[[str], str]:
    """For e-mails sent while answering this request: the full address of the page `url_name`
    for a token, at the host the sender reached the portal by (ALLOWED_HOSTS vets it)."""
    return lambda token: request.build_absolute_uri(reverse(url_name, args=[token]))
