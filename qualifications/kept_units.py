"""The catalogue's rows of a qualification's units (outcomes, criteria, range and knowledge
items), as plain data kept in the process under the qualification's revision.

The pages an assessor and a learner open most (the review and mapping pages' criteria picker,
unit progress) show every item of a learner's units: five queries of catalogue rows on every
request, for rows that change only when the catalogue is edited. As the rules of combination
are (decision 18), they are kept per qualification and `revision`, which every save or delete
of these rows renews (`qualifications.revisions`): the qualification row the page has read
anyway says whether the kept rows are still the database's.

Only the qualification's own units (its memberships, read with the rows) are kept under its
revision, since an edit of a unit renews the revisions of the qualifications using it. A unit
planned on a registration but no longer part of its qualification is read afresh every time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from qualifications.models import (
    Criterion,
    KnowledgeItem,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    RangeItem,
    Terminology,
    Unit,
)
from qualifications.requirements import (
    EnvironmentRule,
    EvidenceKindRule,
    EvidenceRequirement,
    MethodRule,
    SimulationRule,
    SufficiencyRule,
)


@dataclass(frozen=True)
class OutcomeRow:
    pk: int
    number: str
    text: str


@dataclass(frozen=True)
class CriterionRow:
    pk: int
    outcome: int
    number: str
    text: str


@dataclass(frozen=True)
class RangeRow:
    pk: int
    element: str
    category: str
    number: str
    heading: str
    text: str

    @property
    def reference(self) -> str:
        """As `RangeItem.reference`: "1a(ii)"."""
        return f"{self.element}{self.category}({self.number})"


@dataclass(frozen=True)
class KnowledgeRow:
    pk: int
    number: str
    text: str


@dataclass(frozen=True)
class UnitRows:
    """A unit and its items, each kind in the specification's order. Immutable: one is shared by
    every request of the process."""

    pk: int
    code: str
    title: str
    uses_elements: bool
    outcomes: tuple[OutcomeRow, ...]
    criteria: tuple[CriterionRow, ...]
    range_items: tuple[RangeRow, ...]
    knowledge_items: tuple[KnowledgeRow, ...]


# qualification id -> (the revision read at, its units' ids, the rows of those read so far).
_kept: dict[int, tuple[uuid.UUID, frozenset[int], dict[int, UnitRows]]] = {}


def units_rows(qualification: Qualification, unit_ids: Iterable[int]) -> list[UnitRows]:
    """The units given (by code) with their items, as of the revision on the row given: the
    qualification's own units are read once a revision, others every time."""
    ids = set(unit_ids)
    kept = _kept.get(qualification.pk)
    if kept is None or kept[0] != qualification.revision:
        members = frozenset(
            QualificationUnit.objects.filter(qualification=qualification).values_list(
                "unit_id", flat=True
            )
        )
        # Every unit of the qualification at once: one reading a revision, whatever units the
        # next pages ask for.
        kept = (qualification.revision, members, read_units(members))
        _kept[qualification.pk] = kept
    _, members, rows = kept
    found = {pk: rows[pk] for pk in ids & members if pk in rows}
    found.update(read_units(ids - found.keys()) if ids - found.keys() else {})
    return sorted(found.values(), key=lambda u: (u.code, u.pk))


def forget_units() -> None:
    """Drop every kept row (the tests do, as for the kept rules)."""
    _kept.clear()
    _kept_how.clear()


