"""How far each registration has come: read in a fixed number of queries, whatever its size."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    Expression,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from assessment.models import Decision, Outcome, UnitSignOff
from portal.compiled import compiled_once
from portfolios.models import (
    Evidence,
    Mapping,
    MappingStatus,
    PriorLearning,
    PriorLearningItem,
    PriorLearningKind,
    Registration,
    RegistrationUnit,
)
from portfolios.prior_learning import NONE as NO_PRIOR_LEARNING
from portfolios.prior_learning import (
    PriorStanding,
    prior_learning_of,
    route_with,
    verdict_with,
)
from qualifications.kept_units import CriterionRow, KnowledgeRow, OutcomeRow, RangeRow, UnitRows
from qualifications.models import Criterion
from qualifications.rules import Route, Rules, Verdict
from qualifications.rules.versions import pinned_rules, versions_of


@dataclass(frozen=True)
class Standing:
    """How far a registration has come in criteria met and units achieved, as a caseload shows
    it: no rules of combination, nor evidence counted."""

    registration: Registration
    criteria: int
    met: int
    units: int
    units_achieved: int

    @property
    def percent_met(self) -> int:
        return round(100 * self.met / self.criteria) if self.criteria else 0


@dataclass(frozen=True)
class Counts(Standing):
    """How far a registration has come, in numbers: no rules of combination needed."""

    evidenced: int
    evidence_items: int
    # Of the units achieved, those through RPL; and the units exempt (satisfied without
    # credit, not achieved): the learner's home says so rather than "signed off by your
    # assessor" (decision 54, amended). Given where the caller read them (the learner's home).
    units_rpl: int = field(default=0, kw_only=True)
    units_exempt: int = field(default=0, kw_only=True)

    @property
    def units_signed_off(self) -> int:
        return self.units_achieved - self.units_rpl

    @property
    def percent_evidenced(self) -> int:
        return round(100 * self.evidenced / self.criteria) if self.criteria else 0


@dataclass(frozen=True)
class Progress(Counts):
    """The counts, with the rules of combination's verdict on the units achieved."""

    verdict: Verdict
    route: Route | None  # None where the caller did not ask for it (it costs milliseconds)


# A registration's counts, the codes of its achieved units and those of its plan's.
Tally = tuple[Counts, list[str], list[str]]


def _counted(queryset: QuerySet[Any], counted: str = "pk", distinct: bool = False) -> Coalesce:
    """How many rows (or distinct values of `counted`) `queryset` has, as a correlated subquery
    of a registration query (0 when none): no GROUP BY, so one row per registration."""
    template = "COUNT(DISTINCT %(expressions)s)" if distinct else "COUNT(%(expressions)s)"
    count = Func(F(counted), template=template, output_field=IntegerField())
    return Coalesce(Subquery(queryset.order_by().annotate(n=count).values("n")), 0)


