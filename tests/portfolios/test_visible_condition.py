"""Evidence is opened with the visibility condition asked of its joined registration
(`visible_condition(..., to="registration__")`, decision 59): every person sees exactly the
evidence they saw through `registration__in=` the registrations `visible_to` gives them,
however they came to see it (their own, their caseload, a unit given to them, a trainee's
work waiting for a countersignature, a sample, their centre)."""

import pytest

from assessment.models import Decision
from portal.models import Role, RoleKind
from portfolios.models import Evidence, Registration, RegistrationUnit, visible_condition
from tests.factories import RoleFactory, UserFactory
from tests.matrix import world_for_module
from tests.world import ASSESSOR, EQA, OUTSIDER, STAFF_OF_OURS, TRAINEE

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def through_the_join(person) -> set[int]:
    condition = visible_condition(person, to="registration__")
    if condition is None:
        return set()
    return set(Evidence.objects.filter(condition).values_list("pk", flat=True))


def through_the_registrations(person) -> set[int]:
    visible = Registration.objects.visible_to(person)
    return set(Evidence.objects.filter(registration__in=visible).values_list("pk", flat=True))


def everyone(world):
    return [world.person(p) for p in (*STAFF_OF_OURS, EQA, OUTSIDER)] + list(
        world.theirs.people.values()
    )


def test_everyone_sees_the_same_evidence_through_the_join_as_through_the_registrations(world):
    seen = {}
    for person in everyone(world):
        seen[person.email] = through_the_join(person)
        assert seen[person.email] == through_the_registrations(person), person.email
    # Not trivially: some see evidence, some see none of ours.
    assert seen[world.person(ASSESSOR).email] >= {world.ours.evidence.pk, world.ours.draft.pk}
    assert world.ours.evidence.pk not in seen[world.person(OUTSIDER).email]


def test_a_qualified_assessor_sees_a_trainees_unit_and_their_work_waiting_the_same_way(world):
    ours = world.ours
    trainee = ours.people[TRAINEE]
    colleague = UserFactory.create(email="colleague.ours@example.org")
    RoleFactory.create(user=colleague, centre=ours.centre, kind=RoleKind.ASSESSOR)
    learners_work = {ours.evidence.pk, ours.draft.pk}
    assert not through_the_join(colleague) & learners_work
    # A unit given to the trainee: the colleague countersigns it, so sees the learner's work.
    RegistrationUnit.objects.filter(registration=ours.registration, unit=ours.unit).update(
        assessor=trainee
    )
    Decision.objects.filter(registration=ours.registration, current=True).update(provisional=True)
    assert through_the_join(colleague) >= learners_work
    assert through_the_join(colleague) == through_the_registrations(colleague)
    assert through_the_join(trainee) == through_the_registrations(trainee)
    # The trainee gone: their decisions still wait for a countersignature, still seen alike.
    Role.objects.filter(user=trainee, centre=ours.centre).delete()
    assert through_the_join(colleague) >= learners_work
    assert through_the_join(colleague) == through_the_registrations(colleague)
