"""What the IQA pages show: plans with their coverage, the unit under sample, the IQA home."""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import (
    Field,
    Model,
    Q,
    QuerySet,
)
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

import iqa.plan_reads as plan_reads
from assessment.models import Decision, UnitSignOff
from competence.models import Practice
from competence.standing import (
    PersonStanding,
    QualificationStanding,
    standing_markup,
    standings,
)
from iqa.forms import StrategyForm
from iqa.models import (
    Action,
    ActionStatus,
    IqaDocument,
    PlanItem,
    Risk,
    Sample,
    SamplingPlan,
    Stage,
)
from iqa.planning import Work
from iqa.services import SIGN_OFF_PROVISIONAL, risk_of
from iqa.work import Piece, pieces_in_period, work_in_period
from portal.compiled import compiled_once, from_row
from portal.compiled_objects import objects_once
from portal.http import PortalRequest
from portal.listing import PER_PAGE
from portal.markup import ESCAPES
from portal.models import Centre, Role, RoleKind, User
from portfolios.models import (
    Evidence,
    EvidenceFile,
    EvidenceMethod,
    Registration,
    closed_reason,
    roles_held,
    still_open,
)
from portfolios.views import centre_qualifications as registered_qualifications
from qualifications.models import (
    Criterion,
    KnowledgeItem,
    Qualification,
    QualificationUnit,
    RangeItem,
    Unit,
)

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Matrix:
    """Rows (assessors) by columns (units or methods): planned work in each cell, and whether
    there was work to plan at all."""

    columns: list[tuple[object, str]]
    rows: list[tuple[str, SafeString]]  # (assessor, the row's cells as shown)


GAP = mark_safe(" <strong>gap</strong>")
NONE = mark_safe('<td class=""><span class="text-body-secondary">—</span></td>')


def cell(planned: int, available: int) -> SafeString:
    """A cell of a coverage matrix as the page shows it (planned of available, and "gap" where
    work was there and nothing is planned): made here, not in the template, since a large
    centre's matrix has hundreds of cells."""
    if not (available or planned):
        return NONE
    gap = bool(available and not planned)
    css = "table-danger" if gap else "table-success" if planned else ""
    # Two counts and constants: nothing to escape, so no format_html for each of the cells.
    return SafeString(
        f'<td class="{css}">{int(planned)} / {int(available)}{GAP if gap else ""}</td>'
    )


@dataclass(frozen=True)
class Coverage:
    """What the plan page shows of the period's work: both matrices, the work not in the plan,
    and the names of the assessors and units they mention."""

    by_units: Matrix
    by_methods: Matrix
    unplanned: list[Piece]
    names: dict[int, str]
    codes: dict[int, str]


class Planned(NamedTuple):
    """What the coverage needs of a plan item, read as a plain row (a tuple: a plan's hundreds
    of items are made from their rows at the cost of one call each)."""

    registration: int
    unit: int
    stage: str
    assessor: int
    methods: list[str]
    pk: int
    by_hand: bool = False

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.registration, self.unit, self.stage)


def item_sorts(
    covered: Coverage, learners: Learners
) -> dict[str, tuple[str, Callable[[Planned], tuple[object, ...]]]]:
    """A plan's items sorted by assessor, learner, unit or stage, from the names already read
    (sorting in the database joined the portal's every registration)."""

    def names(i: Planned) -> tuple[str, str, str]:
        return (
            covered.names.get(i.assessor, ""),
            learners.names.get(i.registration, ""),
            covered.codes.get(i.unit, ""),
        )

    return {
        "assessor": ("Assessor", lambda i: (*names(i), i.stage, i.pk)),
        "learner": ("Learner", lambda i: (names(i)[1], names(i)[2], i.stage, i.pk)),
        "unit": ("Unit", lambda i: (names(i)[2], names(i)[1], i.stage, i.pk)),
        "stage": ("Stage", lambda i: (i.stage, names(i)[0], names(i)[1], i.pk)),
    }


@dataclass(frozen=True)
class Learners:
    """The plan's learners by registration: their names, and why each registration is closed
    ("" while open)."""

    names: dict[int, str]
    closed: dict[int, str]


def plan_learners(items: list[Planned], pieces: list[Piece]) -> Learners:
    """The learners of the plan's items and of the period's work (`plan_pieces`), by
    registration, in one query: what the page names (the items, the work not in the plan) and
    counts (the items' registrations closed). Each name read by the learner's id (joined,
    PostgreSQL read every user of the portal to find them: 7.6 ms against 0.5 ms at a centre of
    1,000), with the registration's status and whether the learner is anonymised
    (`closed_reason`), so that neither the items' progress nor their rows join the registrations
    again. The registrations are named by their ids alone: asked for the centre's and
    qualification's or these, PostgreSQL read every registration of the portal (2.7 ms of the
    page at a centre of 1,000)."""
    found = plan_reads.plan_learners(
        sorted({i.registration for i in items} | {p.registration for p in pieces})
    )  # compiled once per process (`portal.compiled`)
    names, closed = {}, {}
    for pk, full_name, status, is_anonymised in found:
        names[pk], closed[pk] = full_name, closed_reason(status, is_anonymised)
    return Learners(names, closed)


