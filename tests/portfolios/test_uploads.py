import pytest

from portfolios.uploads import (
    BAD_NAME,
    EMPTY,
    NOT_ALLOWED,
    TOO_LARGE,
    UploadRejected,
    inspect,
)
from tests.portfolios.files import MP4, pdf, png, text, upload


@pytest.mark.parametrize(
    ("made", "content_type"),
    [
        (png(), "image/png"),
        (pdf(), "application/pdf"),
        (text(), "text/plain"),
        (upload("clip.mp4", MP4, "video/mp4"), "video/mp4"),
    ],
)
def test_accepted_files_are_typed_by_their_content(made, content_type):
    assert inspect(made).content_type == content_type


def test_a_file_is_hashed_with_sha256():
    import hashlib

    made = text(body="exactly this")
    assert inspect(made).sha256 == hashlib.sha256(b"exactly this").hexdigest()


def test_the_extension_does_not_decide_the_type():
    # A PNG named .pdf is a PNG; an HTML page named .pdf is refused.
    assert inspect(png("fake.pdf")).content_type == "image/png"
    with pytest.raises(UploadRejected) as rejected:
        inspect(upload("page.pdf", b"<!DOCTYPE html><script>alert(1)</script>", "application/pdf"))
    assert str(rejected.value) == NOT_ALLOWED.format(name="page.pdf", found="text/html")


def test_svg_and_executables_are_refused():
    with pytest.raises(UploadRejected):
        inspect(
            upload("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "image/svg+xml")
        )
    with pytest.raises(UploadRejected, match="is not a type of file the portal accepts"):
        inspect(
            upload("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "image/png")
        )


def test_an_empty_file_is_refused():
    with pytest.raises(UploadRejected) as rejected:
        inspect(upload("blank.pdf", b""))
    assert str(rejected.value) == EMPTY.format(name="blank.pdf")


def test_a_file_over_the_limit_is_refused(settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(UploadRejected) as rejected:
        inspect(pdf(extra=b"x" * 2000))
    assert str(rejected.value) == TOO_LARGE.format(name="record.pdf", size="2.0 KB", limit="1.0 KB")


@pytest.mark.parametrize(
    "name", ["..\\..\\boot.ini", "a\\b.txt", "bad\x07name.txt", "new\nline.txt"]
)
def test_names_with_folders_or_control_characters_are_refused(name):
    # Django reduces "dir/name" to "name" before the portal sees it; the rest is checked here.
    made = text()
    made.name = name
    with pytest.raises(UploadRejected) as rejected:
        inspect(made)
    assert str(rejected.value) == BAD_NAME.format(name=name)
