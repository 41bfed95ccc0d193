"""Transfers between centres (decision 40): started from the registration page by the sending
centre's admin, listed for both centres' admins, accepted or declined by the receiving centre's
admin, cancelled by the sender; the pack made at acceptance downloaded by the learner and the
receiving centre's admins."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.forms import Form
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from certification.export_views import private_download
from certification.forms import TransferAcceptForm, TransferDeclineForm, TransferStartForm
from certification.models import Transfer, TransferStatus
from certification.transfers import (
    NOT_SENDING_ADMIN,
    TransferRefused,
    blockers,
    transfer_accept,
    transfer_cancel,
    transfer_decline,
    transfer_pack_download,
    transfer_start,
)
from portal.access import admin_centre
from portal.http import PortalRequest, open_stored
from portal.models import RoleKind
from portal.refusals import refused_redirect
from portfolios.access import can_administer, closed_redirect, registration_for

RELATED = ("registration__learner", "registration__qualification", "from_centre", "to_centre")
SHOWN_DECIDED = 50  # the latest decided transfers each way; pending ones are all shown


def transfer_for(request: PortalRequest, pk: int) -> Transfer:
    """A transfer to or from the centre the person administers now, or 404."""
    centre = admin_centre(request)
    here = Q(from_centre=centre) | Q(to_centre=centre)
    return get_object_or_404(Transfer.objects.select_related(*RELATED).filter(here), pk=pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def transfer_new(request: PortalRequest, pk: int) -> HttpResponse:
    registration = registration_for(request, pk)
    if not can_administer(request, registration):
        raise PermissionDenied(NOT_SENDING_ADMIN)
    if closed := closed_redirect(request, registration):
        return closed
    form = TransferStartForm(request.POST or None, registration=registration)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = transfer_start(
                registration=registration,
                to_centre=form.cleaned_data["to_centre"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except TransferRefused as refused:
            shown_on_form(form, refused, blockers(registration))
        else:
            messages.success(request, "Asked: nothing moves until the receiving centre accepts.")
            return redirect("certification:transfer-detail", transfer.pk)
    context = {"form": form, "registration": registration, "blockers": blockers(registration)}
    return render(request, "certification/transfer_new.html", context)


def shown_on_form(form: Form, refused: TransferRefused, found: list[str]) -> None:
    """A refusal's messages about one field under that field; the blockers the page lists under
    its own heading are not repeated; anything else (a transfer already waiting,
    the people chosen) at the top."""
    for field, said in refused.fields.items():
        for message in said:
            form.add_error(field, message)
    about_fields = {message for said in refused.fields.values() for message in said}
    for message in refused.messages:
        if message not in about_fields and message not in found:
            form.add_error(None, message)


@require_safe
@login_required
def transfer_list(request: PortalRequest) -> HttpResponse:
    centre = admin_centre(request)
    found = Transfer.objects.select_related(*RELATED)
    pending = TransferStatus.PENDING
    context = {
        "incoming": list(found.filter(to_centre=centre, status=pending)),
        "outgoing": list(found.filter(from_centre=centre, status=pending)),
        "decided": list(
            found.filter(Q(to_centre=centre) | Q(from_centre=centre))
            .exclude(status=pending)
            .order_by("-decided_at", "-pk")[:SHOWN_DECIDED]
        ),
        "centre": centre,
    }
    return render(request, "certification/transfer_list.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def transfer_detail(request: PortalRequest, pk: int) -> HttpResponse:
    transfer = transfer_for(request, pk)
    receiving = request.role is not None and request.role.centre_id == transfer.to_centre_id
    action = request.POST.get("action") if request.method == "POST" else None
    accept_form = TransferAcceptForm(
        request.POST if action == "accept" else None, centre=transfer.to_centre
    )
    decline_form = TransferDeclineForm(request.POST if action == "decline" else None)
    form = {"accept": accept_form, "decline": decline_form}.get(action or "")
    if action == "cancel" or (form is not None and form.is_valid()):
        try:
            return acted(request, transfer, action or "", form.cleaned_data if form else {})
        except TransferRefused as refused:
            if form is None:
                return refused_redirect(request, refused, request.path)
            listed = blockers(transfer.registration) if transfer.is_pending else []
            shown_on_form(form, refused, listed)  # the blockers once, under their heading
    context = {
        "transfer": transfer,
        "receiving": receiving,
        "accept_form": accept_form,
        "decline_form": decline_form,
        "blockers": blockers(transfer.registration) if transfer.is_pending else [],
    }
    return render(request, "certification/transfer_detail.html", context)


def acted(
    request: PortalRequest, transfer: Transfer, action: str, data: dict[str, Any]
) -> HttpResponse:
    """Accept, decline or cancel through the service (TransferRefused passes through)."""
    user = request.user
    if action == "accept":
        transfer_accept(transfer=transfer, assessor=data["assessor"], iqa=data["iqa"], actor=user)
        messages.success(request, "Accepted: the learner is registered here now, with their work.")
        return redirect("portfolios:registration-detail", transfer.registration_id)
    if action == "decline":
        transfer_decline(transfer=transfer, reason=data["reason"], actor=user)
        messages.success(request, "Declined: the sending centre is told why.")
    else:
        transfer_cancel(transfer=transfer, actor=user)
        messages.success(request, "Cancelled: the learner stays at your centre.")
    return redirect("certification:transfer-detail", transfer.pk)


@require_POST
@login_required
def transfer_pack(request: PortalRequest, pk: int) -> HttpResponse | FileResponse:
    """The pack made at acceptance: the learner's own, or a receiving centre admin's in that
    role; 404 for anyone else."""
    role = request.role
    mine = Q(registration__learner=request.user)
    if role is not None and role.kind == RoleKind.CENTRE_ADMIN:
        mine |= Q(to_centre_id=role.centre_id)
    found = Transfer.objects.select_related("registration").filter(mine)
    transfer = get_object_or_404(found, pk=pk)
    back = reverse("portfolios:registration-detail", args=[transfer.registration_id])
    # Opened before the download is recorded: a pack missing from storage records nothing.
    content = (
        open_stored(request, transfer.pack, f"Transfer {transfer.pk}'s pack")
        if transfer.pack
        else None
    )
    if isinstance(content, HttpResponse):
        return content
    try:
        transfer_pack_download(transfer=transfer, actor=request.user)
    except TransferRefused as refused:
        if content is not None:
            content.close()
        return refused_redirect(request, refused, back)
    response = FileResponse(content, content_type="application/zip")
    private_download(response, transfer.pack_name)
    return response
