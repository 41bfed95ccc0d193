"""How far each registration has come: read in a fixed number of queries, whatever its size."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Mapping as Mapping_
from dataclasses import dataclass, fields
from typing import Any

from django.db.models import Count, Q

from assessment.models import Decision, Outcome, UnitSignOff
from portfolios.models import Evidence, Mapping, MappingStatus, Registration, RegistrationUnit
from qualifications.kept_units import CriterionRow, KnowledgeRow, OutcomeRow, RangeRow, UnitRows
from qualifications.rules import Route, Rules, Verdict, evaluate, shortest_route
from qualifications.rules.adapter import rules_for


@dataclass(frozen=True)
class Counts:
    """How far a registration has come, in numbers: no rules of combination needed."""

    registration: Registration
    criteria: int
    evidenced: int
    met: int
    units: int
    units_achieved: int
    evidence_items: int

    @property
    def percent_evidenced(self) -> int:
        return round(100 * self.evidenced / self.criteria) if self.criteria else 0

    @property
    def percent_met(self) -> int:
        return round(100 * self.met / self.criteria) if self.criteria else 0


@dataclass(frozen=True)
class Progress(Counts):
    """The counts, with the rules of combination's verdict on the units achieved."""

    verdict: Verdict
    route: Route | None  # None where the caller did not ask for it (it costs milliseconds)


def per_registration(rows: Iterable[Mapping_[str, Any]], key: str) -> dict[int, int]:
    return {row[key]: row["n"] for row in rows}


def counts_of(registrations: Sequence[Registration]) -> list[Counts]:
    """The counts for several registrations in a fixed number of counting queries, without
    reading or applying any qualification's rules (the caseload needs only these)."""
    return [counts for counts, _, _ in _tally(registrations)]


def progress_of(
    registrations: Sequence[Registration], *, with_route: bool = True
) -> list[Progress]:
    """Progress for several registrations: a fixed number of counting queries in all, plus the
    rules of each distinct qualification."""
    rules: dict[int, Rules] = {}
    result = []
    for counts, achieved, plan in _tally(registrations):
        qualification = counts.registration.qualification
        if qualification.pk not in rules:
            rules[qualification.pk] = rules_for(qualification)
        these = rules[qualification.pk]
        result.append(
            Progress(
                **{f.name: getattr(counts, f.name) for f in fields(Counts)},
                verdict=evaluate(these, achieved),  # signed off and countersigned
                route=shortest_route(these, achieved, chosen=plan) if with_route else None,
            )
        )
    return result


def _tally(registrations: Sequence[Registration]) -> list[tuple[Counts, list[str], list[str]]]:
    """Each registration's counts, with the codes of its achieved and its planned units."""
    ids = [r.pk for r in registrations]
    criteria = per_registration(
        RegistrationUnit.objects.filter(registration__in=ids)
        .values("registration")
        .annotate(n=Count("unit__criteria")),
        "registration",
    )
    evidenced = per_registration(
        Mapping.objects.filter(evidence__registration__in=ids, criterion__isnull=False)
        .values("evidence__registration")
        .annotate(n=Count("criterion", distinct=True)),
        "evidence__registration",
    )
    met = per_registration(
        Decision.objects.filter(
            registration__in=ids,
            current=True,
            outcome=Outcome.MET,
            provisional=False,
            criterion__isnull=False,
        )
        .values("registration")
        .annotate(n=Count("criterion", distinct=True)),
        "registration",
    )
    items = per_registration(
        Evidence.objects.filter(registration__in=ids)
        .values("registration")
        .annotate(n=Count("pk")),
        "registration",
    )
    achieved: dict[int, list[str]] = {}
    for registration_id, code in (
        UnitSignOff.objects.achieved()
        .filter(registration__in=ids)
        .values_list("registration", "unit__code")
    ):
        achieved.setdefault(registration_id, []).append(code)
    plans: dict[int, list[str]] = {}
    for registration_id, code in RegistrationUnit.objects.filter(registration__in=ids).values_list(
        "registration", "unit__code"
    ):
        plans.setdefault(registration_id, []).append(code)
    return [
        (
            Counts(
                registration=r,
                criteria=criteria.get(r.pk, 0),
                evidenced=evidenced.get(r.pk, 0),
                met=met.get(r.pk, 0),
                units=len(plans.get(r.pk, [])),
                units_achieved=len(achieved.get(r.pk, [])),
                evidence_items=items.get(r.pk, 0),
            ),
            achieved.get(r.pk, []),
            plans.get(r.pk, []),
        )
        for r in registrations
    ]


