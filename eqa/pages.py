"""What the external quality assurer's pages show, read for one window: the registrations it
opens, a portfolio (units, evidence, decisions) and the centre's IQA records, read-only."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from assessment.models import Decision, UnitSignOff
from certification.models import WITHHELD, Certificate
from eqa.models import EqaAccess
from iqa.models import Sample, SamplingPlan
from portfolios.models import Registration


def window_registrations(window: EqaAccess) -> QuerySet[Registration]:
    """The window's registrations by learner, each with its units achieved counted."""
    return (
        window.registrations()
        .select_related("learner", "assessor", "iqa")
        .annotate(
            achieved=Count(
                "sign_offs",
                filter=Q(
                    sign_offs__learner_signed_at__isnull=False, sign_offs__unlocked_at__isnull=True
                ),
            )
        )
        .order_by("learner__full_name", "pk")
    )


def portfolio(registration: Registration) -> dict[str, Any]:
    """A registration's portfolio as the EQA reads it: units and their sign-offs, evidence with
    its files' hashes, and every decision in force, with who made it."""
    sign_offs = {
        s.unit_id: s for s in UnitSignOff.objects.in_force().filter(registration=registration)
    }
    units = list(registration.planned_units.select_related("unit").order_by("unit__code"))
    for planned in units:
        planned.sign_off = sign_offs.get(planned.unit_id)  # type: ignore[attr-defined]
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
