"""Pages for recording RPL (the unit's assessor) and exemptions (a centre admin), and for
withdrawing either with a reason (decision 50). Everyone who sees the registration sees them on
its page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from portal.http import PortalRequest
from portal.refusals import Refused
from portfolios.access import can_administer, closed_redirect, registration_for
from portfolios.forms import PriorLearningForm, PriorLearningItemsForm, PriorLearningWithdrawForm
from portfolios.models import PriorLearning, PriorLearningItem, PriorLearningKind, Registration
from portfolios.prior_learning import (
    NOT_ALLOWED_TO_WITHDRAW,
    NOT_THE_CENTRE_ADMIN,
    NOT_THE_UNITS_ASSESSOR,
    ItemRef,
    PriorDetails,
    exemption_record,
    is_qualified_assessor_of,
    key_of,
    may_withdraw,
    may_withdraw_item,
    met_by_rpl,
    prior_learning_withdraw,
    rpl_item_withdraw,
    rpl_items_record,
    rpl_record,
    units_assessed_by,
)
from qualifications.kept_units import units_rows

RECORDED = {
    PriorLearningKind.RPL: "{unit} is achieved through recognition of prior learning (RPL).",
    PriorLearningKind.EXEMPTION: "{learner} is exempt from {unit}.",
}


def open_units(
    request: PortalRequest, registration: Registration, kind: str
) -> list[tuple[int, str]]:
    """The plan's units still to be met (not signed off, no RPL or exemption in force), those
    the person may record this kind for: for RPL, the units they assess as a qualified
    assessor."""
    signed = set(
        registration.sign_offs.filter(unlocked_at__isnull=True).values_list("unit_id", flat=True)  # type: ignore[attr-defined]
    )
    taken = set(
        PriorLearning.objects.in_force()
        .filter(registration=registration)
        .values_list("unit_id", flat=True)
    )
    planned = registration.planned_units.select_related("unit").order_by("unit__code")
    mine = units_assessed_by(request.user, registration)
    return [
        (p.unit_id, f"{p.unit.code} {p.unit.title}")
        for p in planned
        if p.unit_id not in signed | taken
        and (kind == PriorLearningKind.EXEMPTION or p.unit_id in mine)
    ]


def show_refusal(form: forms.Form, refused: Refused) -> None:
    """Each message under the field it is about, the others at the form's top."""
    fields = getattr(refused, "fields", {})
    for message in refused.messages:
        field = fields.get(message)
        form.add_error(field if field in form.fields else None, message)


