"""What the planner reads of a period (`iqa.work.work_to_plan`: the period's lines and the IQA's
own) proposes exactly what it proposes from every line of the period's learners
(`work_in_period`), on a varied centre: several assessors and methods, work before, in and
after the period, the IQA deciding and countersigning some of it (in the period and outside
it), units signed off (in force, provisional, unlocked), and closed registrations."""

from __future__ import annotations

import datetime
import random

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from assessment.kept import keep_decided_work
from assessment.models import Decision, Outcome, UnitSignOff
from iqa.access import plan_read
from iqa.models import PlanItem, SamplingPlan, Stage
from iqa.planning import Work, propose
from iqa.services import plan_generate, risk_of, strategy_for
from iqa.work import work_in_period, work_to_plan
from portal.models import Role, RoleKind
from portfolios.models import Registration, RegistrationStatus
from qualifications.models import Criterion
from tests.assessment.crowd import many_learners
from tests.factories import RoleFactory
from tests.iqa.test_services import PERIOD_ENDS, PERIOD_STARTS, person

METHODS = ["observation", "product", "questioning", "witness_testimony"]
DAYS = [
    PERIOD_STARTS - datetime.timedelta(days=20),  # before the period
    PERIOD_STARTS,
    datetime.date(2026, 10, 6),
    PERIOD_ENDS,
    PERIOD_ENDS + datetime.timedelta(days=3),  # after it
]


def varied(registration, iqa, assessor, seed: int) -> list[Registration]:
    """Thirty more learners with random current decisions by four assessors and the IQA, some
    countersigned (by the IQA too), random sign-offs, and two registrations closed."""
    rng = random.Random(seed)
    centre = registration.centre
    others = [
        person(centre, RoleKind.ASSESSOR, f"assessor{seed}.{n}@example.org") for n in range(3)
    ]
    deciders = [assessor, *others, iqa]
    learners = [registration, *many_learners(registration, 30, prefix=f"v{seed}-")]
    made, signed = [], []
    for r in learners:
        units = list(r.planned_units.values_list("unit_id", flat=True))
        for unit_id in rng.sample(units, min(len(units), rng.randint(1, 5))):
            found = list(Criterion.objects.filter(unit_id=unit_id).order_by("pk")[:6])
            for c in rng.sample(found, rng.randint(1, len(found))):
                by = rng.choice(deciders)
                made.append(
                    Decision(
                        registration=r,
                        criterion=c,
                        outcome=Outcome.MET,
                        method=rng.choice(METHODS),
                        assessed_on=rng.choice(DAYS),
                        decided_by=by,
                        decided_at=timezone.now(),
                        countersigned_by=rng.choice([None, None, None, iqa, *others]),
                    )
                )
            kind = rng.choice(["none", "none", "signed", "provisional", "unlocked"])
            if kind != "none":
                signed.append(
                    UnitSignOff(
                        registration=r,
                        unit_id=unit_id,
                        signed_by=assessor,
                        signed_at=timezone.now(),
                        signature="Signed",
                        provisional=kind == "provisional",
                        unlocked_by=assessor if kind == "unlocked" else None,
                        unlocked_at=timezone.now() if kind == "unlocked" else None,
                        unlock_reason="Unlocked to correct a decision."
                        if kind == "unlocked"
                        else "",
                    )
                )
    Decision.objects.bulk_create(made)
    UnitSignOff.objects.bulk_create(signed)
    keep_decided_work(r.pk for r in learners)
    closed = learners[-2:]
    Registration.objects.filter(pk__in=[r.pk for r in closed]).update(
        status=RegistrationStatus.WITHDRAWN
    )
    return learners


def shown(work: list[Work]) -> list[tuple[object, ...]]:
    """Work as the plan's items take it: everything but who else decided."""
    return [(w.registration, w.learner, w.unit, w.assessor, w.methods, w.stage) for w in work]


def proposal(work: list[Work], centre, sfj, iqa, stages) -> list[Work]:
    strategy = strategy_for(centre, sfj)
    risks = risk_of(centre, sorted({w.assessor for w in work}))
    percent = {a: strategy.percent_for(r) for a, r in risks.items()}
    return propose(work, percent=percent, iqa=iqa.pk, stages=stages)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("stages", [[], [Stage.INTERIM, Stage.SUMMATIVE]])
def test_the_planner_proposes_the_same_work_from_the_period_and_the_iqas_lines(
    registration, centre, sfj, iqa, assessor, seed, stages
):
    varied(registration, iqa, assessor, seed)
    period = (centre, sfj, PERIOD_STARTS, PERIOD_ENDS)
    every = work_in_period(*period)
    read = work_to_plan(*period, iqa.pk)
    # The IQA's own units are left out, whether theirs in the period or only before or after.
    assert shown(read) == shown([w for w in every if iqa.pk not in w.deciders])
    assert len(read) < len(every)  # the IQA's decisions and countersignatures left some out
    assert {w.stage for w in read} == {Stage.INTERIM, Stage.SUMMATIVE}
    before = proposal(every, centre, sfj, iqa, stages)
    assert before  # something to plan
    assert shown(proposal(read, centre, sfj, iqa, stages)) == shown(before)


