"""The one function that turns a certificate row into its PDF, and storing it."""

from __future__ import annotations

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from certification.models import Certificate, Kind, RenderStatus
from portal.pdf import render_pdf


def verification_url(certificate: Certificate) -> str:
    return settings.PUBLIC_URL + reverse("certification:verify-number", args=[certificate.number])


def template_for(certificate: Certificate) -> str:
    cvq = certificate.snapshot.get("cvq", False)
    if certificate.kind == Kind.FULL:
        return "certification/pdf/cvq_full.html" if cvq else "certification/pdf/full.html"
    return "certification/pdf/cvq_unit.html" if cvq else "certification/pdf/unit.html"


def render_certificate_pdf(certificate: Certificate) -> bytes:
    url = verification_url(certificate)
    qr = segno.make(url, error="m").svg_inline(scale=3, border=0, omitsize=False)
    context = {
        "certificate": certificate,
        "s": certificate.snapshot,
        "verify_url": url,
        "qr": mark_safe(qr),  # segno's own SVG markup, from our own URL
        "replaces": certificate.replaces,
    }
    return render_pdf(template_for(certificate), context)


def certificate_render(certificate_id: int) -> None:
    """Render and store the PDF once: a run that finds it ready does nothing, and a run after a
    killed one overwrites the half-written file under the same name."""
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate_id)
        if certificate.status == RenderStatus.READY:
            return
        content = render_certificate_pdf(certificate)
        name = f"certificates/{certificate.number}.pdf"
        if default_storage.exists(name):
            default_storage.delete(name)
        certificate.file.name = default_storage.save(name, ContentFile(content))
        certificate.status, certificate.render_error = RenderStatus.READY, ""
        certificate.rendered_at = timezone.now()
        certificate.save(update_fields=["file", "status", "render_error", "rendered_at"])
