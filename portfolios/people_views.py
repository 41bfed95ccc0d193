"""A registration's people, for the centre admin: change the learner's assessor or IQA, and
withdraw the registration with a reason (docs/people.md)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from portal.http import PortalRequest
from portal.refusals import refused_on_form
from portfolios.access import can_administer, closed_redirect, registration_for
from portfolios.forms import RegistrationStaffForm, WithdrawForm
from portfolios.models import Registration
from portfolios.services import (
    RegistrationRejected,
    registration_staff_change,
    registration_withdraw,
)

NOT_ADMIN = "Only the centre admin can change a registration's people or withdraw it."


def administered(request: PortalRequest, pk: int) -> Registration:
    registration = registration_for(request, pk)
    if not can_administer(request, registration):
        raise PermissionDenied(NOT_ADMIN)
    return registration


@login_required
def registration_staff(request: PortalRequest, pk: int) -> HttpResponse:
    registration = administered(request, pk)
    if closed := closed_redirect(request, registration):
        return closed
    initial = {"assessor": registration.assessor, "iqa": registration.iqa}
    form = RegistrationStaffForm(
        request.POST or None, initial=initial, centre=registration.centre, current=registration
    )
    if request.method == "POST" and form.is_valid():
        try:
            registration_staff_change(
                registration=registration,
                assessor=form.cleaned_data["assessor"],
                iqa=form.cleaned_data["iqa"],
                actor=request.user,
            )
        except RegistrationRejected as rejected:
            refused_on_form(form, rejected)
        else:
            messages.success(request, "Saved: both the old and the new assessor or IQA are told.")
            return redirect("portfolios:registration-detail", registration.pk)
    context = {"form": form, "registration": registration}
    return render(request, "portfolios/registration_staff.html", context)


@login_required
def registration_withdraw_view(request: PortalRequest, pk: int) -> HttpResponse:
    registration = administered(request, pk)
    if closed := closed_redirect(request, registration):
        return closed
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration_withdraw(
                registration=registration, reason=form.cleaned_data["reason"], actor=request.user
            )
        except RegistrationRejected as rejected:
            refused_on_form(form, rejected)
        else:
            messages.success(request, "The registration is withdrawn; its records are kept.")
            return redirect("portfolios:registration-detail", registration.pk)
    context = {"form": form, "registration": registration}
    return render(request, "portfolios/registration_withdraw.html", context)