def test_a_generated_plan_holds_the_items_proposed_from_every_line_in_their_order(
    registration, centre, sfj, iqa, assessor
):
    varied(registration, iqa, assessor, 7)
    every = work_in_period(centre, sfj, PERIOD_STARTS, PERIOD_ENDS)
    expected = [
        (w.registration, w.unit, w.assessor, sorted(w.methods), w.stage)
        for w in proposal(every, centre, sfj, iqa, stages_of(centre, sfj))
    ]
    plan = plan_generate(
        centre=centre, qualification=sfj, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS, actor=iqa
    )
    items = PlanItem.objects.filter(plan=plan).order_by("pk")
    columns = ("registration_id", "unit_id", "assessor_id", "methods", "stage")
    assert [tuple(row) for row in items.values_list(*columns)] == expected
    assert plan.items_made == len(expected) > 10
    assert SamplingPlan.objects.count() == 1


def stages_of(centre, sfj) -> list[str]:
    strategy = strategy_for(centre, sfj)
    return [
        str(stage)
        for stage, required in (
            (Stage.INTERIM, strategy.interim_required),
            (Stage.SUMMATIVE, strategy.summative_required),
        )
        if required
    ]


def test_the_planner_proposes_the_same_whatever_the_order_its_work_was_held_in():
    """Several assessors' work on the same learners' units: proposed in the same order
    whichever way the pieces are held (their hash: who else decided, the methods' strings,
    which differ from one process to the next), not as a set happens to iterate them."""
    rng = random.Random(5)
    work = [
        Work(r, 1000 + r % 7, u, a, frozenset(rng.sample(METHODS, rng.randint(1, 3))),
             Stage.INTERIM, frozenset({a}))
        for r in range(1, 40)
        for u in range(1, 4)
        for a in rng.sample([101, 102, 103, 104], rng.randint(1, 3))
    ]  # fmt: skip
    first = shown(propose(work, percent={}, iqa=999))
    for n in range(5):
        # The same work, each piece hashing differently (its `deciders` other people).
        again = [
            Work(w.registration, w.learner, w.unit, w.assessor, w.methods, w.stage,
                 frozenset({w.assessor, 500 + n}))
            for w in reversed(work)
        ]  # fmt: skip
        assert shown(propose(again, percent={}, iqa=999)) == first


def test_a_plan_is_read_with_what_select_related_loaded_with_it(
    registration, centre, sfj, iqa, assessor
):
    """`iqa.access.plan_read` (SQL compiled once) gives the plan, its qualification, centre and
    IQA with every column `select_related` gave them; an id no plan has is a 404."""
    plan = plan_generate(
        centre=centre, qualification=sfj, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS, actor=iqa
    )
    read = plan_read(plan.pk)
    before = SamplingPlan.objects.select_related("qualification", "centre", "iqa").get(pk=plan.pk)

    def columns(obj) -> dict[str, object]:
        return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}

    for name in ("qualification", "centre", "iqa"):
        assert name in read._state.fields_cache  # loaded with the plan, no query later
        assert columns(getattr(read, name)) == columns(getattr(before, name))
    assert columns(read) == columns(before)
    assert str(read.centre) == str(before.centre) and not read._state.adding
    with pytest.raises(Http404):
        plan_read(plan.pk + 1000)


def test_only_an_iqa_of_the_plans_centre_generates_it(
    registration, centre, other_centre, sfj, iqa, assessor
):
    """`require_iqa` (its read compiled once): an IQA at another centre, an assessor here who is
    an IQA elsewhere, and an IQA whose role here has ended are refused; the IQA here is not."""
    varied(registration, iqa, assessor, 4)
    elsewhere = person(other_centre, RoleKind.IQA, "iqa.elsewhere@example.org")
    RoleFactory.create(user=assessor, centre=other_centre, kind=RoleKind.IQA)
    ended = person(centre, RoleKind.IQA, "ended.iqa@example.org")
    Role.objects.filter(user=ended, kind=RoleKind.IQA).delete()
    period = {"centre": centre, "qualification": sfj, "starts_on": PERIOD_STARTS}
    for actor in (elsewhere, assessor, ended):
        with pytest.raises(PermissionDenied):
            plan_generate(**period, ends_on=PERIOD_ENDS, actor=actor)
    assert not SamplingPlan.objects.exists()
    made = plan_generate(**period, ends_on=PERIOD_ENDS, actor=iqa)
    assert made.items_made and made.items_made > 0
