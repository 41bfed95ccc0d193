"""Progress at a glance: one learner's units by their criteria (and a CVQ's range and knowledge
items), and an assessor's caseload of learners by their units. Each read in a fixed number of
queries, whatever the number of units or learners; the catalogue's rows are the kept ones
(`qualifications.kept_units`), and the rows are drawn in Python (decision 23).

A unit's percentage is the share of its items (criteria, range and knowledge items) met and
countersigned where needed: what counts toward signing it off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.utils.safestring import SafeString, mark_safe

from assessment.models import Decision, Outcome, UnitSignOff, unit_of_item
from assessment.progress import (
    CriterionState,
    Decided,
    EvidenceLink,
    Key,
    criteria_progress,
    decided_with_rpl,
    other_progress,
    rpl_rows,
)
from portal.compiled import compiled_once
from portal.links import links_to
from portal.lookups import one_of
from portal.models import User
from portfolios.models import (
    Mapping,
    MappingStatus,
    PriorLearning,
    PriorLearningItem,
    PriorLearningKind,
    Registration,
    RegistrationUnit,
)
from portfolios.unit_states import (
    PRIOR_STATES,
    PROVISIONAL,
    UNIT_BADGES,
    UnitState,
    signed_state,
)
from qualifications.kept_units import UnitRows, units_rows
from qualifications.models import Criterion, KnowledgeItem, RangeItem


class CellState:
    """An item's state as the tracker names it (the unit page's words, fewer of them)."""

    NOT_STARTED = "Not started"
    EVIDENCED = "Evidenced"
    NOT_YET = "Not yet met"
    PENDING = "Met, awaiting countersignature"
    MET = "Met"
    RPL = "Met through RPL"  # no decision needed (decision 54)


# The unit page's state -> the tracker's state, its colour and a sign that does not rely on it.
CELLS: dict[str, tuple[str, str, str]] = {
    CriterionState.NO_EVIDENCE: (CellState.NOT_STARTED, "text-bg-light border", ""),
    CriterionState.PROPOSED: (CellState.EVIDENCED, "text-bg-info", " •"),
    CriterionState.CONFIRMED: (CellState.EVIDENCED, "text-bg-info", " •"),
    CriterionState.NOT_YET: (CellState.NOT_YET, "text-bg-danger", " ✗"),
    CriterionState.PENDING: (CellState.PENDING, "text-bg-warning", " ◐"),
    CriterionState.MET: (CellState.MET, "text-bg-success", " ✓"),
    CriterionState.RPL: (CellState.RPL, "text-bg-success", " ✓ RPL"),
}
# The legend, in the order a unit goes through them.
LEGEND = [
    (CellState.NOT_STARTED, "text-bg-light border", ""),
    (CellState.EVIDENCED, "text-bg-info", " •"),
    (CellState.NOT_YET, "text-bg-danger", " ✗"),
    (CellState.PENDING, "text-bg-warning", " ◐"),
    (CellState.MET, "text-bg-success", " ✓"),
    (CellState.RPL, "text-bg-success", " ✓ RPL"),
]


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@dataclass(frozen=True)
class Cell:
    label: str  # "1.2", "Range 1a(ii)", "K3"
    state: str  # a CellState


@dataclass(frozen=True)
class TrackedUnit:
    unit: UnitRows
    mandatory: bool
    state: str  # a UnitState
    cells: list[Cell]
    assessor: str = ""  # the unit's own assessor's name, if it has one (decision 39)

    @property
    def met(self) -> int:
        return sum(cell.state in (CellState.MET, CellState.RPL) for cell in self.cells)

    @property
    def percent_met(self) -> int:
        return percent(self.met, len(self.cells))


def registration_tracker(registration: Registration) -> list[TrackedUnit]:
    """Each planned unit of the registration with its items' states, its own state and how much
    of it is met: four queries (the plan, the current decisions with the items met through RPL
    (decision 54), the mappings not rejected and the sign-offs in force), plus the catalogue's
    rows once a revision."""
    plan: dict[int, bool] = {}
    own: dict[int, str] = {}
    for unit_id, mandatory, name in registration.planned_units.values_list(
        "unit_id", "mandatory", "assessor__full_name"
    ):
        plan[unit_id] = mandatory
        own[unit_id] = name or ""
    units = units_rows(registration.qualification, plan)
    target = ("criterion_id", "range_item_id", "knowledge_item_id")
    # The current decisions and the items met through RPL (decision 54), in one statement.
    decided: dict[Key, Decided] = decided_with_rpl(
        Decision.objects.filter(registration=registration, current=True)
        .order_by()
        .values_list(*target, "outcome", "provisional", Value("", output_field=TextField()))
        .union(rpl_rows(PriorLearningItem.objects.filter(registration=registration)))
    )
    found: dict[Key, list[tuple[str, EvidenceLink]]] = {}
    for c, r, k, status, evidence in (
        Mapping.objects.filter(evidence__registration=registration)
        .exclude(status=MappingStatus.REJECTED)
        .values_list(*target, "status", "evidence_id")
    ):
        found.setdefault((c, r, k), []).append((status, EvidenceLink(evidence, "")))
    # Sign-offs in force and RPL or exemptions in force (decision 50), in one statement.
    signed: dict[int, Any] = {}
    prior: dict[int, str] = {}
    for unit_id, at, kind in (
        UnitSignOff.objects.in_force()
        .filter(registration=registration)
        .order_by()
        .values_list(
            "unit_id",
            "learner_signed_at",
            Case(
                When(provisional=True, then=Value(PROVISIONAL)),
                default=Value(SIGNED),
                output_field=CharField(),
            ),
        )
        .union(
            PriorLearning.objects.in_force()
            .filter(registration=registration)
            .order_by()
            .values_list("unit_id", "agreed_at", "kind")
        )
    ):
        if kind in (SIGNED, PROVISIONAL):
            signed[unit_id] = PROVISIONAL if kind == PROVISIONAL else at
        else:
            prior[unit_id] = kind
    tracked = []
    for unit in units:
        cells = [
            Cell(row.criterion.number, CELLS[row.state][0])
            for _, rows in criteria_progress(unit, decided, found, {})
            for row in rows
        ] + [
            Cell(item.label, CELLS[item.state][0])
            for item in other_progress(unit, decided, found, {})
        ]
        if unit.pk in prior:
            state = PRIOR_STATES[prior[unit.pk]]
        elif unit.pk in signed:
            state = signed_state(signed[unit.pk])
        elif any(cell.state != CellState.NOT_STARTED for cell in cells):
            state = UnitState.IN_PROGRESS
        else:
            state = UnitState.NOT_STARTED
        tracked.append(TrackedUnit(unit, plan[unit.pk], state, cells, own[unit.pk]))
    return tracked


SIGNED = "signed"  # a sign-off's row among the RPL and exemptions read with it


def badge(text: str, colour: str) -> str:
    """A unit's state, wrapped on a phone: "Achieved through RPL" and the provisional sign-off's
    words are longer than a 390 px screen's column (tests/browser/test_phones.py)."""
    return f'<span class="badge text-wrap text-start {colour}">{escape(text)}</span>'


