"""ZIP archives of records and stored files, written a chunk at a time and hashed on the way.

Both the subject-access export (privacy, on the roof) and the portfolio pack an awarding
organisation takes (certification) write ZIPs of stored evidence that can run to gigabytes, so
the helpers they share live here, on the ground floor: nothing is ever held whole in memory. A
ZIP is written either to a file (`zipfile.ZipFile` over it, members added with `write_member`)
or to nobody (`ZipStream`), its bytes taken as they are made and sent on, for a download that
starts at once and needs no disk.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import zipfile
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from portal.http import download_name

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Part:
    """One member of an archive as its manifest lists it."""

    path: str
    what: str
    size: int
    sha256: str
    stored_sha256: str | None = None  # evidence: the hash taken at upload

    @property
    def matches_stored(self) -> bool:
        return self.stored_sha256 is None or self.stored_sha256 == self.sha256

    def listed(self) -> dict[str, Any]:
        """As a manifest lists it: evidence with the hash taken at upload and whether it
        matches the bytes written; anything else with its own hash only."""
        listed: dict[str, Any] = {
            "path": self.path,
            "what": self.what,
            "size": self.size,
            "sha256": self.sha256,
        }
        if self.stored_sha256:
            listed |= {
                "stored_sha256": self.stored_sha256,
                "matches_stored_sha256": self.matches_stored,
            }
        return listed


@dataclass(frozen=True)
class StoredFile:
    """A stored file to copy into an archive: its path there, where it is stored, and what it
    is (with the hash taken at upload, for evidence)."""

    path: str
    storage_name: str
    what: str
    stored_sha256: str | None = None


def safe_name(original: str, content_type: str) -> str:
    """A name that is safe to open on any computer: no folders, only letters, digits, dashes
    and underscores, and the extension of the type the portal detected at upload (a PNG called
    x.html becomes x.png, notes.bat holding text becomes notes.txt). The extension is the one
    the file downloads with from the portal (`portal.http.download_name` decides it), in lower
    case; the name itself is plainer than a download's, for a folder of many files."""
    base = re.split(r"[/\\]", original)[-1]
    stem = base.rpartition(".")[0] if "." in base else base
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_stem).strip("-_")[:60] or "file"
    extension = PurePosixPath(download_name(base, content_type)).suffix.lower()
    return f"{stem}{extension}"


def to_json(data: Any) -> bytes:
    text = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    return (text + "\n").encode()


def member_info(path: str, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    return info


def write_member(
    archive: zipfile.ZipFile, path: str, chunks: Iterable[bytes], compress: bool, what: str = ""
) -> Part:
    """Write one member from chunks, hashing them on the way; nothing is held whole."""
    digest, size = hashlib.sha256(), 0
    with archive.open(member_info(path, compress), "w", force_zip64=True) as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return Part(path, what, size, digest.hexdigest())


def hash_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Taken:
    """Where a streamed ZIP is written: bytes kept until the stream takes them. It has no
    `tell` or `seek`, so `zipfile` writes each member's sizes after its data, as it must for
    a stream."""

    def __init__(self) -> None:
        self.pending = bytearray()

    def write(self, data: bytes) -> int:
        self.pending += data
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self.pending)
        self.pending.clear()
        return data


class ZipStream:
    """A ZIP made as it is sent: each member a generator of the ZIP's bytes, which returns the
    member's `Part` (`part = yield from stream.member(...)`). At most a chunk and a member's
    header are held at a time."""

    def __init__(self) -> None:
        self._out = _Taken()
        self._archive = zipfile.ZipFile(self._out, "w", allowZip64=True)

    def member(
        self, path: str, chunks: Iterable[bytes], compress: bool, what: str = ""
    ) -> Generator[bytes, None, Part]:
        digest, size = hashlib.sha256(), 0
        with self._archive.open(member_info(path, compress), "w", force_zip64=True) as out:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
                yield self._out.take()
        yield self._out.take()
        return Part(path, what, size, digest.hexdigest())

    def close(self) -> Iterator[bytes]:
        """The ZIP's central directory: the last bytes of the stream."""
        self._archive.close()
        yield self._out.take()