@dataclass(frozen=True)
class ItemRow:
    """A plan item as the plan page lists it: names and links made once, not looked up row by
    row in the template."""

    pk: int
    assessor: str
    learner: str
    unit: str
    stage: str
    by_hand: bool
    methods: str
    sampled: bool
    closed: str  # why the registration takes no more samples, "" while open
    sample_url: str


def item_rows(
    page: Page, covered: Coverage, learners: Learners, sampled: set[int]
) -> list[ItemRow]:
    """The page's plan items, in the page's order, from the names and states already read."""
    items: list[Planned] = list(page)
    stages, labels = dict(Stage.choices), dict(EvidenceMethod.choices)
    link = reverse("iqa:sample-new", args=[0, 0]).replace("/0/units/0/", "/{}/units/{}/")
    return [
        ItemRow(
            pk=i.pk,
            assessor=covered.names.get(i.assessor, ""),
            learner=learners.names.get(i.registration, ""),
            unit=covered.codes.get(i.unit, ""),
            stage=stages.get(i.stage, i.stage),
            by_hand=i.by_hand,
            methods=", ".join(labels.get(m, m) for m in i.methods),
            sampled=i.pk in sampled,
            closed=learners.closed.get(i.registration, ""),
            sample_url=link.format(i.registration, i.unit) + f"?item={i.pk}",
        )
        for i in items
    ]


@dataclass(frozen=True)
class PlanProgress:
    """How far a plan is done, counted as the IQA's to-do list counts it: sampled items, and
    those still to sample (not sampled, on registrations still open); the rest were not sampled
    and their registration has closed (withdrawn, completed), so nothing more is due."""

    planned: int
    sampled: int
    to_sample: int

    @property
    def closed_unsampled(self) -> int:
        return self.planned - self.sampled - self.to_sample


def planned_and_sampled(plan: SamplingPlan) -> tuple[list[Planned], set[int]]:
    """A plan's items, and which of them have been sampled (their ids, by `counts_for_item`),
    in one query, compiled once per process (`portal.compiled`)."""
    items, sampled = [], set()
    decoded: dict[str, list[str]] = {}  # each set of methods' JSON decoded once
    for registration, unit, stage, assessor, text, pk, by_hand, is_sampled in plan_reads.plan_items(
        plan.pk
    ):
        methods = decoded.get(text)
        if methods is None:
            methods = decoded[text] = json.loads(text)
        items.append(Planned(registration, unit, stage, assessor, methods, pk, by_hand))
        if is_sampled:
            sampled.add(pk)
    return items, sampled


def plan_progress(items: list[Planned], sampled: set[int], learners: Learners) -> PlanProgress:
    """How far the plan is done: its items, those sampled, and those still to sample on
    registrations still open (`learners`)."""
    to_sample = sum(
        1 for i in items if i.pk not in sampled and not learners.closed.get(i.registration)
    )
    return PlanProgress(len(items), len(sampled), to_sample)


def plan_work(plan: SamplingPlan) -> list[Work]:
    return work_in_period(plan.centre, plan.qualification, plan.starts_on, plan.ends_on)


def plan_pieces(plan: SamplingPlan) -> list[Piece]:
    """The period's work as the plan page counts it (`plan_work` without what only the planner
    needs, read from the period's lines alone)."""
    return pieces_in_period(plan.centre, plan.qualification, plan.starts_on, plan.ends_on)


PLANNED = plan_reads.PLANNED


def planned(plan: SamplingPlan) -> list[Planned]:
    return [Planned(*row) for row in plan.items.order_by().values_list(*PLANNED)]


def unplanned_work(plan: SamplingPlan) -> list[Work]:
    """The work of the plan's period not yet in the plan."""
    keys = {p.key for p in planned(plan)}
    return [w for w in plan_work(plan) if w.key not in keys]


def unplanned_piece(plan: SamplingPlan, wanted: str) -> Work | None:
    """The piece of the period's work a form names (`work_id`), if it is not in the plan yet:
    read for that learner's unit alone, not for the whole period."""
    found = WORK_ID.fullmatch(wanted)
    if found is None:
        return None
    registration, unit = int(found[1]), int(found[2])
    work = work_in_period(
        plan.centre, plan.qualification, plan.starts_on, plan.ends_on, only=(registration, unit)
    )
    keys = set(plan.items.filter(registration_id=registration, unit_id=unit).order_by().values_list(
        "registration_id", "unit_id", "stage"
    ))  # fmt: skip
    return next((w for w in work if work_id(w) == wanted and w.key not in keys), None)