def read_units(ids: Iterable[int]) -> dict[int, UnitRows]:
    """The units' rows as the database holds them now: five queries."""
    ids = list(ids)
    outcomes: dict[int, list[OutcomeRow]] = {pk: [] for pk in ids}
    criteria: dict[int, list[CriterionRow]] = {pk: [] for pk in ids}
    ranges: dict[int, list[RangeRow]] = {pk: [] for pk in ids}
    knowledge: dict[int, list[KnowledgeRow]] = {pk: [] for pk in ids}
    in_order = ("position", "pk")
    for pk, unit, number, text in (
        LearningOutcome.objects.filter(unit__in=ids)
        .order_by(*in_order)
        .values_list("pk", "unit", "number", "text")
    ):
        outcomes[unit].append(OutcomeRow(pk, number, text))
    for pk, unit, outcome, number, text in (
        Criterion.objects.filter(unit__in=ids)
        .order_by(*in_order)
        .values_list("pk", "unit", "outcome", "number", "text")
    ):
        criteria[unit].append(CriterionRow(pk, outcome, number, text))
    for pk, unit, *rest in (
        RangeItem.objects.filter(unit__in=ids)
        .order_by(*in_order)
        .values_list("pk", "unit", "element", "category", "number", "heading", "text")
    ):
        ranges[unit].append(RangeRow(pk, *rest))
    for pk, unit, number, text in (
        KnowledgeItem.objects.filter(unit__in=ids)
        .order_by(*in_order)
        .values_list("pk", "unit", "number", "text")
    ):
        knowledge[unit].append(KnowledgeRow(pk, number, text))
    return {
        pk: UnitRows(
            pk,
            code,
            title,
            terminology == Terminology.ELEMENTS,
            tuple(outcomes[pk]),
            tuple(criteria[pk]),
            tuple(ranges[pk]),
            tuple(knowledge[pk]),
        )
        for pk, code, title, terminology in Unit.objects.filter(pk__in=ids).values_list(
            "pk", "code", "title", "terminology"
        )
    }


@dataclass(frozen=True)
class HowAssessed:
    """How a unit must be assessed, in the specification's words (decision 48): its evidence
    requirements, how much evidence, where simulation is allowed, and which kinds of evidence
    and methods are required or allowed, as the unit page lists them. Immutable: shared by
    every request of the process."""

    requirements: tuple[EvidenceRequirement, ...]
    sufficiency: tuple[SufficiencyRule, ...]
    simulation: tuple[SimulationRule, ...]
    kinds: tuple[EvidenceKindRule, ...] = ()
    methods: tuple[MethodRule, ...] = ()
    # Evidence from a realistic working environment accepted as real work (decision 51).
    environment: tuple[EnvironmentRule, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.requirements or self.sufficiency or self.simulation or self.kinds or self.methods
        )


# (qualification id, unit id) -> (the revision read at, the unit's rules of assessment).
_kept_how: dict[tuple[int, int], tuple[uuid.UUID, HowAssessed]] = {}


def how_assessed(qualification: Qualification, unit_id: int) -> HowAssessed:
    """The unit's rules of assessment, kept under the qualification's revision as its rows are
    (a save or delete of a rule renews it); a unit no longer the qualification's (not among the
    members `units_rows` kept) is read every time."""
    kept = _kept.get(qualification.pk)
    if kept is None or kept[0] != qualification.revision:
        # Which units are the qualification's is read with their rows, once a revision: a page
        # asking only for rules (the sign-off page) read them afresh on every request otherwise,
        # six queries each time it asked.
        units_rows(qualification, ())
        kept = _kept[qualification.pk]
    member = unit_id in kept[1]
    found = _kept_how.get((qualification.pk, unit_id))
    if member and found is not None and found[0] == qualification.revision:
        return found[1]
    rules = HowAssessed(
        tuple(EvidenceRequirement.objects.filter(unit_id=unit_id)),
        tuple(SufficiencyRule.objects.filter(unit_id=unit_id)),
        tuple(SimulationRule.objects.filter(unit_id=unit_id)),
        tuple(EvidenceKindRule.objects.filter(unit_id=unit_id)),
        tuple(MethodRule.objects.filter(unit_id=unit_id)),
        tuple(EnvironmentRule.objects.filter(unit_id=unit_id)),
    )
    if member:
        _kept_how[qualification.pk, unit_id] = (qualification.revision, rules)
    return rules
