"""What the external quality assurer's pages show, read for one window: the registrations it
opens, a portfolio (units, evidence, decisions, RPL and exemptions) and the centre's IQA
records, read-only. Where a unit stands is read as the centre's own pages read it
(`portfolios.unit_states`, `portfolios.prior_learning`), so that the awarding organisation sees
units achieved through RPL and exemptions as the centre does (decision 54)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from assessment.models import Decision, UnitSignOff
from certification.models import WITHHELD, Certificate
from eqa.models import EqaAccess
from iqa.models import Sample, SamplingPlan
from portfolios.models import Registration
from portfolios.prior_learning import item_records_of, prior_learning_of, records_of
from portfolios.unit_states import unit_standings


def window_registrations(window: EqaAccess) -> list[Registration]:
    """The window's registrations by learner, each with its units achieved counted: signed off
    and countersigned, or through RPL (`by_rpl` of them), and the units it is exempt from
    (`exempt`, which earn no credit). Three queries whatever the number of learners."""
    registrations = list(
        window.registrations()
        .select_related("learner", "assessor", "iqa")
        .order_by("learner__full_name", "pk")
    )
    signed: dict[int, set[str]] = {}
    rows = (
        UnitSignOff.objects.achieved()
        .filter(registration__in=[r.pk for r in registrations])
        .values_list("registration_id", "unit__code")
    )
    for registration_id, code in rows:
        signed.setdefault(registration_id, set()).add(code)
    prior = prior_learning_of(r.pk for r in registrations)
    for r in registrations:
        standing = prior.get(r.pk)
        rpl = standing.rpl if standing else frozenset()
        r.achieved = len(signed.get(r.pk, set()) | rpl)  # type: ignore[attr-defined]
        r.by_rpl = len(rpl)  # type: ignore[attr-defined]
        r.exempt = len(standing.exempt) if standing else 0  # type: ignore[attr-defined]
    return registrations


def portfolio(registration: Registration) -> dict[str, Any]:
    """A registration's portfolio as the EQA reads it: units, where each stands (achieved,
    through RPL, exempt...) and their sign-offs, the RPL and exemption records and the criteria
    met through RPL, evidence with its files' hashes, and every decision in force, with who
    made it."""
    sign_offs = {
        s.unit_id: s
        for s in UnitSignOff.objects.in_force()
        .filter(registration=registration)
        .select_related("signed_by")
    }
    units = list(registration.planned_units.select_related("unit").order_by("unit__code"))
    standings = unit_standings(registration, [p.unit_id for p in units])
    records = records_of(registration)
    in_force = {r.unit_id: r for r in records if r.in_force}
    for planned in units:
        planned.sign_off = sign_offs.get(planned.unit_id)  # type: ignore[attr-defined]
        planned.standing = standings.get(planned.unit_id)  # type: ignore[attr-defined]
        planned.prior = in_force.get(planned.unit_id)  # type: ignore[attr-defined]
    items = item_records_of(registration)
    decisions = (
        Decision.objects.filter(registration=registration, current=True)
        .select_related(
            "criterion__unit",
            "range_item__unit",
            "knowledge_item__unit",
            "decided_by",
            "countersigned_by",
        )
        .order_by("decided_at", "pk")
    )
    return {
        "units": units,
        "prior_learning": records,
        "prior_learning_items": [r for r in items if r.withdrawn_at is None],
        "prior_learning_items_withdrawn": [r for r in items if r.withdrawn_at is not None],
        "evidence": registration.evidence.prefetch_related("files").order_by("occurred_on", "pk"),
        "decisions": decisions,
        "claims": Certificate.objects.filter(registration=registration).order_by("issued_at", "pk"),
    }


def iqa_records(window: EqaAccess) -> dict[str, Any]:
    """The centre's IQA plans and samples for the window's qualification, with their actions."""
    return {
        "plans": SamplingPlan.objects.filter(
            centre_id=window.centre_id, qualification_id=window.qualification_id
        ).select_related("iqa"),
        "samples": Sample.objects.filter(registration__in=window.registrations())
        .select_related("registration__learner", "unit", "assessor", "sampled_by")
        .prefetch_related("actions")
        .order_by("-sampled_at", "-pk"),
    }


def window_claims(window: EqaAccess) -> QuerySet[Certificate]:
    """The window's claims waiting for the EQA first, then those decided, oldest first."""
    return (
        Certificate.objects.filter(registration__in=window.registrations(), revoked_at__isnull=True)
        .filter(Q(release__in=WITHHELD) | Q(release_decided_at__isnull=False))
        .select_related("registration__learner", "release_decided_by")
        .order_by("issued_at", "pk")
    )
