"""`Registration.is_assessed_by` (the registration's assessor, or a unit's: decision 39), its
units read by SQL compiled once, answers as the ORM's query does for every registration and
person of the test world, with a unit given to another assessor."""

import pytest

from portal.models import User
from portfolios.models import Registration, RegistrationUnit
from tests.matrix import world_for_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def test_as_the_orm_answers(world):
    registrations = list(Registration.objects.all())
    people = list(User.objects.all())
    # A unit of the first registration given to someone who is not its assessor.
    first = registrations[0]
    given = next(p for p in people if p.pk != first.assessor_id)
    unit = first.planned_units.first()
    assert unit is not None
    RegistrationUnit.objects.filter(pk=unit.pk).update(assessor=given)
    answers = set()
    for registration in registrations:
        for person in people:
            orm = registration.assessor_id == person.pk or (
                registration.planned_units.filter(assessor=person).exists()
            )
            assert registration.is_assessed_by(person) == orm, (registration, person)
            answers.add(orm)
    assert answers == {True, False}
    assert first.is_assessed_by(given)
