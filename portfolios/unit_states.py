"""Where each unit of a learner's plan stands, for the registration's page: achieved, signed off
and waiting for the learner's countersignature, in progress (how many of its items are met), or
not started.

The decisions and sign-offs that say so belong to `assessment`, a floor above: they are read
through the registration's reverse relations (`decisions`, `sign_offs`: decision 11), in three
queries whatever the plan, with the kept catalogue rows for the number of items and the units
of the items decided and mapped. The words and
their meaning are the tracker's (`assessment/tracker.py` imports `UnitState` from here), so the
two pages never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from portfolios.models import Mapping, MappingStatus, Registration
from qualifications.kept_units import UnitRows, units_rows

# `assessment.models.Outcome.MET`, which this floor may not import.
MET = "met"


class UnitState:
    ACHIEVED = "Achieved"
    AWAITING_LEARNER = "Signed off, awaiting the learner's countersignature"
    IN_PROGRESS = "In progress"
    NOT_STARTED = "Not started"


UNIT_BADGES = {
    UnitState.ACHIEVED: "text-bg-success",
    UnitState.AWAITING_LEARNER: "text-bg-warning",
    UnitState.IN_PROGRESS: "text-bg-info",
    UnitState.NOT_STARTED: "text-bg-light border",
}


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


# The fields of the item a mapping or decision is about (one of them is set).
ITEMS = ("criterion_id", "range_item_id", "knowledge_item_id")


def unit_standings(registration: Registration, unit_ids: list[int]) -> dict[int, UnitStanding]:
    """Each planned unit's standing, by unit id: the sign-offs in force, the current decisions
    and whether they count, and the items with evidence mapped (not rejected). The decisions
    and mappings are read as their items' ids and given their units from the kept catalogue
    rows: joined to the catalogue for their units, the two queries took longer to build and
    plan than to run."""
    rows = units_rows(registration.qualification, unit_ids)
    unit_of_item: dict[tuple[int | None, int | None, int | None], int] = {}
    for unit in rows:
        unit_of_item.update({(c.pk, None, None): unit.pk for c in unit.criteria})
        unit_of_item.update({(None, r.pk, None): unit.pk for r in unit.range_items})
        unit_of_item.update({(None, None, k.pk): unit.pk for k in unit.knowledge_items})
    signed = dict(
        registration.sign_offs.filter(unlocked_at__isnull=True).values_list(  # type: ignore[attr-defined]
            "unit_id", "learner_signed_at"
        )
    )
    met: dict[int, int] = {}
    started: set[int] = set()
    for *item, outcome, provisional in registration.decisions.filter(  # type: ignore[attr-defined]
        current=True
    ).values_list(*ITEMS, "outcome", "provisional"):
        unit_id = unit_of_item.get(tuple(item))  # type: ignore[arg-type]
        if unit_id is None:  # an item of a unit not in the plan
            continue
        started.add(unit_id)
        if outcome == MET and not provisional:
            met[unit_id] = met.get(unit_id, 0) + 1
    for item in (
        Mapping.objects.filter(evidence__registration=registration)
        .exclude(status=MappingStatus.REJECTED)
        .values_list(*ITEMS)
        .distinct()
        .order_by()
    ):
        if (unit_id := unit_of_item.get(item)) is not None:
            started.add(unit_id)
    standings = {}
    for unit in rows:
        if unit.pk in signed:
            state = UnitState.ACHIEVED if signed[unit.pk] else UnitState.AWAITING_LEARNER
        elif unit.pk in started:
            state = UnitState.IN_PROGRESS
        else:
            state = UnitState.NOT_STARTED
        standings[unit.pk] = UnitStanding(state, met.get(unit.pk, 0), item_count(unit))
    return standings