def coverage(work: list[Piece], items: list[Planned]) -> Coverage:
    """Assessors by units and by methods, and the work of the period not yet in the plan:
    counted from the period's work and the plan's items in one pass each."""
    # Both read by SQL compiled once per process (`portal.compiled`).
    people = dict(
        plan_reads.names(sorted({w.assessor for w in work} | {i.assessor for i in items}))
    )
    units = dict(plan_reads.codes(sorted({w.unit for w in work} | {i.unit for i in items})))
    methods = sorted({m for w in work for m in w.methods} | {m for i in items for m in i.methods})
    labels = dict(EvidenceMethod.choices)
    # By (assessor, unit id) and (assessor, method): one counter serves both matrices.
    available: Counter[tuple[int, object]] = Counter((w.assessor, w.unit) for w in work)
    available += Counter((w.assessor, m) for w in work for m in w.methods)
    done: Counter[tuple[int, object]] = Counter((i.assessor, i.unit) for i in items)
    done += Counter((i.assessor, m) for i in items for m in i.methods)

    def matrix(columns: list[tuple[object, str]]) -> Matrix:
        return Matrix(
            columns,
            [
                (
                    name,
                    SafeString(
                        "".join(cell(done[(person, v)], available[(person, v)]) for v, _ in columns)
                    ),
                )
                for person, name in people.items()
            ],
        )

    keys = {i.key for i in items}
    return Coverage(
        matrix(list(units.items())),
        matrix([(m, labels.get(m, m)) for m in methods]),
        [w for w in work if w.key not in keys],
        people,
        units,
    )


def unit_under_sample(
    registration: Registration, unit: Unit, *, with_decisions: bool = True
) -> dict[str, object]:
    """Everything the IQA looks at: the unit's decisions, with their evidence and feedback.
    Each read by SQL compiled once per process (`portal.compiled`), only the columns the form
    shows: built as querysets, the decisions' five tables and the evidence's `IN` list cost
    more Python than the rest of the page. The decisions as objects (`decisions`) only
    `with_decisions` (a sample recorded takes them): the form's rows are made from the rows
    read (`rows_of`), five objects a decision cost the page some 2,000 Python calls."""
    found = _unit_decisions(registration.pk, unit.pk)
    decisions = [unit_decision(row) for row in found] if with_decisions else []
    names: dict[int, list[str]] = {}
    for evidence_id, name in _unit_evidence_files(registration.pk, unit.pk):
        names.setdefault(evidence_id, []).append(name)
    evidence, methods = [], choice_labels(Evidence, "method")
    for row in _unit_evidence(registration.pk, unit.pk):
        # (`distinct` reads the columns it orders by as well: not wanted here.)
        piece = from_row(Evidence, EVIDENCE_READ, row[: len(EVIDENCE_READ)])
        piece.method_label = methods.get(piece.method, piece.method)  # type: ignore[attr-defined]
        piece.file_names = ", ".join(names.get(piece.pk, ()))  # type: ignore[attr-defined]
        evidence.append(piece)
    # Signed off provisionally (decision 53, amended): not final, so not sampled yet.
    waiting = _provisional_sign_off(registration.pk, unit.pk)
    return {
        "decisions": decisions,
        "rows": rows_of(found),
        "evidence": evidence,
        "sign_off_provisional": SIGN_OFF_PROVISIONAL if waiting else "",
    }


@compiled_once
def _provisional_sign_off(registration_id: int, unit_id: int) -> QuerySet[UnitSignOff, Any]:
    """The unit's sign-off in force, if it is provisional (at most one row)."""
    return (
        UnitSignOff.objects.in_force()
        .filter(registration_id=registration_id, unit_id=unit_id, provisional=True)
        .order_by()
        .values_list("pk")[:1]
    )


PLAN_ITEM_READ = tuple(f.attname for f in PlanItem._meta.concrete_fields)


@compiled_once
def _plan_item(item_id: int, user_id: int, registration_id: int) -> QuerySet[PlanItem, Any]:
    return (
        PlanItem.objects.filter(pk=item_id, plan__iqa_id=user_id, registration_id=registration_id)
        .order_by()
        .values_list(*PLAN_ITEM_READ)
    )


def plan_item_of(item_id: int, user: User, registration: Registration) -> PlanItem | None:
    """The plan item the sample form names (`?item=`), if it is of one of the user's plans and
    of the registration: by SQL compiled once per process (0, an id no item has, for none)."""
    rows = _plan_item(item_id, user.pk, registration.pk)
    return from_row(PlanItem, PLAN_ITEM_READ, rows[0]) if rows else None


def unit_decisions_query(registration_id: int, unit_id: int) -> QuerySet[Decision]:
    """The registration's current decisions on the unit's criteria, range and knowledge, in
    the unit's order."""
    on_unit = Q(criterion__unit=unit_id) | Q(range_item__unit=unit_id)
    return (
        Decision.objects.filter(registration_id=registration_id, current=True)
        .filter(on_unit | Q(knowledge_item__unit=unit_id))
        .order_by("criterion__position", "range_item__position", "knowledge_item__position")
    )


# What the sample form reads of each decision (`unit_decision`): its own columns, then who
# decided and countersigned it and what it judged.
DECISION_READ = (
    "id", "criterion_id", "range_item_id", "knowledge_item_id", "registration_id", "outcome",
    "method", "assessed_on", "feedback", "decided_by_id", "countersigned_by_id",
)  # fmt: skip
DECISION_NAMED = (
    "decided_by__full_name", "countersigned_by__full_name", "criterion__number",
    "criterion__text", "range_item__element", "range_item__category", "range_item__number",
    "range_item__text", "knowledge_item__number", "knowledge_item__text",
)  # fmt: skip


