"""The assessed work of a plan's period, read as plain rows from the decided work that
assessment keeps (`assessment.models.DecidedWork`): the whole of it for the planner, and the
narrower part the plan page counts."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from assessment.models import DecidedWork, UnitSignOff
from iqa.models import Stage
from iqa.planning import Work
from portal.compiled import compiled_once
from portal.lookups import one_of
from portal.models import Centre
from portfolios.models import still_open
from qualifications.models import Qualification


def work_in_period(
    centre: Centre,
    qualification: Qualification,
    starts_on: datetime.date,
    ends_on: datetime.date,
    *,
    only: tuple[int, int] | None = None,
) -> list[Work]:
    """The assessed work of the period: current decisions grouped by learner, unit and assessor.
    `only`: just the work of one registration's unit.

    Read as plain rows in two queries (one for `only`), never a decision as an object: the distinct
    (registration, learner, unit, assessor, countersigner, method, whether in the period) of the
    kept lines of the open registrations' current decisions, and which units are signed off
    (summative). Who decided or countersigned counts whatever the date, because an IQA may not
    sample a unit where any decision is theirs. Only registrations still open: a closed one
    takes no samples (`Registration.closed_because`).
    """
    in_period = Case(
        When(assessed_on__gte=starts_on, assessed_on__lte=ends_on, then=1),
        default=0,
        output_field=IntegerField(),
    )
    kept = kept_lines(centre, qualification)
    # One learner's unit (adding it by hand) asks whether it is signed off beside its few
    # lines; the whole period, by the registrations' ids afterwards (`signed_off`).
    signed_now: Exists | Value = Value(False)
    waiting_now: Exists | Value = Value(False)
    if only is not None:
        kept = kept.filter(registration_id=only[0], unit_id=only[1])
        in_force = UnitSignOff.objects.in_force().filter(
            registration_id=OuterRef("registration_id"), unit_id=OuterRef("unit_id")
        )
        signed_now, waiting_now = Exists(in_force), Exists(in_force.filter(provisional=True))
    fields = ["registration", "registration__learner", "unit", "decided_by", "countersigned_by"]
    rows = (
        kept.annotate(in_period=in_period, signed_now=signed_now, waiting_now=waiting_now)
        .order_by()
        .values_list(*fields, "method", "in_period", "signed_now", "waiting_now")
        .distinct()
    )
    learners: dict[int, int] = {}
    grouped: dict[tuple[int, int, int], set[str]] = {}
    people: dict[tuple[int, int], set[int]] = {}
    signed: dict[tuple[int, int], bool] = {}
    for registration, learner, unit, decided_by, countersigned_by, method, now, *done in rows:
        learners[registration] = learner
        found = people.setdefault((registration, unit), set())
        found.update(p for p in (decided_by, countersigned_by) if p)
        if now:
            grouped.setdefault((registration, unit, decided_by), set()).add(method)
        if done[0]:
            signed[registration, unit] = done[1]
    if only is None:
        signed = signed_off({r for r, _, _ in grouped})
    deciders = {key: frozenset(found) for key, found in people.items()}
    return _pieces(grouped, learners, signed, deciders)


def _pieces(
    grouped: dict[tuple[int, int, int], set[str]],
    learners: dict[int, int],
    signed: dict[tuple[int, int], bool],
    deciders: dict[tuple[int, int], frozenset[int]],
    left_out: set[tuple[int, int]] | None = None,
) -> list[Work]:
    """The period's work from its lines grouped by (registration, unit, assessor), in that
    order: each learner's unit summative if signed off, left out if signed off provisionally
    (not final: nothing of the unit is sampled until a qualified assessor countersigns it,
    decision 53, amended) or among `left_out`."""
    none: frozenset[int] = frozenset()
    return [
        Work(
            registration=registration,
            learner=learners[registration],
            unit=unit,
            assessor=assessor,
            methods=frozenset(methods),
            stage=Stage.SUMMATIVE if (registration, unit) in signed else Stage.INTERIM,
            deciders=deciders.get((registration, unit), none),
        )
        for (registration, unit, assessor), methods in sorted(grouped.items())
        if not signed.get((registration, unit))
        and not (left_out and (registration, unit) in left_out)
    ]


def work_to_plan(
    centre: Centre,
    qualification: Qualification,
    starts_on: datetime.date,
    ends_on: datetime.date,
    iqa: int,
) -> list[Work]:
    """The work of the period the IQA `iqa` may plan: `work_in_period` without the units where
    any decision is theirs (decided or countersigned, whatever the date), which the planner
    leaves out (`propose`), so it proposes from these exactly what it proposes from the whole
    period's work. Each piece's `deciders` is left empty: who else decided is not read.

    Read from the period's lines and the IQA's own (`_planners_lines`), not every line of every
    learner (at the benchmark's plan 371 rows instead of 1,139), in two queries compiled
    once per process and period (`portal.compiled`)."""
    learners: dict[int, int] = {}
    grouped: dict[tuple[int, int, int], set[str]] = {}
    theirs: set[tuple[int, int]] = set()
    read = _planners_lines(starts_on, ends_on)
    for registration, learner, unit, decided_by, method, now, mine in read(
        centre.pk, qualification.pk, iqa
    ):
        if mine:
            theirs.add((registration, unit))
        if now:
            learners[registration] = learner
            grouped.setdefault((registration, unit, decided_by), set()).add(method)
    signed = signed_off({r for r, _, _ in grouped})
    return _pieces(grouped, learners, signed, {}, theirs)


PLANNERS_LINE = (
    "registration",
    "registration__learner",
    "unit",
    "decided_by",
    "method",
    "in_period",
    "mine",
)


@functools.lru_cache(maxsize=16)
def _planners_lines(
    starts_on: datetime.date, ends_on: datetime.date
) -> Callable[..., list[tuple[Any, ...]]]:
    """The distinct kept lines `work_to_plan` reads, for one period: (registration, learner,
    unit, decided by, method, whether in the period, whether the IQA decided or countersigned
    it) of the lines in the period and of the IQA's own lines whatever their date, compiled once
    per process for each period (the ids put afresh: `compiled_once`)."""
    in_period = Q(assessed_on__gte=starts_on, assessed_on__lte=ends_on)

    def theirs(iqa_id: int) -> Q:
        return Q(decided_by=iqa_id) | Q(countersigned_by=iqa_id)

    def flag(condition: Q) -> Case:
        # True or false as PostgreSQL gives them: an integer's flag had Django convert each
        # value of every row (`int()`, two calls a row for hundreds of rows), a boolean none.
        return Case(When(condition, then=True), default=False, output_field=BooleanField())

    @compiled_once
    def read(centre_id: int, qualification_id: int, iqa_id: int) -> QuerySet[DecidedWork, Any]:
        return (
            kept_lines(Centre(pk=centre_id), Qualification(pk=qualification_id))
            .filter(in_period | theirs(iqa_id))
            .annotate(in_period=flag(in_period), mine=flag(theirs(iqa_id)))
            .order_by()
            .values_list(*PLANNERS_LINE)
            .distinct()
        )

    return read


@dataclass(frozen=True)
class Piece:
    """A piece of the period's work as the plan page counts and lists it: `Work` without the
    learner and who else decided (which only the planner needs)."""

    registration: int
    unit: int
    assessor: int
    methods: frozenset[str]
    stage: str

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.registration, self.unit, self.stage)


def pieces_in_period(
    centre: Centre, qualification: Qualification, starts_on: datetime.date, ends_on: datetime.date
) -> list[Piece]:
    """The pieces of `work_in_period`, read from the period's lines alone, in two queries: what
    the plan page shows of the period's work, without reading every line of every learner."""
    rows = _period_lines(starts_on, ends_on)(centre.pk, qualification.pk)
    grouped: dict[tuple[int, int, int], set[str]] = {}
    for registration, unit, assessor, method in rows:
        grouped.setdefault((registration, unit, assessor), set()).add(method)
    signed = signed_off({r for r, _, _ in grouped})
    return [
        Piece(r, u, a, frozenset(methods), Stage.SUMMATIVE if (r, u) in signed else Stage.INTERIM)
        for (r, u, a), methods in sorted(grouped.items())
        if not signed.get((r, u))  # signed off provisionally: not to be sampled yet
    ]


@functools.lru_cache(maxsize=16)
def _period_lines(
    starts_on: datetime.date, ends_on: datetime.date
) -> Callable[..., list[tuple[Any, ...]]]:
    """The distinct (registration, unit, decided by, method) of the period's kept lines that
    `pieces_in_period` reads, compiled once per process for each period (`compiled_once`)."""

    @compiled_once
    def read(centre_id: int, qualification_id: int) -> QuerySet[DecidedWork, Any]:
        return (
            kept_lines(Centre(pk=centre_id), Qualification(pk=qualification_id))
            .filter(assessed_on__gte=starts_on, assessed_on__lte=ends_on)
            .order_by()
            .values_list("registration", "unit", "decided_by", "method")
            .distinct()
        )

    return read


def kept_lines(centre: Centre, qualification: Qualification) -> QuerySet[DecidedWork]:
    """The kept lines of the current decisions of the centre's open registrations on the
    qualification. Filtered on the join, so PostgreSQL starts from the centre's registrations
    and reads each one's lines from the index alone."""
    return DecidedWork.objects.filter(
        still_open("registration__"),
        registration__centre=centre,
        registration__qualification=qualification,
    )


def signed_off(registrations: set[int]) -> dict[tuple[int, int], bool]:
    """The (registration, unit) signed off (in force) of these registrations: summative work,
    each with whether its sign-off is provisional (awaiting an assessor's countersignature,
    decision 53: not yet to be sampled). Read by the registrations' ids (an index): as an
    EXISTS beside each line, PostgreSQL read every sign-off of the portal (10 ms), and by the
    centre's registrations again it matched them against every one too."""
    found = _signed_off(sorted(registrations))
    return {(registration, unit): provisional for registration, unit, provisional in found}


@compiled_once
def _signed_off(registrations: list[int]) -> QuerySet[UnitSignOff, Any]:
    """`signed_off`'s read, compiled once per process (`portal.compiled`)."""
    return (
        UnitSignOff.objects.in_force()
        .filter(one_of("registration_id", registrations))
        .values_list("registration_id", "unit_id", "provisional")
    )
