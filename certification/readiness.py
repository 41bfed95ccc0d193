"""Whether a registration can be claimed, and if not, why: the rules engine and IQA, in words."""

from __future__ import annotations

from dataclasses import dataclass, field

from assessment.models import UnitSignOff
from iqa.selectors import claim_blockers
from portfolios.models import Registration
from qualifications.rules import Verdict, evaluate
from qualifications.rules.adapter import rules_for


@dataclass(frozen=True)
class Readiness:
    registration: Registration
    claimable_units: list[str]  # achieved (signed off and countersigned) and cleared by IQA
    verdict: Verdict
    full_reasons: list[str] = field(default_factory=list)
    unit_reasons: list[str] = field(default_factory=list)

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
    achieved = {
        s.unit_id: s.unit.code
        for s in UnitSignOff.objects.achieved()
        .filter(registration=registration)
        .select_related("unit")
    }
    blockers = claim_blockers(registration)
    claimable = sorted(code for pk, code in achieved.items() if pk not in blockers)
    verdict = evaluate(rules_for(registration.qualification), claimable)
    held = [reason for pk, reason in blockers.items() if pk in achieved]
    full = [r.message for r in verdict.unmet] + held
    if not verdict.eligible and not full:
        full = [r.message for r in verdict.rules if not r.met] or ["The rules are not met."]
    unit = [] if claimable else [NO_UNITS]
    if verdict.eligible and not held:
        unit = [FULL_MET]
    return Readiness(registration, claimable, verdict, full, unit)
