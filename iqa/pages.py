"""What the IQA pages show: plans with their coverage, the unit under sample, the IQA home."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import (
    Field,
    Q,
    QuerySet,
)
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

import iqa.plan_reads as plan_reads
from assessment.models import Decision, UnitSignOff
from competence.models import Practice
from competence.standing import PersonStanding, QualificationStanding, standings
from iqa.models import Action, ActionStatus, Risk, Sample, SamplingPlan, Stage
from iqa.planning import Work
from iqa.services import SIGN_OFF_PROVISIONAL, risk_of
from iqa.work import Piece, pieces_in_period, work_in_period
from portal.compiled import compiled_once, from_row
from portal.http import PortalRequest
from portal.listing import PER_PAGE
from portal.models import Centre, Role, RoleKind, User
from portfolios.models import (
    Evidence,
    EvidenceMethod,
    Registration,
    closed_reason,
    roles_held,
    still_open,
)
from qualifications.models import (
    Criterion,
    KnowledgeItem,
    Qualification,
    QualificationUnit,
    RangeItem,
    Unit,
)


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


def plan_learners(plan: SamplingPlan, items: list[Planned]) -> Learners:
    """The learners of the plan's centre and qualification and of its items, by registration,
    in one query: each name read by the learner's id (joined, PostgreSQL read every user of the
    portal to find them: 7.6 ms against 0.5 ms at a centre of 1,000), with the registration's
    status and whether the learner is anonymised (`closed_reason`), so that neither the items'
    progress nor their rows join the registrations again. The items' registrations are named
    by their ids (as a subquery of the plan's items, PostgreSQL read every registration)."""
    found = plan_reads.plan_learners(
        plan.centre_id, plan.qualification_id, sorted({i.registration for i in items})
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
    for *row, is_sampled in plan_reads.plan_items(plan.pk):
        item = Planned(*row)
        items.append(item)
        if is_sampled:
            sampled.add(item.pk)
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


def unit_under_sample(registration: Registration, unit: Unit) -> dict[str, object]:
    """Everything the IQA looks at: the unit's decisions, with their evidence and feedback."""
    decisions = list(
        Decision.objects.filter(registration=registration, current=True)
        .filter(Q(criterion__unit=unit) | Q(range_item__unit=unit) | Q(knowledge_item__unit=unit))
        .select_related("decided_by", "countersigned_by", "criterion", "range_item")
        .select_related("knowledge_item")
        .order_by("criterion__position", "range_item__position", "knowledge_item__position")
    )
    evidence = Evidence.objects.filter(decisions__in=decisions).distinct().prefetch_related("files")
    # Signed off provisionally (decision 53, amended): not final, so not sampled yet.
    waiting = UnitSignOff.objects.in_force().filter(
        registration=registration, unit=unit, provisional=True
    )
    return {
        "decisions": decisions,
        "rows": decision_rows(decisions),
        "evidence": list(evidence),
        "sign_off_provisional": SIGN_OFF_PROVISIONAL if waiting.exists() else "",
    }


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


@dataclass(frozen=True)
class Said:
    outcomes: dict[str, str]
    methods: dict[str, str]
    dates: dict[datetime.date, str]


def choice_labels(model: type[Decision], name: str) -> dict[str, str]:
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


def decisions_looked_at(sample: Sample) -> QuerySet[Decision]:
    """The decisions a sample looked at, with what each judged, in one query however many."""
    return sample.decisions.select_related("criterion", "range_item", "knowledge_item")


def iqa_home(
    user: User, role: Role, today: datetime.date, actions: IqaActions
) -> dict[str, object]:
    """The IQA's home: `actions` as `iqa_actions` read them (for the to-do list as well)."""
    plans = SamplingPlan.objects.filter(iqa=user, centre=role.centre).select_related(
        "qualification"
    )
    return {
        "plans": plans,
        "to_close": actions.to_close,
        "overdue": actions.overdue,
        "qualifications": centre_qualifications(role.centre),
        "today": today,
    }


@dataclass(frozen=True)
class IqaActions:
    """The IQA's actions not closed that the home page lists, soonest due first: those the
    assessor has answered (waiting for the IQA to close or send back) and those past their date
    with no answer yet (overdue: `Action.overdue_on`). An answered action waits for the IQA,
    not the assessor, so it is never in both."""

    to_close: list[Action]
    overdue: list[Action]


def iqa_actions(
    user: User, today: datetime.date, centres: Collection[int] | None = None
) -> IqaActions:
    """Both of the IQA home's lists, read in one query (the to-do list counts them).
    `centres`: where the user is an IQA, when the caller knows (`held_centres`)."""
    wanted = Q(status=ActionStatus.RESPONDED) | Q(status=ActionStatus.OPEN, due_on__lt=today)
    found = list(open_actions(user, centres).filter(wanted).select_related("sample__unit"))
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
    strategy page's assessors (`centre_assessors`) and their standings."""
    return list(
        Role.objects.filter(centre=centre, kind__in=list(PRACTICE_OF_ROLE))
        .select_related("user")
        .order_by("user__full_name", "user_id", "kind")
    )


def centre_assessors(roles: list[Role]) -> list[User]:
    """The people of `centre_practitioners` who are assessors there, by name."""
    return [role.user for role in roles if role.kind == RoleKind.ASSESSOR]


def assessor_risks(centre: Centre, assessors: list[User]) -> list[tuple[User, str, bool]]:
    """Each assessor with their risk, and whether they are a trainee (always trainee risk)."""
    risks = risk_of(centre, [a.pk for a in assessors])
    return [(a, risks[a.pk], risks[a.pk] == "trainee") for a in assessors]


def posted_risks(request: PortalRequest, assessors: list[User]) -> dict[int, str]:
    allowed = {Risk.NEW, Risk.STANDARD, Risk.EXPERIENCED}
    found = {a.pk: request.POST.get(f"risk-{a.pk}", "") for a in assessors}
    return {pk: risk for pk, risk in found.items() if risk in allowed}


def centre_qualifications(centre: Centre) -> list[tuple[int, str]]:
    """(id, title) of each qualification the centre has learners on."""
    return list(
        Registration.objects.filter(centre=centre)
        .values_list("qualification_id", "qualification__title")
        .distinct()
        .order_by("qualification__title")
    )


@dataclass(frozen=True)
class Standing:
    """One assessor or IQA of the centre with their competence register's entries (decision
    49), and what their current awards let them do in the strategy's qualification, for each
    of their roles: what the strategy page shows of each."""

    person: User
    roles: list[str]
    standing: PersonStanding
    here: list[QualificationStanding]


PRACTICE_OF_ROLE = {RoleKind.ASSESSOR: Practice.ASSESSING, RoleKind.IQA: Practice.VERIFYING}


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
    unit_ids = set(
        QualificationUnit.objects.filter(qualification=qualification).values_list(
            "unit_id", flat=True
        )
    )
    return [
        Standing(
            user,
            labels,
            found[pk],
            [found[pk].in_qualification(p, qualification.pk, unit_ids) for p in practices],
        )
        for pk, (user, labels, practices) in roles.items()
    ]