@compiled_once
def _unit_decisions(registration_id: int, unit_id: int) -> QuerySet[Decision, Any]:
    return unit_decisions_query(registration_id, unit_id).values_list(
        *DECISION_READ, *DECISION_NAMED
    )


def unit_decision(row: tuple[Any, ...]) -> Decision:
    """A decision of `_unit_decisions`, with the people and the item it names (as
    `select_related` loads them, only what the form shows)."""
    decision = from_row(Decision, DECISION_READ, row[: len(DECISION_READ)])
    decider, countersigner, number, text, *range_item, k_number, k_text = row[len(DECISION_READ) :]
    decision.decided_by = from_row(User, ("id", "full_name"), (decision.decided_by_id, decider))
    decision.countersigned_by = named(
        User, ("full_name",), decision.countersigned_by_id, countersigner
    )
    decision.criterion = named(Criterion, ("number", "text"), decision.criterion_id, number, text)
    decision.range_item = named(
        RangeItem, ("element", "category", "number", "text"), decision.range_item_id, *range_item
    )
    decision.knowledge_item = named(
        KnowledgeItem, ("number", "text"), decision.knowledge_item_id, k_number, k_text
    )
    return decision


def named(model: type[M], names: tuple[str, ...], pk: int | None, *values: Any) -> M | None:
    """The object a nullable key names, from some of its columns (`from_row`), or None."""
    return None if pk is None else from_row(model, ("id", *names), (pk, *values))


# What the sample form reads of each piece of evidence (and of its files, their names).
EVIDENCE_READ = ("id", "registration_id", "title", "occurred_on", "method")


@compiled_once
def _unit_evidence(registration_id: int, unit_id: int) -> QuerySet[Evidence, Any]:
    """The evidence of the unit's decisions, as `Evidence.objects.filter(decisions__in=...)`
    read it, newest first."""
    decided = unit_decisions_query(registration_id, unit_id).order_by().values("pk")
    return Evidence.objects.filter(decisions__in=decided).distinct().values_list(*EVIDENCE_READ)


@compiled_once
def _unit_evidence_files(registration_id: int, unit_id: int) -> QuerySet[Any, Any]:
    """(evidence, file name) of that evidence's files, in the order `files` lists them."""
    decided = unit_decisions_query(registration_id, unit_id).order_by().values("pk")
    evidence = Evidence.objects.filter(decisions__in=decided).order_by().values("pk")
    return EvidenceFile.objects.filter(evidence__in=evidence).values_list(
        "evidence_id", "original_name"
    )


@dataclass(frozen=True)
class DecisionRow:
    """A decision as the sample form lists it, its words made once here rather than by a dozen
    template lookups and filters for each of a unit's decisions."""

    pk: int
    label: str  # the criterion's number, "Range ..." or "K..."
    text: str  # what it judged, the first twenty words
    summary: str  # outcome, who decided and countersigned, method, date, feedback


def decision_rows(decisions: list[Decision]) -> list[DecisionRow]:
    # The choices' labels and each date's words once, not per decision (get_FOO_display and the
    # date filter cost more than the rest of a row).
    said = Said(
        outcomes=choice_labels(Decision, "outcome"),
        methods=choice_labels(Decision, "method"),
        dates={on: date_format(on, "j M Y") for on in {d.assessed_on for d in decisions}},
    )
    return [DecisionRow(d.pk, *item_words(d), summary(d, said)) for d in decisions]


def rows_of(found: list[tuple[Any, ...]]) -> list[DecisionRow]:
    """`decision_rows` of the decisions `_unit_decisions` read, made from its rows (`DECISION_READ`
    and `DECISION_NAMED`), not from objects."""
    said = Said(
        outcomes=choice_labels(Decision, "outcome"),
        methods=choice_labels(Decision, "method"),
        dates={on: date_format(on, "j M Y") for on in {row[7] for row in found}},
    )
    made = []
    for row in found:
        pk, criterion, range_item, _, _, outcome, method, on, feedback = row[:9]
        decider, countersigner, number, text, element, category, r_number, r_text = row[11:19]
        if criterion is not None:
            label = number
        elif range_item is not None:
            label, text = f"Range {element}{category}({r_number})", r_text
        else:
            label, text = f"K{row[19]}", row[20]
        by = f"{said.outcomes.get(outcome, outcome)} by {decider}"
        if row[10] is not None:
            by += f", countersigned by {countersigner}"
        parts = [by, said.methods.get(method, method), said.dates[on]]
        if feedback:
            parts.append(f"\u201c{feedback}\u201d")
        words = Truncator(text).words(20, truncate=" …")
        made.append(DecisionRow(pk, label, words, " · ".join(parts)))
    return made


@dataclass(frozen=True)
class Said:
    outcomes: dict[str, str]
    methods: dict[str, str]
    dates: dict[datetime.date, str]


def choice_labels(model: type[Model], name: str) -> dict[str, str]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return {str(value): str(label) for value, label in field.flatchoices}


def item_words(decision: Decision) -> tuple[str, str]:
    """The label and the first twenty words of what a decision judged."""
    item: Criterion | RangeItem | KnowledgeItem
    if decision.criterion:
        item, label = decision.criterion, decision.criterion.number
    elif decision.range_item:
        item, label = decision.range_item, f"Range {decision.range_item.reference}"
    else:
        assert decision.knowledge_item is not None
        item, label = decision.knowledge_item, f"K{decision.knowledge_item.number}"
    return label, Truncator(item.text).words(20, truncate=" …")


