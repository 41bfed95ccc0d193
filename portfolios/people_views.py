"""A registration's people, for the centre admin: change the learner's assessor or IQA, give a
unit its own assessor, and withdraw the registration with a reason (docs/people.md)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.http import PortalRequest
from portal.models import RoleKind, User
from portal.refusals import refused_on_form
from portfolios.access import can_administer, closed_redirect, registration_for
from portfolios.forms import (
    RegistrationStaffForm,
    UnitAssessorForm,
    WithdrawForm,
    people_choices,
)
from portfolios.models import Registration
from portfolios.services import (
    RegistrationRejected,
    registration_staff_change,
    registration_unit_assessor_change,
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
    return staff_page(request, registration, form)


def staff_page(
    request: PortalRequest,
    registration: Registration,
    form: RegistrationStaffForm | None = None,
    unit_form: UnitAssessorForm | None = None,
) -> HttpResponse:
    """The people page: the registration's assessor and IQA, and each unit's assessor (with
    `unit_form`, the one just sent, in its place)."""
    if form is None:
        initial = {"assessor": registration.assessor, "iqa": registration.iqa}
        form = RegistrationStaffForm(initial=initial, centre=registration.centre)
    context = {
        "form": form,
        "registration": registration,
        "unit_forms": unit_forms(registration, unit_form),
    }
    return render(request, "portfolios/registration_staff.html", context)


def unit_forms(
    registration: Registration, sent: UnitAssessorForm | None = None
) -> list[UnitAssessorForm]:
    """A form for each unit of the plan, the one `sent` as it was sent."""
    choices = people_choices(registration.centre, RoleKind.ASSESSOR)
    default = default_label(registration)
    forms = []
    for planned in registration.planned_units.select_related("unit", "assessor"):
        if sent is not None and sent.planned.pk == planned.pk:
            forms.append(sent)
        else:
            forms.append(UnitAssessorForm(planned=planned, choices=choices, default=default))
    return forms


def default_label(registration: Registration) -> str:
    assessor = registration.assessor
    return f"The registration's assessor ({assessor.full_name if assessor else 'not allocated'})"


@require_POST
@login_required
def registration_unit_assessor(request: PortalRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Give one unit its own assessor, change it, or give it back to the registration's."""
    registration = administered(request, pk)
    if closed := closed_redirect(request, registration):
        return closed
    planned = get_object_or_404(
        registration.planned_units.select_related("unit", "assessor"), unit__pk=unit_pk
    )
    choices = people_choices(registration.centre, RoleKind.ASSESSOR)
    form = UnitAssessorForm(
        request.POST, planned=planned, choices=choices, default=default_label(registration)
    )
    if form.is_valid():
        chosen = form.cleaned_data["assessor"]
        assessor = None if chosen is None else User.objects.get(pk=chosen)
        try:
            registration_unit_assessor_change(
                registration=registration, unit=planned.unit, assessor=assessor, actor=request.user
            )
        except RegistrationRejected as rejected:
            refused_on_form(form, rejected, "assessor")
        else:
            messages.success(request, UNIT_SAVED.format(unit=planned.unit.code))
            return redirect("portfolios:registration-staff", registration.pk)
    return staff_page(request, registration, unit_form=form)


UNIT_SAVED = "Saved: {unit}'s assessor, the one before and the learner are told."


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
