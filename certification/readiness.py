"""Whether a registration can be claimed, and if not, why: the rules engine and IQA, in words."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from assessment.models import UnitSignOff
from certification.models import Certificate, Kind
from iqa.selectors import claim_blockers_of
from portal.models import Centre
from portfolios.models import Registration
from qualifications.rules import Rules, Verdict, evaluate
from qualifications.rules.adapter import rules_for


@dataclass(frozen=True)
class Readiness:
    registration: Registration
    claimable_units: list[str]  # achieved (signed off and countersigned) and cleared by IQA
    verdict: Verdict
    full_reasons: list[str] = field(default_factory=list)
    unit_reasons: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # IQA's reasons for holding achieved units

    @property
    def full_ready(self) -> bool:
        return not self.full_reasons

    @property
    def unit_ready(self) -> bool:
        return not self.unit_reasons


NO_UNITS = "No unit is achieved and cleared by IQA yet."
FULL_MET = "The full qualification is met: claim the full certificate instead."


def readiness_of(registration: Registration) -> Readiness:
    """Claim readiness from achieved units, the rules of combination and IQA blockers."""
    return readiness_of_many([registration])[0]


def readiness_of_many(registrations: Sequence[Registration]) -> list[Readiness]:
    """readiness_of for each registration, in a number of queries that does not grow with the
    registrations (only with the qualifications among them, whose rules are read once each)."""
    achieved: dict[int, dict[int, str]] = defaultdict(dict)
    for registration_id, unit_id, code in (
        UnitSignOff.objects.achieved()
        .filter(registration__in=[r.pk for r in registrations])
        .values_list("registration_id", "unit_id", "unit__code")
    ):
        achieved[registration_id][unit_id] = code
    blockers = claim_blockers_of(registrations)
    rules: dict[int, Rules] = {}
    result = []
    for registration in registrations:
        if registration.qualification_id not in rules:
            rules[registration.qualification_id] = rules_for(registration.qualification)
        mine, held_back = achieved[registration.pk], blockers.get(registration.pk, {})
        claimable = sorted(code for pk, code in mine.items() if pk not in held_back)
        verdict = evaluate(rules[registration.qualification_id], claimable)
        held = [reason for pk, reason in held_back.items() if pk in mine]
        full = [r.message for r in verdict.unmet] + held
        if not verdict.eligible and not full:
            full = [r.message for r in verdict.rules if not r.met] or ["The rules are not met."]
        unit = [] if claimable else [NO_UNITS]
        if verdict.eligible and not held:
            unit = [FULL_MET]
        result.append(Readiness(registration, claimable, verdict, full, unit, held))
    return result


def claimable_registrations(centre: Centre) -> list[Registration]:
    """The centre's open registrations, as the claims page lists them (a closed one takes no
    claim: `Registration.closed_because`)."""
    return list(
        Registration.objects.open()
        .filter(centre=centre)
        .select_related("learner", "qualification", "centre")
        .order_by("learner__full_name", "pk")
    )


def claim_lists(
    registrations: Sequence[Registration],
) -> tuple[list[Readiness], list[Readiness], list[Readiness]]:
    """(ready for a full certificate, can have a unit certificate, neither and nothing claimed),
    leaving out the kinds already claimed."""
    ready = readiness_of_many(registrations)
    claimed = set(
        Certificate.objects.filter(
            registration__in=registrations, replaces__isnull=True
        ).values_list("registration_id", "kind")
    )
    full, unit, waiting = [], [], []
    for r in ready:
        has_full = (r.registration.pk, Kind.FULL) in claimed
        has_unit = (r.registration.pk, Kind.UNIT) in claimed
        if r.full_ready and not has_full:
            full.append(r)
        if r.unit_ready and not has_unit:
            unit.append(r)
        if not (r.full_ready or r.unit_ready or has_full or has_unit):
            waiting.append(r)
    return full, unit, waiting
