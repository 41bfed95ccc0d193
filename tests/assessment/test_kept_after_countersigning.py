"""The work kept for the IQA after countersigning and returning, which write again only the
lines of the deciders whose decisions they changed (`keep_decided_work` with `deciders`): line
for line what a fill of the whole table from the decisions (`fill_decided_work`) makes, with
several trainees, partial lists and other assessors' decisions on the same registrations."""

import datetime

import pytest
from django.utils import timezone

from assessment.kept import fill_decided_work, keep_decided_work
from assessment.models import DecidedWork, Decision, Outcome
from assessment.services import decision_countersign, decision_return
from portal.models import RoleKind, User
from portfolios.models import Registration
from qualifications.models import Criterion
from tests.assessment.crowd import ON, decisions_on, many_learners
from tests.factories import RoleFactory, UserFactory

LINE = ("registration", "unit", "decided_by", "countersigned_by", "method", "assessed_on")


def kept() -> list[tuple[object, ...]]:
    """The kept lines, each as often as it is there (a line written twice would show)."""
    return sorted(DecidedWork.objects.values_list(*LINE), key=repr)


def filled() -> list[tuple[object, ...]]:
    """The kept lines as a fill of the whole table from the decisions writes them."""
    fill_decided_work()
    return kept()


def assert_kept_as_filled() -> None:
    written = kept()
    assert written == filled()


@pytest.fixture
def second_trainee(centre):
    trainee = UserFactory.create(email="second.trainee@example.org")
    RoleFactory.create(user=trainee, centre=centre, kind=RoleKind.ASSESSOR, is_trainee=True)
    return trainee


@pytest.fixture
def countersigner(centre):
    person = UserFactory.create(email="countersigner@example.org")
    RoleFactory.create(user=person, centre=centre, kind=RoleKind.ASSESSOR)
    return person


def test_countersigning_and_returning_keep_the_lines_a_fill_from_the_decisions_makes(
    registration, assessor, trainee_assessor, second_trainee, countersigner
):
    registrations = [registration, *many_learners(registration, 3)]
    # The qualified assessor's own decisions on the same registrations: lines not touched.
    decisions_on(registrations, assessor, 2)
    decisions_on(registrations, assessor, 1, after=2, method="product")
    # The first trainee: two days and two methods, so each registration has several lines.
    first = decisions_on(registrations, trainee_assessor, 3, after=3, provisional=True)
    first += decisions_on(
        registrations, trainee_assessor, 2, after=6, provisional=True, on=ON + datetime.timedelta(1)
    )
    second = decisions_on(registrations[:2], second_trainee, 2, after=8, provisional=True)
    # The first trainee on another unit too: lines of the same registration and decider.
    first += in_another_unit(registrations, trainee_assessor)
    assert_kept_as_filled()

    def of(made, registration):
        return [d for d in made if d.registration_id == registration.pk]

    # Part of one trainee's decisions on two registrations, part of a registration's lines.
    decision_countersign(
        decisions=of(first, registrations[0])[:2] + of(first, registrations[2])[3:5],
        actor=countersigner,
    )
    assert_kept_as_filled()
    # One unit's decisions only, the other unit's lines of the same trainee left.
    decision_countersign(decisions=of(first, registrations[3])[5:], actor=countersigner)
    assert_kept_as_filled()
    # Both trainees at once, on registrations some of whose lines were countersigned already.
    decision_countersign(
        decisions=of(first, registrations[0])[2:3] + of(second, registrations[1])[:1],
        actor=countersigner,
    )
    assert_kept_as_filled()
    # The rest of a registration: its lines by that trainee all countersigned.
    decision_countersign(decisions=of(first, registrations[1]), actor=countersigner)
    # All of a registration's waiting decisions, of both units.
    decision_countersign(
        decisions=Decision.objects.filter(
            registration=registrations[2], provisional=True, current=True
        ),
        actor=countersigner,
    )
    assert_kept_as_filled()
    # A return takes the decision out of the work: the line goes if no other decision has it.
    [returned] = of(first, registrations[3])[3:4]
    assert criterion_unit(returned) != criterion_unit(of(first, registrations[3])[5])
    decision_return(decision=returned, reason="Not what was seen.", actor=countersigner)
    assert_kept_as_filled()
    [alone] = of(second, registrations[0])[:1]
    decision_return(decision=alone, reason="Not what was seen.", actor=countersigner)
    assert_kept_as_filled()
    # Every kind of line is there: countersigned and not, of each trainee and the assessor.
    lines = kept()
    assert {(d, c) for _, _, d, c, _, _ in lines} == {
        (assessor.pk, None),
        (trainee_assessor.pk, None),
        (trainee_assessor.pk, countersigner.pk),
        (second_trainee.pk, None),
        (second_trainee.pk, countersigner.pk),
    }
    units = {u for _, u, d, _, _, _ in lines if d == trainee_assessor.pk}
    assert len(units) == 2


def criterion_unit(decision: Decision) -> int:
    assert decision.criterion_id is not None
    return Criterion.objects.get(pk=decision.criterion_id).unit_id


def in_another_unit(registrations: list[Registration], by: User) -> list[Decision]:
    """Two waiting decisions by `by` on each registration, on the criteria of the last unit
    of its plan (`decisions_on` takes the first unit's)."""
    made = []
    for registration in registrations:
        planned = registration.planned_units.order_by("unit__code").last()
        assert planned is not None
        for criterion in Criterion.objects.filter(unit=planned.unit_id).order_by("pk")[:2]:
            made.append(
                Decision(
                    registration=registration,
                    criterion=criterion,
                    outcome=Outcome.MET,
                    method="product",
                    assessed_on=ON,
                    decided_by=by,
                    decided_at=timezone.now(),
                    provisional=True,
                )
            )
    made = Decision.objects.bulk_create(made)
    keep_decided_work(r.pk for r in registrations)
    return made
