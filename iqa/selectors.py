"""What IQA says about a registration's units, for claims and pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from assessment.models import UnitSignOff
from iqa.models import Action, ActionStatus, PlanItem, Sample, Stage
from portfolios.models import PriorLearning, Registration

OPEN_ACTION = "An IQA action on {unit} is still open."
NOT_SAMPLED = "{unit} is planned for summative IQA sampling and has not been sampled yet."
AWAITING_COUNTERSIGNATURE = (
    "{unit} has been sampled for summative IQA, and the sample awaits a qualified IQA's "
    "countersignature."
)


def claim_blockers(registration: Registration) -> dict[int, str]:
    """Units that cannot be claimed yet, by unit id, with the reason in words: an IQA action
    not closed, or a summative sample planned and not done."""
    return claim_blockers_of([registration]).get(registration.pk, {})


def claim_blockers_of(registrations: Iterable[Registration]) -> dict[int, dict[int, str]]:
    """claim_blockers for many registrations in three queries, by registration id. A unit
    whose summative samples all await a countersignature (decision 49) is held back as one
    not sampled is, and says so."""
    return iqa_holds([r.pk for r in registrations])[0]


def iqa_holds(ids: list[int]) -> tuple[dict[int, dict[int, str]], set[tuple[int, int]]]:
    """`claim_blockers_of` the registrations `ids`, and the (registration, unit) pairs with a
    summative sample that counts (not waiting for a countersignature), read in the same three
    queries."""
    blockers: dict[int, dict[int, str]] = defaultdict(dict)
    for registration_id, unit_id, code in (
        Action.objects.filter(sample__registration__in=ids)
        .exclude(status=ActionStatus.CLOSED)
        .values_list("sample__registration_id", "sample__unit_id", "sample__unit__code")
        .distinct()
    ):
        blockers[registration_id][unit_id] = OPEN_ACTION.format(unit=code)
    sampled: set[tuple[int, int]] = set()
    provisional: set[tuple[int, int]] = set()
    for registration_id, unit_id, waits in (
        Sample.objects.filter(registration__in=ids, stage=Stage.SUMMATIVE)
        .values_list("registration_id", "unit_id", "provisional")
        .distinct()
    ):
        (provisional if waits else sampled).add((registration_id, unit_id))
    # A unit met through RPL or an exemption (decision 50) has no assessor's decisions to
    # sample: an item planned for it (the unit was signed off, unlocked, then met so) waits
    # for nothing (decision 54).
    prior = PriorLearning.objects.in_force().filter(
        registration=OuterRef("registration"), unit=OuterRef("unit")
    )
    for registration_id, unit_id, code in (
        PlanItem.objects.filter(registration__in=ids, stage=Stage.SUMMATIVE)
        .exclude(Exists(prior))
        .values_list("registration_id", "unit_id", "unit__code")
    ):
        if (registration_id, unit_id) not in sampled:
            said = (
                AWAITING_COUNTERSIGNATURE
                if (registration_id, unit_id) in provisional
                else NOT_SAMPLED
            )
            blockers[registration_id].setdefault(unit_id, said.format(unit=code))
    return dict(blockers), sampled


def quality_assured(registration: Registration) -> set[int]:
    """Units with a summative sample and no action left open on any of their samples."""
    blockers, sampled = iqa_holds([registration.pk])
    return _assured(registration, blockers, sampled)


def _assured(
    registration: Registration,
    blockers: dict[int, dict[int, str]],
    sampled: set[tuple[int, int]],
) -> set[int]:
    held = blockers.get(registration.pk, {})
    return {unit for pk, unit in sampled if pk == registration.pk and unit not in held}


def unit_claim_states(registration: Registration) -> list[tuple[str, str, str]]:
    """Each achieved unit of the registration: (code, title, state in words) as far as IQA is
    concerned. A unit is claimable when nothing in IQA holds it back. Its blockers and its units
    sampled are read once for both (`iqa_holds`)."""
    holds, sampled = iqa_holds([registration.pk])
    blockers = holds.get(registration.pk, {})
    assured = _assured(registration, holds, sampled)
    states = []
    for sign_off in (
        UnitSignOff.objects.achieved().filter(registration=registration).select_related("unit")
    ):
        unit = sign_off.unit
        if unit.pk in blockers:
            state = f"Not claimable: {blockers[unit.pk]}"
        elif unit.pk in assured:
            state = "Claimable: internally quality assured"
        else:
            state = "Claimable: not planned for sampling"
        states.append((unit.code, unit.title, state))
    return states