class CriterionState:
    NO_EVIDENCE = "No evidence yet"
    PROPOSED = "Evidence proposed"
    CONFIRMED = "Evidence confirmed by the assessor"
    NOT_YET = "Not yet met"
    PENDING = "Met, awaiting countersignature"
    MET = "Met"


@dataclass(frozen=True)
class EvidenceLink:
    """A piece of evidence behind an item, as the unit page links to it."""

    pk: int
    title: str


@dataclass(frozen=True)
class CriterionProgress:
    criterion: CriterionRow
    state: str
    evidence: list[EvidenceLink]


@dataclass(frozen=True)
class ItemProgress:
    kind: str  # "range_item" or "knowledge_item", as in the history address
    item: RangeRow | KnowledgeRow
    label: str
    state: str


@dataclass(frozen=True)
class UnitProgress:
    """A unit of a registration: each outcome with its criteria, then (a CVQ's) range and
    knowledge items, which must be met too, each with its state."""

    outcomes: list[tuple[OutcomeRow, list[CriterionProgress]]]
    other_items: list[ItemProgress]


def unit_progress(registration: Registration, unit: UnitRows) -> UnitProgress:
    """The unit's items (from the catalogue's rows kept per revision) with their states and the
    evidence behind the criteria: two queries, the current decisions and the mappings on the
    unit's items, by the items' ids (no join to the catalogue, which cost more to plan than
    to run)."""
    items = (
        Q(criterion_id__in=[c.pk for c in unit.criteria])
        | Q(range_item_id__in=[r.pk for r in unit.range_items])
        | Q(knowledge_item_id__in=[k.pk for k in unit.knowledge_items])
    )
    target = ("criterion_id", "range_item_id", "knowledge_item_id")
    decided = {
        (c, r, k): state_of(outcome, provisional)
        for c, r, k, outcome, provisional in Decision.objects.filter(
            items, registration=registration, current=True
        ).values_list(*target, "outcome", "provisional")
    }
    found: dict[tuple[int | None, int | None, int | None], list[tuple[str, EvidenceLink]]] = {}
    for c, r, k, status, *link in (
        Mapping.objects.filter(items, evidence__registration=registration)
        .exclude(status=MappingStatus.REJECTED)
        .order_by("evidence__occurred_on")
        .values_list(*target, "status", "evidence_id", "evidence__title")
    ):
        found.setdefault((c, r, k), []).append((status, EvidenceLink(*link)))
    return UnitProgress(
        criteria_progress(unit, decided, found), other_progress(unit, decided, found)
    )


Key = tuple[int | None, int | None, int | None]


def criteria_progress(
    unit: UnitRows, decided: dict[Key, str], found: dict[Key, list[tuple[str, EvidenceLink]]]
) -> list[tuple[OutcomeRow, list[CriterionProgress]]]:
    rows: dict[int, list[CriterionProgress]] = {o.pk: [] for o in unit.outcomes}
    for criterion in unit.criteria:
        key = (criterion.pk, None, None)
        mapped = found.get(key, [])
        state = decided.get(key) or (
            CriterionState.CONFIRMED
            if any(status == MappingStatus.CONFIRMED for status, _ in mapped)
            else CriterionState.PROPOSED
            if mapped
            else CriterionState.NO_EVIDENCE
        )
        progress = CriterionProgress(criterion, state, [link for _, link in mapped])
        rows[criterion.outcome].append(progress)
    return [(o, rows[o.pk]) for o in unit.outcomes]


def other_progress(
    unit: UnitRows, decided: dict[Key, str], found: dict[Key, list[tuple[str, EvidenceLink]]]
) -> list[ItemProgress]:
    rows = []
    for r in unit.range_items:
        key: Key = (None, r.pk, None)
        state = decided.get(key) or _evidence_state(key in found)
        rows.append(ItemProgress("range_item", r, f"Range {r.reference}", state))
    for k in unit.knowledge_items:
        key = (None, None, k.pk)
        state = decided.get(key) or _evidence_state(key in found)
        rows.append(ItemProgress("knowledge_item", k, f"K{k.number}", state))
    return rows


def decision_state(decision: Decision | None) -> str | None:
    if decision is None:
        return None
    return state_of(decision.outcome, decision.provisional)


def state_of(outcome: str, provisional: bool) -> str:
    """A current decision's state, as the pages show it."""
    if outcome != Outcome.MET:
        return CriterionState.NOT_YET
    return CriterionState.PENDING if provisional else CriterionState.MET


def _evidence_state(mapped: bool) -> str:
    return CriterionState.PROPOSED if mapped else CriterionState.NO_EVIDENCE