def summary(decision: Decision, said: Said) -> str:
    outcome, method = decision.outcome, decision.method
    by = f"{said.outcomes.get(outcome, outcome)} by {decision.decided_by.full_name}"
    if decision.countersigned_by:
        by += f", countersigned by {decision.countersigned_by.full_name}"
    parts = [by, said.methods.get(method, method), said.dates[decision.assessed_on]]
    if decision.feedback:
        parts.append(f"\u201c{decision.feedback}\u201d")
    return " · ".join(parts)


def looked_at(sample_id: int) -> SafeString:
    """What each decision a sample looked at judged, as its report lists them ("1.2", "range
    1a(ii)", "K3"), by the decisions' order, escaped as the template did (`ESCAPES`): one
    query however many, by SQL compiled once per process. Read as the report's template did
    from the decisions with what they judged (`select_related`), the hundred decisions of a
    big sample cost the page some 9,000 Python calls (issue 17, sixth round)."""
    t = ESCAPES
    return mark_safe(
        ", ".join(
            criterion.translate(t)
            if criterion_id is not None
            else f"range {element}{category}({number})".translate(t)
            if range_item_id is not None
            else f"K{knowledge or ''}".translate(t)
            for criterion_id, criterion, range_item_id, element, category, number, knowledge in (
                _looked_at(sample_id)
            )
        )
    )


@compiled_once
def _looked_at(sample_id: int) -> QuerySet[Decision, Any]:
    return Decision.objects.filter(samples__id=sample_id).values_list(
        "criterion_id",
        "criterion__number",
        "range_item_id",
        "range_item__element",
        "range_item__category",
        "range_item__number",
        "knowledge_item__number",
    )


def evidence_looked_at(sample_id: int) -> SafeString:
    """The titles of the evidence a sample looked at, in the evidence's order, escaped and
    joined as the report's template did ("—" for none): one query compiled once per process."""
    t = ESCAPES
    return mark_safe(
        "; ".join(title.translate(t) for (title,) in _evidence_titles(sample_id)) or "—"
    )


@compiled_once
def _evidence_titles(sample_id: int) -> QuerySet[Evidence, Any]:
    return Evidence.objects.filter(samples__id=sample_id).values_list("title")


@objects_once
def sample_actions(sample_id: int) -> QuerySet[Action]:
    """A sample's actions, as `sample.actions.all()` reads them, by SQL compiled once."""
    return Action.objects.filter(sample_id=sample_id)


@objects_once
def sample_documents(sample_id: int) -> QuerySet[IqaDocument]:
    """A sample's last five PDFs, as `sample.documents.all()[:5]` reads them, by SQL compiled
    once."""
    return IqaDocument.objects.filter(sample_id=sample_id)[:5]


@objects_once
def plan_documents(plan_id: int) -> QuerySet[IqaDocument]:
    """A plan's last five PDFs, as `plan.documents.all()[:5]` reads them, by SQL compiled
    once."""
    return IqaDocument.objects.filter(plan_id=plan_id)[:5]


def iqa_home(
    user: User, role: Role, today: datetime.date, actions: IqaActions
) -> dict[str, object]:
    """The IQA's home: `actions` as `iqa_actions` read them (for the to-do list as well); their
    plans at the centre, newest first, each with its qualification's title (as `select_related`
    loads them, only what the home shows), by SQL compiled once per process."""
    plans = []
    for pk, qualification_id, starts_on, ends_on, title in _home_plans(user.pk, role.centre_id):
        plan = from_row(
            SamplingPlan,
            ("id", "qualification_id", "starts_on", "ends_on"),
            (pk, qualification_id, starts_on, ends_on),
        )
        plan.qualification = from_row(Qualification, ("id", "title"), (qualification_id, title))
        plans.append(plan)
    return {
        "plans": plans,
        "to_close": actions.to_close,
        "overdue": actions.overdue,
        "qualifications": centre_qualifications(role.centre),
        "today": today,
    }


@compiled_once
def _home_plans(user_id: int, centre_id: int) -> QuerySet[SamplingPlan, Any]:
    return SamplingPlan.objects.filter(iqa_id=user_id, centre_id=centre_id).values_list(
        "id", "qualification_id", "starts_on", "ends_on", "qualification__title"
    )


@dataclass(frozen=True)
class IqaActions:
    """The IQA's actions not closed that the home page lists, soonest due first: those the
    assessor has answered (waiting for the IQA to close or send back) and those past their date
    with no answer yet (overdue: `Action.overdue_on`). An answered action waits for the IQA,
    not the assessor, so it is never in both."""

    to_close: list[Action]
    overdue: list[Action]