def prior_learning_new(request: PortalRequest, pk: int, kind: str) -> HttpResponse:
    registration = registration_for(request, pk)
    if kind == PriorLearningKind.EXEMPTION and not can_administer(request, registration):
        raise PermissionDenied(NOT_THE_CENTRE_ADMIN)
    if kind == PriorLearningKind.RPL and not registration.is_assessed_by(request.user):
        raise PermissionDenied(NOT_THE_UNITS_ASSESSOR)
    if closed := closed_redirect(request, registration):
        return closed
    form = PriorLearningForm(
        request.POST or None,
        request.FILES or None,
        units=open_units(request, registration, kind),
        evidence=registration.evidence.order_by("-occurred_on", "-pk"),  # type: ignore[attr-defined]
        exemption=kind == PriorLearningKind.EXEMPTION,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details = PriorDetails(
            unit_id=data["unit"],
            description=data["description"],
            achieved_on=data["achieved_on"],
            evidence=data.get("evidence"),
            files=data.get("evidence_files") or (),
        )
        record = rpl_record if kind == PriorLearningKind.RPL else exemption_record
        try:
            made = record(registration=registration, details=details, actor=request.user)
        except Refused as refused:
            show_refusal(form, refused)
        else:
            unit = f"{made.unit.code} {made.unit.title}"
            words = RECORDED[PriorLearningKind(kind)]
            messages.success(request, words.format(unit=unit, learner=registration.learner))
            return redirect("portfolios:registration-detail", registration.pk)
    context = {"form": form, "registration": registration, "kind": kind}
    return render(request, "portfolios/prior_learning_form.html", context)


@login_required
def rpl_new(request: PortalRequest, pk: int) -> HttpResponse:
    """The unit's assessor records that the learner's prior learning meets a unit."""
    return prior_learning_new(request, pk, PriorLearningKind.RPL)


@login_required
def exemption_new(request: PortalRequest, pk: int) -> HttpResponse:
    """A centre admin records that the learner is exempt from a unit of their plan."""
    return prior_learning_new(request, pk, PriorLearningKind.EXEMPTION)


@login_required
def prior_learning_withdraw_view(request: PortalRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(PriorLearning.objects.select_related("unit"), pk=pk)
    registration = registration_for(request, found.registration_id)
    if not may_withdraw(request.user, found):
        raise PermissionDenied(NOT_ALLOWED_TO_WITHDRAW)
    if closed := closed_redirect(request, registration):
        return closed
    form = PriorLearningWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            prior_learning_withdraw(
                record=found, reason=form.cleaned_data["reason"], actor=request.user
            )
        except Refused as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, "It is withdrawn; the record is kept with the reason.")
            return redirect("portfolios:registration-detail", registration.pk)
    context = {"form": form, "registration": registration, "record": found}
    return render(request, "portfolios/prior_learning_withdraw.html", context)


def open_items(registration: Registration, unit_id: int) -> list[tuple[str, str]]:
    """The unit's items not met yet (by a decision that counts, or RPL), as the form's choices
    ("criterion:12", "Criterion 1.2: Explain ..."). The decisions are assessment's, read
    through the registration's reverse relation (decision 11)."""
    names = item_choices(registration, unit_id)
    met = set(
        registration.decisions.filter(  # type: ignore[attr-defined]
            current=True, outcome="met", provisional=False
        ).values_list("criterion_id", "range_item_id", "knowledge_item_id")
    ) | met_by_rpl(registration, unit_id)
    return [
        (f"{kind}:{pk}", name)
        for (kind, pk), name in names.items()
        if key_of((kind, pk)) not in met
    ]


def item_choices(registration: Registration, unit_id: int) -> dict[ItemRef, str]:
    """Every item of the unit with its code and its text, as the assessor ticks them: criteria,
    then range and knowledge items, in order, from the kept catalogue rows (decision 26)."""
    [unit] = units_rows(registration.qualification, [unit_id])
    found: dict[ItemRef, str] = {
        ("criterion", c.pk): f"Criterion {c.number}: {c.text}" for c in unit.criteria
    }
    for r in unit.range_items:
        text = f"{r.heading}: {r.text}" if r.heading else r.text
        found[("range_item", r.pk)] = f"Range {r.reference}: {text}"
    for k in unit.knowledge_items:
        found[("knowledge_item", k.pk)] = f"K{k.number}: {k.text}"
    return found


def item_ref(value: str) -> ItemRef:
    kind, pk = value.split(":")
    return kind, int(pk)


@login_required
def rpl_items_new(request: PortalRequest, pk: int, unit_pk: int) -> HttpResponse:
    """The unit's qualified assessor records that the learner's prior learning covers some of
    its criteria (or a CVQ's range and knowledge items): decision 54."""
    registration = registration_for(request, pk)
    planned = registration.planned_units.filter(unit__pk=unit_pk).select_related("unit").first()
    if planned is None:
        raise Http404("No such unit in this registration's plan.")
    if not is_qualified_assessor_of(request.user, registration, unit_pk):
        raise PermissionDenied(NOT_THE_UNITS_ASSESSOR)
    if closed := closed_redirect(request, registration):
        return closed
    form = PriorLearningItemsForm(
        request.POST or None,
        request.FILES or None,
        items=open_items(registration, unit_pk),
        evidence=registration.evidence.order_by("-occurred_on", "-pk"),  # type: ignore[attr-defined]
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details = PriorDetails(
            unit_id=unit_pk,
            description=data["description"],
            achieved_on=data["achieved_on"],
            evidence=data["evidence"],
            files=data["evidence_files"] or (),
        )
        try:
            made = rpl_items_record(
                registration=registration,
                details=details,
                items=[item_ref(v) for v in data["items"]],
                actor=request.user,
            )
        except Refused as refused:
            show_refusal(form, refused)
        else:
            items = "1 item" if len(made) == 1 else f"{len(made)} items"
            messages.success(request, f"{items} of {planned.unit.code} met through RPL.")
            return redirect("assessment:unit-progress", registration.pk, unit_pk)
    context = {"form": form, "registration": registration, "unit": planned.unit}
    return render(request, "portfolios/rpl_items_form.html", context)


@login_required
def rpl_item_withdraw_view(request: PortalRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(
        PriorLearningItem.objects.select_related(
            "unit", "criterion", "range_item", "knowledge_item"
        ),
        pk=pk,
    )
    registration = registration_for(request, found.registration_id)
    if not may_withdraw_item(request.user, found):
        raise PermissionDenied(NOT_ALLOWED_TO_WITHDRAW)
    if closed := closed_redirect(request, registration):
        return closed
    form = PriorLearningWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rpl_item_withdraw(record=found, reason=form.cleaned_data["reason"], actor=request.user)
        except Refused as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, "It is withdrawn; the record is kept with the reason.")
            return redirect("portfolios:registration-detail", registration.pk)
    context = {"form": form, "registration": registration, "record": found}
    return render(request, "portfolios/rpl_item_withdraw.html", context)
