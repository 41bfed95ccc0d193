"""An IQA's page of a registration reads it with the visibility condition by SQL compiled once
per process and shape of the person's roles (`RegistrationRead.visible_by_id`, issue 17,
seventh round): for every person of the test world, with their own roles and with every one
or two roles of each kind at either centre, it finds exactly the registrations
`Registration.objects.visible_to` finds, read as the ORM reads them."""

import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from django.http import Http404

from portal.models import Role, RoleKind, User
from portfolios.access import (
    PLAIN,
    REGISTRATION_WITH,
    ROLE_SHAPES,
    centres_by_kind,
    registration_for,
)
from portfolios.models import Registration
from portfolios.views import WHAT_IT_HAS
from tests.matrix import world_for_module
from tests.portfolios.test_read_compiled_once import same_as_the_orm

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def as_request(user: User, roles: list[Role]) -> Any:
    return SimpleNamespace(user=user, roles=roles, role=None)


def role_sets(user: User, centres: list[int], pairs: bool) -> list[list[Role]]:
    """The user's own roles, none, every role of each shape at either centre, and (`pairs`)
    every two of them."""
    each = [
        Role(user_id=user.pk, centre_id=centre, kind=kind, is_trainee=bool(trainee))
        for centre in centres
        for kind, trainee in ROLE_SHAPES
    ]
    own = list(Role.objects.filter(user=user))
    two = [list(p) for p in itertools.combinations(each, 2)] if pairs else []
    return [own, [], *([r] for r in each), *two]


def test_an_iqas_read_finds_what_the_visibility_condition_finds(world):
    registrations = list(Registration.objects.order_by("pk").values_list("pk", flat=True))
    centres = sorted({r.centre_id for r in Registration.objects.all()})
    assert len(registrations) >= 2 and len(centres) >= 2
    users = list(User.objects.order_by("pk"))
    # Every two roles for the people the pages are about (each set is one shape of the SQL).
    paired = {world.person(p).pk for p in ("iqa", "assessor", "learner")}
    seen = set()
    # As the world is, then with our learner assessed by the trainee (whose learners a
    # qualified assessor at the centre sees, and a trainee does not).
    trainee = world.person("trainee")
    for assessed_by_a_trainee in (False, True):
        if assessed_by_a_trainee:
            ours = Registration.objects.filter(pk=world.ours.registration.pk)
            ours.update(assessor=trainee)
        for user in users:
            for roles in role_sets(user, centres, user.pk in paired):
                visible = Registration.objects.visible_to(user, roles)
                expected = set(visible.values_list("pk", flat=True))
                centres_of = centres_by_kind(as_request(user, roles))
                for pk in registrations:
                    found = PLAIN.visible_by_id(pk, user.pk, *centres_of)
                    assert [r.pk for r in found] == ([pk] if pk in expected else []), roles
                    seen.add((bool(found), assessed_by_a_trainee))
    assert seen == {(True, False), (False, False), (True, True), (False, True)}


def test_what_it_reads_is_the_orms_and_registration_for_uses_it(world):
    iqa = world.person("iqa")
    roles = list(Role.objects.filter(user=iqa))
    request = as_request(iqa, roles)
    request.role = next(r for r in roles if r.kind == RoleKind.IQA)
    visible = Registration.objects.visible_to(iqa, roles).select_related(*REGISTRATION_WITH)
    found = list(visible.order_by("pk"))
    assert found
    for expected in found:
        read = registration_for(request, expected.pk)
        same_as_the_orm(read, expected, REGISTRATION_WITH)
        # With the registration page's annotations.
        [read] = WHAT_IT_HAS.visible_by_id(expected.pk, iqa.pk, *centres_by_kind(request))
        orm = visible.annotate(**WHAT_IT_HAS.annotations()).get(pk=expected.pk)
        same_as_the_orm(read, orm, REGISTRATION_WITH, list(WHAT_IT_HAS.annotations()))
    # An id nobody has, or none a column holds: nothing, as the ORM finds.
    for pk in (max(r.pk for r in Registration.objects.all()) + 1, 2**63, 10**30):
        assert PLAIN.visible_by_id(pk, iqa.pk, *centres_by_kind(request)) == []
    # An inactive person sees nothing (the condition is None for them).
    iqa.is_active = False
    with pytest.raises(Http404):
        registration_for(request, found[0].pk)