def by_day(
    build: Callable[..., QuerySet[Any]],
) -> Callable[..., list[tuple[Any, ...]]]:
    """`compiled_once` for a query that compares with a day as well as with ids: `build(day,
    *ids)`, the day its first argument. The day is written into the compiled query as a value
    (`compiled_once` puts only ids), so the query is compiled once per process and day (today's
    and yesterday's kept, for the requests about midnight)."""

    @functools.lru_cache(maxsize=2)
    def on(day: datetime.date) -> Callable[..., list[tuple[Any, ...]]]:
        def build_on(*ids: Any) -> QuerySet[Any]:
            return build(day, *ids)

        build_on.__qualname__ = build.__qualname__
        return compiled_once(build_on)

    @functools.wraps(build)
    def rows(day: datetime.date, *ids: int | list[int]) -> list[tuple[Any, ...]]:
        return on(day)(*ids)

    rows.on = on  # type: ignore[attr-defined]
    return rows


def wanted_actions(today: datetime.date) -> Q:
    """The actions the IQA home lists: answered (to close), or open and past their date."""
    return Q(status=ActionStatus.RESPONDED) | Q(status=ActionStatus.OPEN, due_on__lt=today)


# What the IQA home and its to-do read of each action (`iqa_actions`), and of its unit.
IQA_ACTION_READ = ("id", "sample_id", "text", "due_on", "status", "responded_at")


@by_day
def _iqa_action_rows(today: datetime.date, user_id: int, centres: list[int]) -> QuerySet[Any]:
    return (
        open_actions(User(pk=user_id), centres)
        .filter(wanted_actions(today))
        .values_list(*IQA_ACTION_READ, "sample__unit_id", "sample__unit__code")
    )


def iqa_actions(
    user: User, today: datetime.date, centres: Collection[int] | None = None
) -> IqaActions:
    """Both of the IQA home's lists, read in one query (the to-do list counts them).
    `centres`: where the user is an IQA, when the caller knows (`held_centres`): then by SQL
    compiled once per process and day (`by_day`), each action with its sample's unit (as
    `select_related` loads them, only what the home shows), since building and compiling the
    query cost more than PostgreSQL's answer."""
    if centres is None:
        found = list(
            open_actions(user).filter(wanted_actions(today)).select_related("sample__unit")
        )
    else:
        found = []
        for row in _iqa_action_rows(today, user.pk, sorted(centres)):
            read = len(IQA_ACTION_READ)
            action = from_row(Action, IQA_ACTION_READ, row[:read])
            unit_id, code = row[read:]
            sample = from_row(Sample, ("id", "unit_id"), (action.sample_id, unit_id))
            sample.unit = from_row(Unit, ("id", "code"), (unit_id, code))
            action.sample = sample
            found.append(action)
    return IqaActions(
        to_close=[a for a in found if a.status == ActionStatus.RESPONDED],
        overdue=[a for a in found if a.overdue_on(today)],
    )


def held_centres(roles: Iterable[Role], kind: RoleKind) -> list[int]:
    """The centres where the roles (the request's, as read already) are of `kind`: written
    into a query as values, instead of `roles_held`'s subquery, whose semi-join cost
    PostgreSQL more to plan than the actions' read itself."""
    return sorted({role.centre_id for role in roles if role.kind == kind})


def at_centres(user: User, kind: RoleKind, centres: Collection[int] | None) -> Q:
    """Actions on samples at the centres where the user holds a role of `kind`: `centres` when
    given, else read in the query (`roles_held`)."""
    if centres is None:
        return Q(sample__registration__centre__in=roles_held(user, kind))
    return Q(sample__registration__centre_id__in=centres)


def open_actions(user: User, centres: Collection[int] | None = None) -> QuerySet[Action]:
    """Actions the IQA raised that are not closed yet, on registrations still open (a closed
    one's actions stay as they were), at the centres where they are an IQA (`centres`, when
    the caller knows them)."""
    return (
        Action.objects.filter(
            at_centres(user, RoleKind.IQA, centres),
            sample__sampled_by=user,
        )
        .filter(still_open("sample__registration__"))
        .exclude(status=ActionStatus.CLOSED)
    )


def assessor_actions(user: User, centres: Collection[int] | None = None) -> QuerySet[Action]:
    """Actions raised on the assessor's decisions that they have not answered, on registrations
    still open, at the centres where they are an assessor (`centres`, when the caller knows
    them: `held_centres`)."""
    return (
        Action.objects.filter(
            at_centres(user, RoleKind.ASSESSOR, centres),
            sample__assessor=user,
            status=ActionStatus.OPEN,
        )
        .filter(still_open("sample__registration__"))
        .select_related("sample__unit", "sample__registration__learner")
        .order_by("due_on")
    )


@compiled_once
def _assessor_action_rows(user_id: int, centres: list[int]) -> QuerySet[Action, Any]:
    return assessor_actions(User(pk=user_id), centres).values_list(
        *ACTION_READ, *ACTION_NAMED, *ACTION_LEARNER
    )


# What the assessor's home and to-do list read of each action (`assessor_action_list`), and
# of its sample, its unit and learner.
ACTION_READ = ("id", "sample_id", "text", "due_on", "status", "iqa_comment")
ACTION_NAMED = ("sample__registration_id", "sample__unit_id", "sample__unit__code")
ACTION_LEARNER = ("sample__registration__learner_id", "sample__registration__learner__full_name")


