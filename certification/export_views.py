"""The centre admin's downloads for the awarding organisation: a batch of claims as the AO's
CSV file, and a learner's portfolio pack as a ZIP made while it is sent. Both are POSTs: each
is written to the audit log (docs/ao-exports.md)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from certification.exports.batch import Batch, ExportRefused
from certification.exports.formats import Format
from certification.exports.forms import ExportForm, export_key
from certification.exports.pack import pack_stream
from certification.exports.services import NOT_THE_CENTRE_ADMIN, pack_download, results_export
from portal.http import PortalRequest, posted_id
from portal.refusals import refused_redirect, send_back
from portfolios.access import admin_centre, can_administer, registration_for
from qualifications.models import Qualification


def private_download(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"  # as every download of people's records
    response["X-Content-Type-Options"] = "nosniff"


@require_POST
@login_required
def results_file(request: PortalRequest) -> HttpResponse:
    centre = admin_centre(request)
    qualification = get_object_or_404(
        Qualification, pk=posted_id(request.POST.get("qualification"))
    )
    back = f"{reverse('certification:claims')}?{urlencode({'qualification': qualification.pk})}"
    form = ExportForm(request.POST, qualification=qualification)
    if not form.is_valid():
        return send_back(request, form, export_key(qualification.pk), back)
    data = form.cleaned_data
    batch = Batch(centre, qualification, Format(data["format"]), data["start"], data["end"])
    try:
        made = results_export(batch=batch, actor=request.user)
    except ExportRefused as refused:
        return refused_redirect(request, refused, back)
    response = HttpResponse(made.text, content_type="text/csv; charset=utf-8")
    private_download(response, made.filename)
    return response


@require_POST
@login_required
def portfolio_pack(request: PortalRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    registration = registration_for(request, pk)
    if not can_administer(request, registration):
        raise PermissionDenied(NOT_THE_CENTRE_ADMIN)
    try:
        pack = pack_download(registration=registration, actor=request.user)
    except ExportRefused as refused:
        return refused_redirect(request, refused, reverse("certification:claims"))
    response = StreamingHttpResponse(pack_stream(pack), content_type="application/zip")
    private_download(response, pack.filename)
    return response
