"""Where each unit of a learner's plan stands, for the registration's page: achieved, signed off
and waiting for the learner's countersignature, in progress (how many of its items are met), or
not started.

The decisions and sign-offs that say so belong to `assessment`, a floor above: they are read
through the registration's reverse relations (`decisions`, `sign_offs`: decision 11), with
its RPL and exemptions (`prior_learning`, decision 50), and the items met through RPL
(decision 54), in five queries whatever the plan (three where the page has read the RPL already),
with the kept catalogue rows for the number of items and the units of the items decided and
mapped. The words and
their meaning are the tracker's (`assessment/tracker.py` imports `UnitState` from here), so the
two pages never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portfolios.models import (
    Mapping,
    MappingStatus,
    PriorLearning,
    PriorLearningItem,
    Registration,
)
from qualifications.kept_units import UnitRows, units_rows

# `assessment.models.Outcome.MET`, which this floor may not import.
MET = "met"


class UnitState:
    ACHIEVED = "Achieved"
    # Met by what the learner learned or achieved before (decision 50): the engine's words.
    RPL = "Achieved through recognition of prior learning (RPL)"
    EXEMPT = "Exempt: satisfies the requirement, earns no credit"
    AWAITING_LEARNER = "Signed off, awaiting the learner's countersignature"
    # Signed off by a trainee or an assessor out of scope (decision 53).
    AWAITING_ASSESSOR = "Signed off provisionally, awaiting a qualified assessor's countersignature"
    IN_PROGRESS = "In progress"
    NOT_STARTED = "Not started"


# `PriorLearningKind`'s values -> the state they give a unit.
PRIOR_STATES = {"rpl": UnitState.RPL, "exemption": UnitState.EXEMPT}

UNIT_BADGES = {
    UnitState.ACHIEVED: "text-bg-success",
    UnitState.RPL: "text-bg-success",
    UnitState.EXEMPT: "text-bg-secondary",
    UnitState.AWAITING_LEARNER: "text-bg-warning",
    UnitState.AWAITING_ASSESSOR: "text-bg-warning",
    UnitState.IN_PROGRESS: "text-bg-info",
    UnitState.NOT_STARTED: "text-bg-light border",
}


# A sign-off in force that awaits an assessor's countersignature, where the learner's
# countersignature (a time, or None) is otherwise kept.
PROVISIONAL = "provisional"


def signed_state(learner_signed: object) -> str:
    """A signed-off unit's state: `learner_signed` is the learner's countersignature (a time,
    or None) or PROVISIONAL."""
    if learner_signed == PROVISIONAL:
        return UnitState.AWAITING_ASSESSOR
    return UnitState.ACHIEVED if learner_signed else UnitState.AWAITING_LEARNER


@dataclass(frozen=True)
class UnitStanding:
    state: str  # a UnitState
    met: int  # items met by a decision that counts (not provisional)
    items: int  # criteria, range and knowledge items

    @property
    def badge(self) -> str:
        return UNIT_BADGES[self.state]

    @property
    def words(self) -> str:
        if self.state == UnitState.IN_PROGRESS:
            return f"In progress: {self.met} of {self.items} items met"
        return self.state


def item_count(unit: UnitRows) -> int:
    return len(unit.criteria) + len(unit.range_items) + len(unit.knowledge_items)


def unit_standings(
    registration: Registration,
    unit_ids: list[int],
    *,
    prior_records: Sequence[PriorLearning] | None = None,
    item_records: Sequence[PriorLearningItem] | None = None,
) -> dict[int, UnitStanding]:
    """Each planned unit's standing, by unit id: the sign-offs in force, the current decisions
    (whether they count) and the evidence mapped (not rejected), each read as the ids of their
    items, whose units the kept catalogue rows say: no join to the catalogue, which Django took
    longer to build than PostgreSQL to run. `prior_records` and `item_records`: the
    registration's RPL and exemptions of units and RPL of items, every one (in force and
    withdrawn), where the page has read them already (`records_of`, `item_records_of`); each is
    read here otherwise."""
    signed: dict[int, object] = {}
    for unit_id, at, provisional in registration.sign_offs.filter(  # type: ignore[attr-defined]
        unlocked_at__isnull=True
    ).values_list("unit_id", "learner_signed_at", "provisional"):
        signed[unit_id] = PROVISIONAL if provisional else at
    units = units_rows(registration.qualification, unit_ids)
    # Each item's unit by the row that names it, (criterion, range item, knowledge item) of
    # which exactly one is set: a decision or mapping's row is looked up as it is read (a
    # thousand of them for a learner midway).
    unit_of_item: dict[tuple[int | None, int | None, int | None], int] = {}
    for unit in units:
        unit_of_item.update(((c.pk, None, None), unit.pk) for c in unit.criteria)
        unit_of_item.update(((None, r.pk, None), unit.pk) for r in unit.range_items)
        unit_of_item.update(((None, None, k.pk), unit.pk) for k in unit.knowledge_items)

    def unit_of_row(criterion: int | None, range_item: int | None, knowledge: int | None) -> int:
        return unit_of_item.get((criterion, range_item, knowledge), 0)  # 0: of no planned unit

    met_items: set[tuple[int | None, int | None, int | None]] = set()
    started: set[int] = set()
    items = ("criterion_id", "range_item_id", "knowledge_item_id")
    current = registration.decisions.filter(current=True).order_by()  # type: ignore[attr-defined]
    for c, r, k, outcome, provisional in current.values_list(*items, "outcome", "provisional"):
        started.add(unit_of_row(c, r, k))
        if outcome == MET and not provisional:
            met_items.add((c, r, k))
    # Items met through RPL count as met (decision 54), once whatever a decision says.
    if item_records is None:
        by_rpl = registration.prior_learning_items.filter(withdrawn_at__isnull=True).order_by()  # type: ignore[attr-defined]
        met_items.update(by_rpl.values_list(*items))
    else:
        met_items.update(
            (r.criterion_id, r.range_item_id, r.knowledge_item_id)
            for r in item_records
            if r.withdrawn_at is None
        )
    met: dict[int, int] = {}
    for item in met_items:
        unit_id = unit_of_row(*item)
        started.add(unit_id)
        met[unit_id] = met.get(unit_id, 0) + 1
    mapped = Mapping.objects.filter(evidence__registration=registration).exclude(
        status=MappingStatus.REJECTED
    )
    started.update(unit_of_row(*item) for item in mapped.order_by().values_list(*items))
    if prior_records is None:
        prior = dict(
            registration.prior_learning.filter(withdrawn_at__isnull=True).values_list(  # type: ignore[attr-defined]
                "unit_id", "kind"
            )
        )
    else:
        prior = {r.unit_id: r.kind for r in prior_records if r.withdrawn_at is None}
    standings = {}
    for unit in units:
        if unit.pk in prior:
            state = PRIOR_STATES[prior[unit.pk]]
        elif unit.pk in signed:
            state = signed_state(signed[unit.pk])
        elif unit.pk in started:
            state = UnitState.IN_PROGRESS
        else:
            state = UnitState.NOT_STARTED
        standings[unit.pk] = UnitStanding(state, met.get(unit.pk, 0), item_count(unit))
    return standings