def assessor_action_list(user: User, centres: list[int]) -> list[Action]:
    """`assessor_actions` as the assessor's home and to-do list read them, each with its
    sample, unit and learner (as `select_related` loads them, only what they show): the query
    compiled once per process (`portal.compiled`), whose building and compiling cost more than
    the rest of the to-do's reads."""
    found = []
    for row in _assessor_action_rows(user.pk, centres):
        read = len(ACTION_READ)
        action = from_row(Action, ACTION_READ, row[:read])
        registration_id, unit_id, code, learner_id, name = row[read:]
        sample = from_row(
            Sample,
            ("id", "registration_id", "unit_id"),
            (action.sample_id, registration_id, unit_id),
        )
        sample.unit = from_row(Unit, ("id", "code"), (unit_id, code))
        registration = from_row(Registration, ("id", "learner_id"), (registration_id, learner_id))
        registration.learner = from_row(User, ("id", "full_name"), (learner_id, name))
        sample.registration = registration
        action.sample = sample
        found.append(action)
    return found


def today() -> datetime.date:
    return datetime.date.today()


def work_id(work: Work | Piece) -> str:
    """How a form names a piece of work: registration, unit and stage."""
    return f"{work.registration}-{work.unit}-{work.stage}"


WORK_ID = re.compile(r"(\d{1,18})-(\d{1,18})-(interim|summative)")


@dataclass(frozen=True)
class Unplanned:
    """A piece of the period's work not in the plan, as the plan page lists it."""

    id: str  # work_id
    learner: str
    unit: str
    stage: str
    assessor: str


def unplanned_page(request: PortalRequest, covered: Coverage, learners: Learners) -> Page:
    """One page of the work not in the plan, by learner and unit, each to add by hand."""
    stages = dict(Stage.choices)
    rows = sorted(
        (
            Unplanned(
                work_id(w),
                learners.names[w.registration],
                covered.codes[w.unit],
                stages[w.stage],
                covered.names[w.assessor],
            )
            for w in covered.unplanned
        ),
        key=lambda row: (row.learner, row.unit, row.id),
    )
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("unplanned"))


def centre_practitioners(centre: Centre) -> list[Role]:
    """The centre's assessor and IQA roles with their people, by name: read once for the
    strategy page's assessors (`centre_assessors`) and their standings: by SQL compiled once
    per process, each role with its person's name (as `select_related` loads them, only what
    the page shows)."""
    roles = []
    for *read, name in _centre_practitioners(centre.pk):
        role = from_row(Role, PRACTITIONER_READ, read)
        role.user = from_row(User, ("id", "full_name"), (role.user_id, name))
        roles.append(role)
    return roles


PRACTITIONER_READ = ("id", "user_id", "centre_id", "kind", "is_trainee")


@compiled_once
def _centre_practitioners(centre_id: int) -> QuerySet[Role, Any]:
    return (
        Role.objects.filter(centre_id=centre_id, kind__in=list(PRACTICE_OF_ROLE))
        .order_by("user__full_name", "user_id", "kind")
        .values_list(*PRACTITIONER_READ, "user__full_name")
    )


def centre_assessors(roles: list[Role]) -> list[User]:
    """The people of `centre_practitioners` who are assessors there, by name."""
    return [role.user for role in roles if role.kind == RoleKind.ASSESSOR]


def assessor_risks(
    centre: Centre, assessors: list[User]
) -> list[tuple[User, str, bool, SafeString]]:
    """Each assessor with their risk, whether they are a trainee (always trainee risk), and the
    options of their risk's list, theirs selected (`risk_options`)."""
    risks = risk_of(centre, [a.pk for a in assessors])
    options = risk_options()
    return [(a, risks[a.pk], risks[a.pk] == "trainee", options(risks[a.pk])) for a in assessors]


def risk_options() -> Callable[[str], SafeString]:
    """The options of an assessor's risk list (every risk but trainee's) with `risk` selected:
    made once per risk here, not by the template's loop over the choices for each assessor
    (a centre's twenty assessors made it a quarter of the strategy page's Python)."""

    @functools.cache
    def options(risk: str) -> SafeString:
        return SafeString(
            "".join(
                f'<option value="{escape(value)}"{" selected" if value == risk else ""}>'
                f"{escape(label)}</option>"
                for value, label in Risk.choices
                if value != "trainee"
            )
        )

    return options


def posted_risks(request: PortalRequest, assessors: list[User]) -> dict[int, str]:
    allowed = {Risk.NEW, Risk.STANDARD, Risk.EXPERIENCED}
    found = {a.pk: request.POST.get(f"risk-{a.pk}", "") for a in assessors}
    return {pk: risk for pk, risk in found.items() if risk in allowed}


def centre_qualifications(centre: Centre) -> list[tuple[int, str]]:
    """(id, title) of each qualification the centre has learners on, by title: by SQL compiled
    once per process, each qualification asked whether the centre has a registration on it (the
    registrations list's read): not the centre's every registration read and its
    qualifications made distinct (0.7 ms at a centre of 1,000 against 0.2)."""
    return registered_qualifications(centre.pk)


