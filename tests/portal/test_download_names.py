"""Files download under the person's own name for them, made harmless, with the extension of the
type their content was found to be."""

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory

from portal.http import download_name, private_pdf

JPEG = "image/jpeg"
TEXT = "text/plain"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("sent", "content_type", "served"),
    [
        ("x.html", JPEG, "x.jpg"),
        ("evidence.hta", TEXT, "evidence.txt"),
        ("notes.bat", TEXT, "notes.txt"),
        ("run.exe", PDF, "run.pdf"),
        ("drawing.svg", "image/png", "drawing.png"),
        ("report", PDF, "report.pdf"),
        ("photo.JPEG", JPEG, "photo.JPEG"),
        ("photo.jpeg", JPEG, "photo.jpeg"),
        ("holiday.exe.jpg", JPEG, "holiday.exe.jpg"),
        ("cv.pdf.hta", TEXT, "cv.pdf.txt"),
        ("../../etc/passwd", TEXT, "passwd.txt"),
        ("C:\\Users\\leo\\cv.docx", DOCX, "cv.docx"),
        ("say \"hi\" to 'them'.pdf", PDF, "say _hi_ to _them_.pdf"),
        ("a<b>c|d?e*f:g.pdf", PDF, "a_b_c_d_e_f_g.pdf"),
        ("invoice\u202efdp.exe", PDF, "invoicefdp.pdf"),
        ("line\r\nbreak\x00.txt", TEXT, "linebreak.txt"),
        ("  spaced   out  .txt", TEXT, "spaced out.txt"),
        (".bashrc", TEXT, "bashrc.txt"),
        ("...", PDF, "file.pdf"),
        ("", PDF, "file.pdf"),
        ("con.txt", TEXT, "con_.txt"),
        ("LPT1.pdf", PDF, "LPT1_.pdf"),
        ("archive.tar.gz", "application/x-unknown", "archive.tar.bin"),
        ("Évaluation été.pdf", PDF, "Évaluation été.pdf"),
    ],
)
def test_the_served_name_ends_in_the_detected_type_and_carries_nothing_harmful(
    sent, content_type, served
):
    assert download_name(sent, content_type) == served


def test_a_long_name_is_cut_but_keeps_its_extension():
    name = download_name("x" * 300 + ".hta", TEXT)
    assert name == "x" * 100 + ".txt"


def test_private_pdfs_download_as_pdf_whatever_name_they_are_given():
    stored = ContentFile(b"%PDF-1.4\n", name="stored.pdf")
    response = private_pdf(RequestFactory().get("/"), stored, 'a"b/../report.html')
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