def cell_html(cell: Cell) -> str:
    state, colour, sign = next(legend for legend in LEGEND if legend[0] == cell.state)
    return (
        f'<li><span class="badge tracker-cell {colour}" title="{escape(cell.label)}: {state}">'
        f'{escape(cell.label)}{sign}<span class="visually-hidden">: {state}</span></span></li>'
    )


def tracker_rows(registration: Registration, tracked: list[TrackedUnit]) -> SafeString:
    """The tracker's rows, a unit each: its name linking to its page, its state and share met,
    and its items' cells."""
    unit_link = links_to("assessment:unit-progress", registration.pk)
    rows = []
    for t in tracked:
        u = t.unit
        mandatory = ' <span class="badge text-bg-secondary">mandatory</span>' if t.mandatory else ""
        if t.assessor:
            mandatory += f'<div class="small">Assessed by {escape(t.assessor)}</div>'
        rows.append(
            f'<tr data-unit="{escape(u.code)}"><td><a href="{unit_link(u.pk)}">{escape(u.code)}'
            f'</a>{mandatory}<div class="small">{escape(u.title)}</div></td>'
            f'<td data-label="State">{badge(t.state, UNIT_BADGES[t.state])}'
            f'<div class="small mt-1">{t.percent_met}% met ({t.met} of {len(t.cells)})</div>'
            f'<div class="progress progress-thin" role="progressbar" '
            f'aria-label="Share of {escape(u.code)} met" aria-valuenow="{t.percent_met}" '
            f'aria-valuemin="0" aria-valuemax="100">'
            f'<div class="progress-bar bg-success pct-{t.percent_met}"></div></div></td>'
            f'<td data-label="Criteria"><ul class="tracker-cells list-unstyled mb-0">'
            + "".join(cell_html(cell) for cell in t.cells)
            + "</ul></td></tr>\n"
        )
    return mark_safe("".join(rows))