@dataclass(frozen=True)
class Standing:
    """One assessor or IQA of the centre with their competence register's entries (decision
    49), and what their current awards let them do in the strategy's qualification, for each
    of their roles: what the strategy page shows of each."""

    person: User
    roles: list[str]
    standing: PersonStanding
    here: list[QualificationStanding]

    @property
    def card(self) -> SafeString:
        """The person's card on the strategy page, as its template drew it in a loop (the
        person's name and roles, flagged or not, their standing in the qualification, then
        their register's entries as competence/partials/standing.html draws them,
        `standing_markup`), every value escaped as the template did (`ESCAPES`)."""
        t = ESCAPES
        roles = ", ".join(str(label).translate(t) for label in self.roles)
        flagged = NEEDS_ATTENTION if self.standing.flagged else ""
        here = "".join(
            f"<li>{words}</li>" if h.in_scope else f"<li>{SCOPE_WARNING}{words}</span></li>"
            for h in self.here
            for words in (h.words.translate(t),)
        )
        return mark_safe(
            '\n  <div class="card card-body mb-2" data-testid="person-standing">\n'
            f'    <h3 class="h6">{self.person.full_name.translate(t)} '
            f'<span class="small text-body-secondary">\u00b7 {roles}</span>{flagged}</h3>\n'
            '    <ul class="list-unstyled mb-2" data-testid="standing-here">\n'
            f"      {here}\n"
            "    </ul>\n"
            f"    {standing_markup(self.standing)}\n"
            "  </div>\n  "
        )


NEEDS_ATTENTION = ' <span class="badge text-bg-danger">Needs attention</span>'
SCOPE_WARNING = '<span class="badge text-bg-warning text-wrap text-start">'


PRACTICE_OF_ROLE = {RoleKind.ASSESSOR: Practice.ASSESSING, RoleKind.IQA: Practice.VERIFYING}


@compiled_once
def _qualification_units(qualification_id: int) -> QuerySet[QualificationUnit, Any]:
    return QualificationUnit.objects.filter(qualification_id=qualification_id).values_list(
        "unit_id"
    )


def practitioner_standings(
    centre: Centre, qualification: Qualification, practitioners: list[Role]
) -> list[Standing]:
    """The centre's assessors and IQAs (`centre_practitioners`) with their register's entries
    and flags, and their standing in `qualification` counting only current entries: four
    queries however many."""
    roles: dict[int, tuple[User, list[str], list[str]]] = {}
    for role in practitioners:
        _, labels, practices = roles.setdefault(role.user_id, (role.user, [], []))
        labels.append(role.label)
        if (practice := PRACTICE_OF_ROLE[RoleKind(role.kind)]) not in practices:
            practices.append(practice)
    found = standings(centre.pk, list(roles), today())
    unit_ids = {unit_id for (unit_id,) in _qualification_units(qualification.pk)}
    return [
        Standing(
            user,
            labels,
            found[pk],
            [found[pk].in_qualification(p, qualification.pk, unit_ids) for p in practices],
        )
        for pk, (user, labels, practices) in roles.items()
    ]


# The strategy form's shares and stages, each with a stand-in value for `_strategy_fields`.
STRATEGY_SHARES = {
    "trainee_percent": 30001,
    "new_percent": 30002,
    "standard_percent": 30003,
    "experienced_percent": 30004,
}
STRATEGY_STAGES = ("interim_required", "summative_required")


def strategy_fields(form: StrategyForm) -> SafeString | None:
    """The strategy form's fields as iqa/partials/strategy_fields.html draws them (crispy, a
    field at a time) for a form not posted: the partial drawn once per process with stand-in
    shares and every stage ticked (`_strategy_fields`), each share then put in its place and
    each stage not required unticked. Drawn by crispy for each request, the six fields cost
    the strategy page some 9,000 Python calls (issue 17, sixth round). None for a posted form
    (its errors and values as posted: the template draws it) or a value of another kind than
    the model's (the template draws it)."""
    if form.is_bound:
        return None
    shares = [form.initial.get(name) for name in STRATEGY_SHARES]
    stages = [form.initial.get(name) for name in STRATEGY_STAGES]
    if any(type(share) is not int for share in shares) or any(
        type(stage) is not bool for stage in stages
    ):
        return None
    markup = _strategy_fields()
    for stand_in, share in zip(STRATEGY_SHARES.values(), shares, strict=True):
        markup = markup.replace(f'value="{stand_in}"', f'value="{share}"', 1)
    for name, stage in zip(STRATEGY_STAGES, stages, strict=True):
        if not stage:
            markup = markup.replace(f'id="id_{name}" checked>', f'id="id_{name}">', 1)
    return mark_safe(markup)


@functools.cache
def _strategy_fields() -> str:
    """The partial of `strategy_fields` drawn with the stand-in shares and the stages ticked:
    the same for every centre and qualification (the form's labels, names and widgets)."""
    stand_ins = StrategyForm(initial={**STRATEGY_SHARES, **dict.fromkeys(STRATEGY_STAGES, True)})
    markup = render_to_string("iqa/partials/strategy_fields.html", {"form": stand_ins})
    for name, stand_in in STRATEGY_SHARES.items():
        assert markup.count(f'value="{stand_in}"') == 1, name
    for name in STRATEGY_STAGES:
        assert markup.count(f'id="id_{name}" checked>') == 1, name
    return markup
