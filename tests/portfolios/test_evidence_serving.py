"""How evidence files are served: named by their detected type, never able to run, and PDFs
previewed on the review page through the sandboxed viewer rather than opened in a frame."""

import html
import logging
import re

import pytest
from django.urls import reverse

from portal.http import FILE_MISSING
from tests.portfolios.files import PNG, pdf, png, upload
from tests.portfolios.test_evidence import add
from tests.writes import watch_writes, written

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64


@pytest.fixture
def hostile(registration, learner):
    """Files whose names say one thing and whose content another."""
    evidence = add(
        registration,
        learner,
        [
            upload("x.html", JPEG),
            upload("evidence.hta", b"<hta:application>\nmsgbox 1\n"),
            upload("notes.bat", b"@echo off\r\ndel *.*\r\n"),
            upload("photo.svg", PNG),
            pdf("log.exe"),
        ],
    )
    return {f.original_name: f for f in evidence.files.all()}


def served(client, stored, **query):
    return client.get(reverse("portfolios:evidence-file", args=[stored.pk]), query)


@pytest.mark.parametrize(
    ("sent", "disposition"),
    [
        ("x.html", 'inline; filename="x.jpg"'),
        ("evidence.hta", 'attachment; filename="evidence.txt"'),
        ("notes.bat", 'attachment; filename="notes.txt"'),
        ("photo.svg", 'inline; filename="photo.png"'),
        ("log.exe", 'attachment; filename="log.pdf"'),
    ],
)
def test_a_file_is_served_under_the_extension_of_its_detected_type(
    client, learner, hostile, sent, disposition
):
    client.force_login(learner)
    assert served(client, hostile[sent])["Content-Disposition"] == disposition


def test_asked_to_download_a_picture_comes_as_an_attachment_named_by_its_type(
    client, learner, hostile
):
    client.force_login(learner)
    response = served(client, hostile["x.html"], download="1")
    assert response["Content-Disposition"] == 'attachment; filename="x.jpg"'


def test_the_pages_still_show_the_learner_s_own_names(client, learner, hostile):
    client.force_login(learner)
    evidence_id = hostile["x.html"].evidence_id
    page = client.get(reverse("portfolios:evidence-detail", args=[evidence_id])).content.decode()
    for name in ("x.html", "evidence.hta", "notes.bat", "photo.svg", "log.exe"):
        assert name in page


@pytest.mark.parametrize("sent", ["x.html", "evidence.hta", "log.exe"])
def test_no_file_can_run_be_sniffed_framed_or_embedded_elsewhere(client, learner, hostile, sent):
    client.force_login(learner)
    response = served(client, hostile[sent])
    assert (
        response["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cache-Control"] == "private, no-store"


def test_the_review_page_previews_a_pdf_in_the_sandboxed_viewer(
    client, registration, assessor, learner
):
    evidence = add(registration, learner, [pdf(), png()])
    a_pdf = evidence.files.get(content_type="application/pdf")
    client.force_login(assessor)
    page = client.get(reverse("assessment:evidence-review", args=[evidence.pk])).content.decode()
    frames = re.findall(r"<iframe[^>]*>", page)
    assert len(frames) == 1
    assert 'sandbox="allow-scripts"' in frames[0]  # never allow-same-origin
    assert f'src="{reverse("pdf-viewer")}"' in frames[0]
    assert f'data-pdf="{reverse("portfolios:evidence-file", args=[a_pdf.pk])}"' in frames[0]
    assert 'src="/static/js/pdf-preview.js"' in page


def test_a_file_missing_from_storage_is_not_found_said_so_and_logged(
    client, registration, learner, caplog
):
    stored = add(registration, learner, [pdf()]).files.get()
    stored.file.storage.delete(stored.file.name)
    client.force_login(learner)
    watch_writes()
    with caplog.at_level(logging.ERROR):
        response = served(client, stored)
    assert response.status_code == 404 and FILE_MISSING in html.unescape(response.content.decode())
    [logged] = [r for r in caplog.records if r.name == "portal.http"]
    assert logged.levelno == logging.ERROR and f"file {stored.pk} " in logged.getMessage()
    assert written() == []
