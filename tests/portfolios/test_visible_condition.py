"""Evidence is opened with the visibility condition asked of its joined registration
(`visible_condition(..., to="registration__")`, decision 59): every person sees exactly the
evidence they saw through `registration__in=` the registrations `visible_to` gives them,
however they came to see it (their own, their caseload, a unit given to them, a trainee's
work waiting for a countersignature, a sample, their centre)."""

from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.models import Decision
from portal.models import Role, RoleKind, User
from portfolios.access import by_its_columns, may_see
from portfolios.models import (
    Evidence,
    Registration,
    RegistrationUnit,
    visible_by_its_columns,
    visible_condition,
)
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


# Told from the registration's own columns first (decision 64): `may_see` asks the condition
# only when they do not say so.


def asked(person: User) -> Any:
    """What `may_see` reads of a request: the person and the roles the middleware read."""
    return SimpleNamespace(user=person, roles=list(Role.objects.filter(user=person)))


def test_what_the_columns_say_is_seen_is_seen_and_may_see_is_exactly_the_condition(world):
    registrations = list(Registration.objects.all())
    told_somewhere = 0
    for person in everyone(world):
        request = asked(person)
        visible = set(Registration.objects.visible_to(person).values_list("pk", flat=True))
        told = {r.pk for r in registrations if visible_by_its_columns(r, person, request.roles)}
        assert told <= visible, person.email
        assert {r.pk for r in registrations if may_see(request, r)} == visible, person.email
        told_somewhere += len(told)
    assert told_somewhere  # not trivially: the learner, assessor, IQA and admin are told so


def test_the_columns_need_the_role_at_the_registrations_centre_and_an_active_account(world):
    ours = world.ours
    assessor = ours.people[ASSESSOR]
    request = asked(assessor)
    roles = request.roles
    assert ours.registration.assessor_id == assessor.pk
    with CaptureQueriesContext(connection) as queries:
        assert visible_by_its_columns(ours.registration, assessor, roles)
        assert may_see(request, ours.registration)
    assert len(queries) == 0  # told from the columns: no query
    assessor.is_active = False
    assert not visible_by_its_columns(ours.registration, assessor, roles)
    assessor.is_active = True
    # Another centre's assessor role is no reason to see a registration at ours.
    elsewhere = [r for r in roles if r.centre_id != ours.centre.pk]
    assert not visible_by_its_columns(ours.registration, assessor, elsewhere)
    with pytest.raises(ValueError):
        visible_by_its_columns(
            ours.registration, assessor, list(Role.objects.exclude(user=assessor))
        )


def test_a_unit_given_to_a_colleague_is_seen_through_the_condition(world):
    ours = world.ours
    colleague = UserFactory.create(email="unit.colleague@example.org")
    RoleFactory.create(user=colleague, centre=ours.centre, kind=RoleKind.ASSESSOR)
    request = asked(colleague)
    assert not may_see(request, ours.registration)
    RegistrationUnit.objects.filter(registration=ours.registration, unit=ours.unit).update(
        assessor=colleague
    )
    # Not the registration's assessor: the columns do not say, the condition does (one query).
    assert not visible_by_its_columns(ours.registration, colleague, request.roles)
    with CaptureQueriesContext(connection) as queries:
        assert may_see(request, ours.registration)
    assert len(queries) == 1


def test_only_a_person_acting_as_an_iqa_is_asked_the_condition_with_the_row(world):
    """An IQA sees most of what they sample through their plan, which the columns cannot tell:
    their pages ask the condition with the row, so they make the same queries whether or not
    the IQA is the registration's named one (tests/integration/test_query_counts_at_scale.py)."""
    for kind in RoleKind.values:
        request = SimpleNamespace(role=SimpleNamespace(kind=kind))
        assert by_its_columns(request) == (kind != RoleKind.IQA)  # type: ignore[arg-type]
    assert by_its_columns(SimpleNamespace(role=None))  # type: ignore[arg-type]
