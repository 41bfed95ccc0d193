"""The one function that turns a certificate row into its PDF, and storing it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from certification import notices
from certification.models import Certificate, Kind, RenderStatus
from portal.pdf import render_pdf

STYLESHEET = "certification/certificate.css"


def verification_url(certificate: Certificate) -> str:
    return settings.PUBLIC_URL + reverse("certification:verify-number", args=[certificate.number])


def template_for(certificate: Certificate) -> str:
    cvq = certificate.snapshot.get("cvq", False)
    if certificate.kind == Kind.FULL:
        return "certification/pdf/cvq_full.html" if cvq else "certification/pdf/full.html"
    return "certification/pdf/cvq_unit.html" if cvq else "certification/pdf/unit.html"


UNIT_COLUMNS = ("Unit", "Level", "Credit")
# How a unit achieved through recognition of prior learning is marked on the list (decision 50).
RPL_MARK = " (achieved through recognition of prior learning)"


def unit_lines(units: list[dict[str, Any]]) -> tuple[str, list[tuple[str, str]], int]:
    """The unit list's columns as preformatted text: (heading, [(columns, title)], indent)."""
    rows = [(str(u["reference"]), str(u["level"] or ""), str(u["credits"] or "—")) for u in units]
    widths = [max(len(r[i]) for r in [UNIT_COLUMNS, *rows]) for i in range(3)]

    def columns(row: tuple[str, ...]) -> str:
        return "".join(value.ljust(width + 2) for value, width in zip(row, widths, strict=True))

    lines = [
        (columns(row), str(u["title"]) + (RPL_MARK if u.get("rpl") else ""))
        for row, u in zip(rows, units, strict=True)
    ]
    return columns(UNIT_COLUMNS), lines, sum(widths) + 6


def render_certificate_pdf(certificate: Certificate) -> bytes:
    url = verification_url(certificate)
    # A one-pixel-per-module PNG, drawn without smoothing: far cheaper to lay out and paint than
    # the same code as an SVG path, and as sharp. Imported here, not at the top: only the
    # rendering worker needs it, and the web workers and commands start quicker without it.
    import segno

    qr = segno.make(url, error="m", mask=4).png_data_uri(scale=1, border=0)
    context = {
        "certificate": certificate,
        "s": certificate.snapshot,
        "verify_url": url,
        "qr": qr,
        "replaces": certificate.replaces,
        "supersedes": certificate.supersedes,
    }
    head, lines, indent = unit_lines(certificate.snapshot.get("units", []))
    context.update(units_head=head, unit_lines=lines, units_indent=indent)
    return render_pdf(template_for(certificate), context, css=STYLESHEET)


def certificate_render(certificate_id: int) -> None:
    """Render and store the PDF once: a run that finds it ready does nothing, and a run after a
    killed one overwrites the half-written file under the same name."""
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
        # Nothing is made of a certificate the AO's EQA has not let out (decision 29): its
        # release queues the render again.
        if certificate.status == RenderStatus.READY or certificate.is_withheld:
            return
        content = render_certificate_pdf(certificate)
        name = f"certificates/{certificate.number}.pdf"
        if default_storage.exists(name):
            default_storage.delete(name)
        certificate.file.name = default_storage.save(name, ContentFile(content))
        certificate.status, certificate.render_error = RenderStatus.READY, ""
        certificate.rendered_at = timezone.now()
        certificate.save(update_fields=["file", "status", "render_error", "rendered_at"])
        if not certificate.is_revoked:  # made again to mark it revoked: no news to anyone
            notices.certificate_ready(certificate)
