"""Small real files of each kind, made in memory, for upload tests."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def png(name: str = "photo.png", extra: bytes = b""):
    return upload(name, PNG + extra, "image/png")


def pdf(name: str = "record.pdf", extra: bytes = b""):
    return upload(name, PDF + extra, "application/pdf")


def text(name: str = "notes.txt", body: str = "What I did at work today.\n"):
    return upload(name, body.encode(), "text/plain")


def big_buffer(size: int) -> io.BytesIO:
    return io.BytesIO(MP4 + b"\x00" * (size - len(MP4)))