def legend_html() -> SafeString:
    return mark_safe(
        "".join(
            f'<li><span class="badge tracker-cell {colour}">{escape(state)}{sign}</span></li>'
            for state, colour, sign in LEGEND
        )
    )


# The caseload's grid ---------------------------------------------------------------------


@dataclass(frozen=True)
class GridCell:
    percent_met: int
    achieved: bool
    elsewhere: bool = False  # another assessor assesses the unit (decision 39)


@dataclass(frozen=True)
class GridRow:
    registration: Registration
    cells: dict[int, GridCell]  # by unit id: the learner's planned units


@dataclass(frozen=True)
class Grid:
    """One qualification's learners (on the page) by the units any of them has planned."""

    title: str
    units: list[tuple[int, str, str]]  # (id, code, title), by code
    rows: list[GridRow]


# The grid's five reads, by SQL compiled once per process for each number of learners or units
# (`portal.compiled`): built and compiled each time they cost most of the caseload tracker's
# Python, where PostgreSQL answers each in about a millisecond.


@compiled_once
def _plans(ids: list[int]) -> QuerySet[RegistrationUnit, Any]:
    """The learners' planned units: (learner, unit, its code and title, its own assessor)."""
    return RegistrationUnit.objects.filter(registration__in=ids).values_list(
        "registration", "unit_id", "unit__code", "unit__title", "assessor_id"
    )


@compiled_once
def _items(unit_ids: list[int]) -> QuerySet[Any, Any]:
    """Each kind of item counted by unit, the three in one query (UNION ALL)."""
    counted = [
        model._default_manager.filter(one_of("unit_id", unit_ids))
        .values("unit")
        .annotate(n=Count("pk"))
        .values_list("unit", "n")
        .order_by()
        for model in (Criterion, RangeItem, KnowledgeItem)
    ]
    return counted[0].union(*counted[1:], all=True)


@compiled_once
def _met(ids: list[int]) -> QuerySet[Decision, Any]:
    """The items met by a current decision that counts, by learner and unit."""
    return (
        Decision.objects.filter(
            registration__in=ids, current=True, outcome=Outcome.MET, provisional=False
        )
        .annotate(unit=unit_of_item())
        .values("registration", "unit")
        .annotate(n=Count("pk"))
        .values_list("registration", "unit", "n")
        .order_by()
    )


@compiled_once
def _met_by_rpl(ids: list[int]) -> QuerySet[PriorLearningItem, Any]:
    """Items met through RPL (decision 54) and not by a decision too, by learner and unit."""
    decided = Decision.objects.filter(
        registration=OuterRef("registration"),
        current=True,
        outcome=Outcome.MET,
        provisional=False,
    ).filter(
        Q(criterion__isnull=False, criterion=OuterRef("criterion"))
        | Q(range_item__isnull=False, range_item=OuterRef("range_item"))
        | Q(knowledge_item__isnull=False, knowledge_item=OuterRef("knowledge_item"))
    )
    return (
        PriorLearningItem.objects.in_force()
        .filter(registration__in=ids)
        .exclude(Exists(decided))
        .values("registration", "unit")
        .annotate(n=Count("pk"))
        .values_list("registration", "unit", "n")
        .order_by()
    )


@compiled_once
def _achieved(ids: list[int]) -> QuerySet[UnitSignOff, Any]:
    """The units achieved by assessment or through RPL (decision 50): one statement."""
    return (
        UnitSignOff.objects.achieved()
        .filter(registration__in=ids)
        .order_by()
        .values_list("registration", "unit_id")
        .union(
            PriorLearning.objects.in_force()
            .filter(registration__in=ids, kind=PriorLearningKind.RPL)
            .order_by()
            .values_list("registration", "unit_id")
        )
    )