def with_counts(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """The registrations, each with what `Counts` holds but its units and criteria (see
    `counts_of`) annotated, and its newest evidence's time (`last_evidence_at`): one query
    however many registrations, instead of one grouped query per count."""
    return registrations.annotate(**_count_annotations())


# What `with_standing` annotates of `_count_annotations`: what a caseload shows and works its
# status out from (evidence mapped and pieces of evidence, never shown there, are not counted).
STANDING = ("n_met", "n_achieved", "last_evidence_at")


def with_standing(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """The registrations, each with what `Standing` holds but its units and criteria (see
    `standings_of`) annotated, and its newest evidence's time (`last_evidence_at`): the
    subqueries as SQL compiled once per process (`_standing_sql`)."""
    return registrations.annotate(**_standing_sql(connection.vendor))


@functools.cache
def _standing_sql(vendor: str) -> dict[str, RawSQL]:
    """`STANDING`'s subqueries of `_count_annotations`, compiled once per process (and database
    vendor) into the SQL a registration query reads them by: Django resolving, relabelling and
    compiling the five correlated subqueries again for each caseload cost about as much as the
    rest of the assessor's home page's Python, where PostgreSQL runs them in about a millisecond
    for 50 learners. The SQL is the ORM's own, so it says what `_count_annotations` says; it
    refers to the outer registration as the table itself, as every registration query names
    it (tests/assessment/test_caseload_figures.py holds the two to the same figures)."""
    counted = _count_annotations()
    query = Registration.objects.annotate(**{n: counted[n] for n in STANDING}).values(*STANDING)
    compiler = query.query.get_compiler(connection=connection)
    compiler.setup_query()
    return {
        alias: RawSQL(sql, tuple(params), output_field=expression.output_field)
        for expression, (sql, params), alias in compiler.select
        if alias in STANDING
    }


@functools.cache
def _count_annotations() -> dict[str, Any]:
    """Built once: the expressions are copied, never changed, by each query that uses them,
    and building their five querysets cost as much as the rest of the caseload's Python."""
    here = OuterRef("pk")
    return {
        "n_evidenced": _counted(
            Mapping.objects.filter(evidence__registration=here, criterion__isnull=False),
            "criterion",
            distinct=True,
        ),
        "n_met": met_criteria(),
        # Achieved by assessment, or through RPL (decision 50).
        "n_achieved": _counted(UnitSignOff.objects.achieved().filter(registration=here))
        + _counted(
            PriorLearning.objects.in_force().filter(registration=here, kind=PriorLearningKind.RPL)
        ),
        "n_evidence": _counted(Evidence.objects.filter(registration=here)),
        "last_evidence_at": Subquery(
            Evidence.objects.filter(registration=here)
            .order_by("-created_at")
            .values("created_at")[:1]
        ),
    }


def _planned(registrations: Sequence[Registration]) -> dict[int, tuple[int, int]]:
    """Each registration's units and the criteria of those, by registration id: one query, the
    criteria counted once per unit among the registrations' units, then summed over each
    registration's units. Joined to the criteria and counted per registration, PostgreSQL
    counted the criteria of every planned unit again (7,300 rows for a caseload of 50, 3-18 ms);
    this way about 1 ms, and a row per registration, not per unit (their 500 rows cost more
    Python than the rest of the caseload's figures). Written as SQL: the ORM's join of an
    aggregate cost 3,000 Python calls more."""
    ids = [r.pk for r in registrations]
    params: list[Any]
    # As `one_of` writes it: an array on PostgreSQL, a list elsewhere (nothing: no row).
    if connection.vendor == "postgresql":
        among, params = "= ANY(%s::bigint[])", [ids]
    else:
        among, params = f"IN ({', '.join(['%s'] * len(ids))})" if ids else "IN (NULL)", ids
    ru, criterion = RegistrationUnit._meta.db_table, Criterion._meta.db_table
    sql = (
        f"SELECT ru.registration_id, COUNT(*), COALESCE(SUM(c.n), 0) FROM {ru} ru"
        f" LEFT JOIN (SELECT unit_id, COUNT(*) AS n FROM {criterion} WHERE unit_id IN"
        f" (SELECT unit_id FROM {ru} WHERE registration_id {among}) GROUP BY unit_id) c"
        f" ON c.unit_id = ru.unit_id WHERE ru.registration_id {among}"
        " GROUP BY ru.registration_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + params)
        return {pk: (int(units), int(criteria)) for pk, units, criteria in cursor.fetchall()}


NONE_PLANNED = (0, 0)


def standings_of(registrations: Sequence[Registration]) -> list[Standing]:
    """The standings of registrations read through `with_standing` (or `with_counts`); one
    more query for their units and criteria."""
    planned = _planned(registrations)
    standings = []
    for r in registrations:
        units, criteria = planned.get(r.pk, NONE_PLANNED)
        standings.append(
            Standing(
                registration=r,
                criteria=criteria,
                met=r.n_met,  # type: ignore[attr-defined]
                units=units,
                units_achieved=r.n_achieved,  # type: ignore[attr-defined]
            )
        )
    return standings


def met_criteria() -> Expression:
    """How many criteria of a registration are met by a current decision that counts (not
    waiting for a countersignature), or through RPL (decision 54: once, whatever a decision
    on it says), as a subquery of a registration query."""
    met = Decision.objects.filter(
        registration=OuterRef("pk"),
        current=True,
        outcome=Outcome.MET,
        provisional=False,
        criterion__isnull=False,
    )
    decided = Decision.objects.filter(
        registration=OuterRef("registration"),
        criterion=OuterRef("criterion"),
        current=True,
        outcome=Outcome.MET,
        provisional=False,
    )
    by_rpl = (
        PriorLearningItem.objects.in_force()
        .filter(registration=OuterRef("pk"), criterion__isnull=False)
        .exclude(Exists(decided))
    )
    return _counted(met, "criterion", distinct=True) + _counted(by_rpl)


def counts_of(registrations: Sequence[Registration]) -> list[Counts]:
    """The counts of registrations read through `with_counts`, without reading or applying any
    qualification's rules; one more query for their units and criteria (`_planned`)."""
    planned = _planned(registrations)
    counts = []
    for r in registrations:
        units, criteria = planned.get(r.pk, NONE_PLANNED)
        counts.append(
            Counts(
                registration=r,
                criteria=criteria,
                evidenced=r.n_evidenced,  # type: ignore[attr-defined]
                met=r.n_met,  # type: ignore[attr-defined]
                units=units,
                units_achieved=r.n_achieved,  # type: ignore[attr-defined]
                evidence_items=r.n_evidence,  # type: ignore[attr-defined]
            )
        )
    return counts


def progress_of(
    registrations: Sequence[Registration], *, with_route: bool = True
) -> list[Progress]:
    """Progress for several registrations: a fixed number of counting queries in all, plus the
    rules of each distinct qualification and the rules versions they are pinned to, where the
    process has not kept them yet."""
    return judged(_tally(registrations), with_route=with_route)


def judged(
    tallied: Sequence[Tally],
    *,
    with_route: bool = True,
    prior: dict[int, PriorStanding] | None = None,
) -> list[Progress]:
    """Each registration's counts with the rules of combination's verdict on its achieved
    units and its RPL and exemptions (`prior`, read here when not given), and the shortest
    route (`with_route`): the rules of each distinct qualification and the versions they are
    pinned to read where the process has not kept them yet."""
    rules: dict[int, Rules] = {}
    versions = versions_of(counts.registration.pinned_rules_id for counts, _, _ in tallied)
    result = []
    if prior is None:
        prior = prior_learning_of(counts.registration.pk for counts, _, _ in tallied)
    for counts, achieved, plan in tallied:
        registration = counts.registration
        if registration.pinned_rules_id not in rules:
            rules[registration.pinned_rules_id] = pinned_rules(
                registration.qualification, registration.pinned_rules_id, versions
            )
        these = rules[registration.pinned_rules_id]
        held = prior.get(registration.pk, NO_PRIOR_LEARNING)
        result.append(
            Progress(
                **{f.name: getattr(counts, f.name) for f in fields(Counts)},
                # Signed off and countersigned, or through RPL; exemptions without credit.
                verdict=verdict_with(these, achieved, held),
                route=route_with(these, achieved, plan, held) if with_route else None,
            )
        )
    return result


def _tally(registrations: Sequence[Registration]) -> list[Tally]:
    """Each registration's counts, with the codes of its achieved and its planned units."""
    ids = [r.pk for r in registrations]
    counted = with_counts(Registration.objects.filter(pk__in=ids)).only("pk")
    by_id = {c.registration.pk: c for c in counts_of(list(counted))}
    achieved: dict[int, list[str]] = {}
    for registration_id, code in (
        UnitSignOff.objects.achieved()
        .filter(registration__in=ids)
        .values_list("registration", "unit__code")
    ):
        achieved.setdefault(registration_id, []).append(code)
    plans = plans_of(ids)
    return [
        (
            replace(by_id[r.pk], registration=r),
            achieved.get(r.pk, []),
            plans.get(r.pk, Plan()).codes,
        )
        for r in registrations
    ]


@dataclass(frozen=True)
class Plan:
    """The units of a registration's plan (their codes) and how many criteria they have."""

    codes: list[str] = field(default_factory=list)
    criteria: int = 0


def plans_of(ids: Sequence[int]) -> dict[int, Plan]:
    """The plans of the registrations with these ids: one grouped query, each planned unit with
    its criteria counted (per registration, as `counts_of` counts them)."""
    codes: dict[int, list[str]] = {}
    criteria: dict[int, int] = {}
    for _, registration_id, code, n in (
        RegistrationUnit.objects.filter(registration__in=ids)
        .values_list("pk", "registration", "unit__code")
        .annotate(criteria=Count("unit__criteria"))
        .order_by("registration", "-mandatory", "unit__code")
    ):
        codes.setdefault(registration_id, []).append(code)
        criteria[registration_id] = criteria.get(registration_id, 0) + n
    return {r: Plan(codes[r], criteria[r]) for r in codes}


class CriterionState:
    NO_EVIDENCE = "No evidence yet"
    PROPOSED = "Evidence proposed"
    CONFIRMED = "Evidence confirmed by the assessor"
    NOT_YET = "Not yet met"
    PENDING = "Met, awaiting countersignature"
    MET = "Met"
    # Met through recognition of prior learning, with no decision (decision 54).
    RPL = "Met through RPL (prior learning)"


@dataclass(frozen=True)
class EvidenceLink:
    """A piece of evidence behind an item, as the unit page links to it."""

    pk: int
    title: str


@dataclass(frozen=True)
class Rejected:
    """Evidence the assessor did not accept for an item, and what they said about it."""

    evidence: EvidenceLink
    feedback: str


@dataclass(frozen=True)
class CriterionProgress:
    criterion: CriterionRow
    state: str
    evidence: list[EvidenceLink]
    feedback: str = ""  # the current decision's feedback to the learner
    rejected: list[Rejected] = field(default_factory=list)


@dataclass(frozen=True)
class ItemProgress:
    kind: str  # "range_item" or "knowledge_item", as in the history address
    item: RangeRow | KnowledgeRow
    label: str
    state: str
    feedback: str = ""
    rejected: list[Rejected] = field(default_factory=list)


@dataclass(frozen=True)
class UnitProgress:
    """A unit of a registration: each outcome with its criteria, then (a CVQ's) range and
    knowledge items, which must be met too, each with its state."""

    outcomes: list[tuple[OutcomeRow, list[CriterionProgress]]]
    other_items: list[ItemProgress]


def unit_progress(registration: Registration, unit: UnitRows) -> UnitProgress:
    """The unit's items (from the catalogue's rows kept per revision) with their states, the
    feedback of their current decisions, the evidence behind the criteria and the evidence the
    assessor did not accept (with why): two queries, the current decisions and the mappings on
    the unit's items, by the items' ids (no join to the catalogue, which cost more to plan than
    to run)."""
    ids = (
        registration.pk,
        [c.pk for c in unit.criteria],
        [r.pk for r in unit.range_items],
        [k.pk for k in unit.knowledge_items],
    )
    decided = decided_with_rpl(_unit_decided(*ids))
    found: dict[Key, list[tuple[str, EvidenceLink]]] = {}
    rejected: dict[Key, list[Rejected]] = {}
    for c, r, k, status, feedback, *link in _unit_mappings(*ids):
        if status == MappingStatus.REJECTED:
            rejected.setdefault((c, r, k), []).append(Rejected(EvidenceLink(*link), feedback))
        else:
            found.setdefault((c, r, k), []).append((status, EvidenceLink(*link)))
    return UnitProgress(
        criteria_progress(unit, decided, found, rejected),
        other_progress(unit, decided, found, rejected),
    )


def _items(criteria: list[int], ranges: list[int], knowledge: list[int]) -> Q:
    return (
        Q(criterion_id__in=criteria)
        | Q(range_item_id__in=ranges)
        | Q(knowledge_item_id__in=knowledge)
    )


TARGET = ("criterion_id", "range_item_id", "knowledge_item_id")


# `unit_progress`'s two queries, by SQL compiled once per process (`portal.compiled`, one for
# each length of the lists of items, made up to a power of two): Django built them, a union and
# a join with three lists of ids, on every view of a unit.
@compiled_once
def _unit_decided(
    registration_id: int, criteria: list[int], ranges: list[int], knowledge: list[int]
) -> QuerySet[Any]:
    items = _items(criteria, ranges, knowledge)
    return (
        Decision.objects.filter(items, registration_id=registration_id, current=True)
        .order_by()
        .values_list(*TARGET, "outcome", "provisional", "feedback")
        .union(rpl_rows(PriorLearningItem.objects.filter(items, registration_id=registration_id)))
    )


@compiled_once
def _unit_mappings(
    registration_id: int, criteria: list[int], ranges: list[int], knowledge: list[int]
) -> QuerySet[Any]:
    return (
        Mapping.objects.filter(
            _items(criteria, ranges, knowledge), evidence__registration_id=registration_id
        )
        .order_by("evidence__occurred_on", "pk")
        .values_list(*TARGET, "status", "feedback", "evidence_id", "evidence__title")
    )


Key = tuple[int | None, int | None, int | None]


@dataclass(frozen=True)
class Decided:
    state: str
    feedback: str


NOT_DECIDED = Decided("", "")
MET_BY_RPL = Decided(CriterionState.RPL, "")
BY_RPL = "rpl"  # the outcome column of an item's RPL among the current decisions read with it


def rpl_rows(records: QuerySet[PriorLearningItem]) -> QuerySet[Any]:
    """Items met through RPL in force (decision 54), as rows shaped like a current decision's
    (item, outcome, provisional, feedback), to read in the decisions' statement (`UNION`)."""
    return (
        records.in_force()  # type: ignore[attr-defined]
        .order_by()
        .values_list(
            "criterion_id",
            "range_item_id",
            "knowledge_item_id",
            Value(BY_RPL, output_field=CharField()),
            Value(False, output_field=BooleanField()),
            Value("", output_field=TextField()),
        )
    )


def decided_with_rpl(rows: Iterable[tuple[Any, ...]]) -> dict[Key, Decided]:
    """Each item's state from its current decision, or met through RPL, whatever a decision
    on it says (decision 54)."""
    decided: dict[Key, Decided] = {}
    by_rpl: list[Key] = []
    for c, r, k, outcome, provisional, feedback in rows:
        if outcome == BY_RPL:
            by_rpl.append((c, r, k))
        else:
            decided[(c, r, k)] = Decided(state_of(outcome, provisional), feedback)
    decided.update(dict.fromkeys(by_rpl, MET_BY_RPL))
    return decided


def criteria_progress(
    unit: UnitRows,
    decided: dict[Key, Decided],
    found: dict[Key, list[tuple[str, EvidenceLink]]],
    rejected: dict[Key, list[Rejected]],
) -> list[tuple[OutcomeRow, list[CriterionProgress]]]:
    rows: dict[int, list[CriterionProgress]] = {o.pk: [] for o in unit.outcomes}
    for criterion in unit.criteria:
        key = (criterion.pk, None, None)
        mapped = found.get(key, [])
        decision = decided.get(key, NOT_DECIDED)
        state = decision.state or (
            CriterionState.CONFIRMED
            if any(status == MappingStatus.CONFIRMED for status, _ in mapped)
            else CriterionState.PROPOSED
            if mapped
            else CriterionState.NO_EVIDENCE
        )
        progress = CriterionProgress(
            criterion,
            state,
            [link for _, link in mapped],
            decision.feedback,
            rejected.get(key, []),
        )
        rows[criterion.outcome].append(progress)
    return [(o, rows[o.pk]) for o in unit.outcomes]


def other_progress(
    unit: UnitRows,
    decided: dict[Key, Decided],
    found: dict[Key, list[tuple[str, EvidenceLink]]],
    rejected: dict[Key, list[Rejected]],
) -> list[ItemProgress]:
    rows = []
    labelled: list[tuple[str, RangeRow | KnowledgeRow, str, Key]] = [
        ("range_item", r, f"Range {r.reference}", (None, r.pk, None)) for r in unit.range_items
    ] + [("knowledge_item", k, f"K{k.number}", (None, None, k.pk)) for k in unit.knowledge_items]
    for kind, item, label, key in labelled:
        decision = decided.get(key, NOT_DECIDED)
        state = decision.state or _evidence_state(key in found)
        rows.append(
            ItemProgress(kind, item, label, state, decision.feedback, rejected.get(key, []))
        )
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
