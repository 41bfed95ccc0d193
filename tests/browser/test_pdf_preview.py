"""The assessor's review page shows a learner's PDF inline, drawn by pdf.js in a sandboxed frame,
and nothing in an uploaded file (a PDF's JavaScript, an SVG's or an HTML page's script) ever runs
in the browser."""

from __future__ import annotations

import datetime
import hashlib

from django.core.files.base import ContentFile
from playwright.sync_api import Dialog, Frame, Page, Request, expect
from weasyprint import HTML

from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import Evidence, EvidenceFile
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_assessment import as_user, caseload
from tests.portfolios.files import upload

__all__ = ["as_user", "caseload"]

LOG_TEXT = "Complaint resolution log"


def a_real_pdf() -> bytes:
    """Two pages with words and a coloured box, as WeasyPrint writes them (fonts embedded)."""
    return HTML(
        string=f"""<html><body style="font-family: sans-serif">
        <h1 style="color: #1f4e79">{LOG_TEXT}</h1>
        <p>Leo Brown, 5 October 2026: a customer's complaint about a late delivery, handled by
        telephone and confirmed by e-mail.</p>
        <div style="width: 12cm; height: 3cm; background: #b02a37"></div>
        <p style="break-before: page">Page two: the follow-up call.</p></body></html>"""
    ).write_pdf()


# A PDF whose document-open action is JavaScript: an alert and a request to the portal.
SCRIPTED_PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R
  /Resources << /Font << /F1 6 0 R >> >> >> endobj
4 0 obj << /Length 44 >> stream
BT /F1 18 Tf 20 70 Td (Signed record) Tj ET
endstream endobj
5 0 obj << /S /JavaScript /JS (app.alert('pdf ran'); this.submitForm('/beacon/pdf');) >> endobj
6 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""


def add_pdf(registration, title: str, name: str, content: bytes) -> Evidence:
    details = EvidenceDetails(title, datetime.date(2026, 10, 5), "product", "")
    return evidence_add(
        registration=registration,
        details=details,
        files=[upload(name, content)],
        declared=True,
        actor=registration.learner,
    )


class Watch:
    """What a page did that it should not have: dialogs opened, requests to /beacon/ sent."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.beacons: list[str] = []
        page.on("dialog", self.dialog)
        page.context.on("request", self.request)

    def dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def request(self, request: Request) -> None:
        if "/beacon/" in request.url:
            self.beacons.append(request.url)

    @property
    def anything(self) -> list[str]:
        return self.dialogs + self.beacons


def drawn_viewer(page: Page) -> Frame:
    """The PDF viewer's frame, once it has drawn every page it will."""
    viewer = page.frame_locator("iframe[data-pdf]")
    expect(viewer.locator("main")).to_have_attribute("aria-busy", "false")
    return next(f for f in page.frames if f.url.endswith("/pdf-viewer/"))


def ink(frame: Frame) -> list[int]:
    """How many pixels of each drawn page are not white: the PDF's content, not an empty canvas."""
    return frame.evaluate(
        """() => Array.from(document.querySelectorAll('canvas.pdf-page')).map(canvas => {
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let inked = 0;
            for (let i = 0; i < data.length; i += 4) {
                if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) inked += 1;
            }
            return inked;
        })"""
    )


def test_the_review_page_draws_the_learner_s_pdf_in_a_sandboxed_frame(as_user, caseload):
    evidence = add_pdf(caseload["leo"], "Complaint log", "complaint log.pdf", a_real_pdf())
    samir = as_user("samir@example.org")
    samir.goto(f"/assess/evidence/{evidence.pk}/")
    frame = drawn_viewer(samir)
    pages = samir.frame_locator("iframe[data-pdf]").locator("canvas.pdf-page")
    expect(pages).to_have_count(2)
    expect(pages.first).to_have_attribute("aria-label", "Page 1 of 2")
    assert all(count > 100 for count in ink(frame)), "a page of the PDF was drawn blank"
    # The frame is a sandbox: an origin of its own, no cookies, no way into the review page.
    assert frame.evaluate("() => window.origin") == "null"
    assert (
        frame.evaluate(
            "() => { try { document.cookie; return 'read'; } catch (e) { return e.name; } }"
        )
        == "SecurityError"
    )
    assert (
        frame.evaluate(
            "() => { try { return parent.document.title; } catch (e) { return e.name; } }"
        )
        == "SecurityError"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    samir.locator("iframe[data-pdf]").scroll_into_view_if_needed()
    samir.screenshot(path=str(ARTIFACTS / "pdf-preview-review-page.png"))


def test_a_pdf_s_javascript_never_runs_in_the_preview(as_user, caseload):
    evidence = add_pdf(caseload["leo"], "Signed record", "record.pdf", SCRIPTED_PDF)
    samir = as_user("samir@example.org")
    watch = Watch(samir)
    samir.goto(f"/assess/evidence/{evidence.pk}/")
    frame = drawn_viewer(samir)
    expect(samir.frame_locator("iframe[data-pdf]").locator("canvas.pdf-page")).to_have_count(1)
    assert ink(frame)[0] > 0  # the page's words were drawn
    assert watch.anything == []


SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80" onload="mark('onload')">
<script>function mark(how) { document.documentElement.setAttribute('data-ran', how); }
mark('script'); alert('svg ran'); fetch('/beacon/svg');</script>
<text x="10" y="40">A drawing</text></svg>"""
HTML_PAGE = b"""<html><body><script>document.title = 'ran'; alert('html ran');
fetch('/beacon/html');</script><p>My notes</p></body></html>"""


def stored_as(evidence: Evidence, name: str, content: bytes, content_type: str) -> EvidenceFile:
    """A file row as if it had been let in with this type: the worst case, for the browser."""
    row = EvidenceFile(
        evidence=evidence,
        registration=evidence.registration,
        original_name=name,
        size=len(content),
        content_type=content_type,
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=evidence.registration.learner,
    )
    row.file.save("upload", ContentFile(content), save=False)
    row.save()
    return row


def test_script_in_an_svg_or_html_file_never_runs_however_it_is_opened(as_user, caseload):
    evidence = add_pdf(caseload["leo"], "Drawings", "plan.pdf", a_real_pdf())
    svg = stored_as(evidence, "drawing.svg", SVG, "image/svg+xml")
    page = stored_as(evidence, "notes.html", HTML_PAGE, "text/plain")
    samir = as_user("samir@example.org")
    watch = Watch(samir)

    # On the review page the SVG is a picture; opened on its own it is a document of its own,
    # served with a sandbox and no scripts allowed.
    samir.goto(f"/assess/evidence/{evidence.pk}/")
    expect(samir.get_by_role("img", name="drawing.svg, uploaded as evidence")).to_be_visible()
    samir.goto(f"/evidence/files/{svg.pk}/")
    expect(samir.locator("text")).to_have_text("A drawing")
    assert samir.evaluate("() => document.documentElement.getAttribute('data-ran')") is None

    # The HTML page that passed as text downloads, as .txt, and is never shown.
    samir.goto(f"/assess/evidence/{evidence.pk}/")
    with samir.expect_download() as download:
        samir.evaluate("url => { location.href = url; }", f"/evidence/files/{page.pk}/")
    assert download.value.suggested_filename == "notes.txt"
    assert watch.anything == []