def caseload_grids(
    registrations: Sequence[Registration], assessor: User | None = None
) -> list[Grid]:
    """The learners given (their qualification loaded, their name as `learner_name`) by their
    planned units, each cell the share of the unit's items met, and, for `assessor`'s caseload,
    marked where another assessor assesses the unit: five queries whatever their number (the
    plans, the items of their units, the met decisions by learner and unit, the items met
    through RPL, the units achieved)."""
    ids = [r.pk for r in registrations]
    plans: dict[int, list[int]] = {}
    names: dict[int, tuple[str, str]] = {}
    own: dict[tuple[int, int], int] = {}  # a unit's own assessor, by learner and unit
    for registration_id, unit_id, code, title, assessor_id in _plans(ids):
        plans.setdefault(registration_id, []).append(unit_id)
        names[unit_id] = (code, title)
        if assessor_id is not None:
            own[registration_id, unit_id] = assessor_id
    items: dict[int, int] = {}
    for unit_id, n in _items(list(names)):
        items[unit_id] = items.get(unit_id, 0) + n
    met: dict[tuple[int, int], int] = {
        (registration_id, unit_id): n for registration_id, unit_id, n in _met(ids)
    }
    for registration_id, unit_id, n in _met_by_rpl(ids):
        met[registration_id, unit_id] = met.get((registration_id, unit_id), 0) + n
    achieved = set(_achieved(ids))
    grids: dict[int, Grid] = {}
    for registration in registrations:
        qualification = registration.qualification
        grid = grids.get(qualification.pk)
        if grid is None:
            grid = grids[qualification.pk] = Grid(qualification.title, [], [])
        cells = {
            unit_id: GridCell(
                percent(met.get((registration.pk, unit_id), 0), items.get(unit_id, 0)),
                (registration.pk, unit_id) in achieved,
                assessor is not None
                and own.get((registration.pk, unit_id), registration.assessor_id) != assessor.pk,
            )
            for unit_id in plans.get(registration.pk, [])
        }
        grid.rows.append(GridRow(registration, cells))
    for grid in grids.values():
        shown = {unit_id for row in grid.rows for unit_id in row.cells}
        grid.units.extend(sorted(((pk, *names[pk]) for pk in shown), key=lambda u: (u[1], u[0])))
    return list(grids.values())


ACHIEVED_MARK = (
    ' <span class="badge text-bg-success">✓<span class="visually-hidden"> achieved</span></span>'
)


# A unit of the learner's that another assessor assesses: shown, but not theirs to decide.
ELSEWHERE_MARK = (
    ' <span class="badge text-bg-light border" title="Another assessor assesses this unit">'
    "other</span>"
)


def grid_head(grid: Grid) -> SafeString:
    """A grid's column heads, each unit's code with its title, as the template's loop drew them
    (53 units at a big centre): every value escaped as the template escapes it."""
    return mark_safe(
        "".join(
            f'<th scope="col" class="text-nowrap"><abbr title="{escape(title)}">'
            f"{escape(code)}</abbr></th>"
            for _, code, title in grid.units
        )
    )


def grid_rows(grid: Grid) -> SafeString:
    """A grid's rows: the learner (linking to their tracker), then each unit's share met,
    linking to the learner's unit page; a dash where the unit is not in their plan."""
    tracker = links_to("assessment:tracker")
    rows = []
    for row in grid.rows:
        r = row.registration
        unit_link = links_to("assessment:unit-progress", r.pk)
        cells = []
        for unit_id, code, _ in grid.units:
            cell = row.cells.get(unit_id)
            if cell is None:
                cells.append('<td class="text-body-secondary">—</td>')
                continue
            done = ACHIEVED_MARK if cell.achieved else ""
            other = ELSEWHERE_MARK if cell.elsewhere else ""
            whose = ", another assessor's unit" if cell.elsewhere else ""
            cells.append(
                f'<td class="text-nowrap"><a href="{unit_link(unit_id)}" '
                f'aria-label="{escape(code)}: {cell.percent_met}% met{whose}'
                f'">{cell.percent_met}%</a>{done}{other}</td>'
            )
        name = escape(r.learner_name)  # type: ignore[attr-defined]
        rows.append(
            f'<tr><th scope="row"><a href="{tracker(r.pk)}">{name}</a></th>'
            + "".join(cells)
            + "</tr>\n"
        )
    return mark_safe("".join(rows))
