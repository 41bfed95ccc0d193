"""What the unit page shows of a unit's evidence requirements and sufficiency, and the choices of
the assessor's forms (decision 52), in a fixed number of queries whatever the portfolio's size."""

from __future__ import annotations

from typing import TypeVar

from django.shortcuts import get_object_or_404
from django.urls import reverse

from assessment.forms import RequirementShownForm, RequirementWithdrawForm, SufficiencyForm
from assessment.models import RequirementShown, SufficiencyRecord, UnitSignOff
from assessment.requirements_met import (
    evidence_on_unit,
    measure_words,
    requirement_items,
    tracked,
)
from portal.http import PortalRequest
from portal.refusals import form_sent_back
from portfolios.access import visible_registrations
from portfolios.models import EvidenceSetting, Registration
from qualifications.kept_units import how_assessed
from qualifications.requirements import RequirementKind, SufficiencyRule

SHOW_KEY = "assessment:requirement-show"
SUFFICIENCY_KEY = "assessment:sufficiency-record"
# The extra tag of these forms' messages: the unit page draws them in its requirements section,
# by the forms and the anchor the forms return to, not at the top out of view.
MESSAGES_TAG = "requirements"

R = TypeVar("R", RequirementShown, SufficiencyRecord)


def withdraw_key(record: RequirementShown | SufficiencyRecord) -> str:
    return f"assessment:withdraw:{type(record).__name__}:{record.pk}"


def requirements_anchor(registration_id: int, unit_id: int) -> str:
    url = reverse("assessment:unit-progress", args=[registration_id, unit_id])
    return f"{url}#requirements-heading"


def record_for(request: PortalRequest, model: type[R], pk: int) -> R:
    """A record of a registration the person may see, or 404."""
    found = model.objects.select_related("registration")  # type: ignore[attr-defined]
    return get_object_or_404(found, pk=pk, registration__in=visible_registrations(request))  # type: ignore[no-any-return]


def condition_choices(registration: Registration, unit_id: int) -> list[tuple[str, str]]:
    """The unit's conditions on the evidence, ticked at sign-off, in the specification's words."""
    how = how_assessed(registration.qualification, unit_id)
    return [
        (r.number, f"{r.number}. {r.text}")
        for r in how.requirements
        if r.kind == RequirementKind.CONDITION
    ]


# Evidence that is not plainly real work says so where the assessor cites it.
LABELS: dict[str, str] = {
    EvidenceSetting.SIMULATED: "Simulated",
    EvidenceSetting.REALISTIC: "Realistic working environment",
}


def evidence_choices(registration: Registration, unit_id: int) -> list[tuple[int, str]]:
    """The learner's evidence for the unit, each said to be simulated where it is: one query."""
    rows = (
        evidence_on_unit(registration, unit_id)
        .order_by("-occurred_on", "pk")
        .values_list("pk", "title", "setting")
    )
    return [
        (pk, f"{title} ({LABELS[setting].lower()})" if setting in LABELS else title)
        for pk, title, setting in rows
    ]


def choices(
    registration: Registration, unit_id: int
) -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
    """The evidence requirement items and the evidence the assessor may cite."""
    how = how_assessed(registration.qualification, unit_id)
    items = [(i.reference, f"{i.reference} {i.text}") for i in requirement_items(how.requirements)]
    return items, evidence_choices(registration, unit_id)


def sufficiency_choices(
    registration: Registration, unit_id: int
) -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
    how = how_assessed(registration.qualification, unit_id)
    measures = [(rule.measure, rule_words(rule)) for rule in how.sufficiency]
    return measures, evidence_choices(registration, unit_id)


def unit_requirements_context(
    request: PortalRequest, registration: Registration, unit_id: int
) -> dict[str, object]:
    """The unit's evidence requirement items and sufficiency rules, each with its state, and,
    for the unit's assessor while the unit is open, the forms to record and withdraw."""
    state = tracked(registration, unit_id)
    can_record = bool(state) and (
        registration.unit_assessors().get(unit_id) == request.user.pk
        and not registration.closed_because
        and not UnitSignOff.objects.in_force()
        .filter(registration=registration, unit_id=unit_id)
        .exists()
    )

    def withdrawing(record: RequirementShown | SufficiencyRecord | None) -> object:
        if record is None or not can_record:
            return None
        key = withdraw_key(record)
        # Many on the page: each with ids of its own.
        auto_id = f"{type(record).__name__.lower()}{record.pk}_%s"
        return form_sent_back(request, RequirementWithdrawForm, key, auto_id=auto_id)

    context: dict[str, object] = {
        "tracked": state,
        "can_record": can_record,
        # Each item with its withdrawal form; each rule with its records and theirs.
        # A record that no longer counts (its evidence no longer the unit's) keeps its form.
        "item_rows": [(s, withdrawing(s.shown or s.lapsed)) for s in state.items],
        "rule_rows": [
            (
                s,
                [(r, withdrawing(r)) for r in s.records],
                [(r, why, withdrawing(r)) for r, why in s.lapsed],
            )
            for s in state.rules
        ],
    }
    if not can_record:
        return context
    evidence = evidence_choices(registration, unit_id)
    needed = [
        (s.item.reference, f"{s.item.reference} {s.item.text}")
        for s in state.items
        if s.shown is None and s.lapsed is None  # a lapsed record is withdrawn first
    ]
    # With no evidence to cite, an item cannot be shown nor a customer or an occasion counted:
    # the page says so in words instead of offering a form with nothing to choose; only the
    # assessor's judgement of a period stays open.
    measures = [
        (s.rule.measure, rule_words(s.rule))
        for s in state.rules
        if evidence or s.rule.minimum is None
    ]
    context.update(
        no_evidence_to_cite=not evidence and bool(needed or state.rules),
        show_form=form_sent_back(
            request,
            RequirementShownForm,
            SHOW_KEY,
            items=needed,
            evidence=evidence,
            auto_id="show_%s",
        )
        if needed and evidence
        else None,
        sufficiency_form=form_sent_back(
            request,
            SufficiencyForm,
            SUFFICIENCY_KEY,
            measures=measures,
            evidence=evidence,
            auto_id="sufficiency_%s",
        )
        if measures
        else None,
    )
    return context


def rule_words(rule: SufficiencyRule) -> str:
    """ "At least 2 different customers", "A sufficient period of time (your judgement)"."""
    if rule.minimum is None:
        return f"{measure_words(rule).capitalize()} (your judgement)"
    return f"At least {rule.minimum} {measure_words(rule)}"
