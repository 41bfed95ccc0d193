"""A person's standing and who can countersign, read once per request in a fixed number of
queries (issue 17, fourth round; decision 59): the same answers as the reads they replace."""

import pytest
from django.http import Http404
from django.utils import timezone

from assessment.access import planned_unit_assessed, planned_unit_for
from assessment.provisional import countersigners, countersigners_of
from competence.models import Practice
from competence.standing import enforced, scope_of, scope_where_enforced
from qualifications.kept_units import forget_units, how_assessed
from qualifications.models import Unit
from tests.competence.register import award, enforce
from tests.factories import RoleFactory, UserFactory
from tests.iqa.test_services import BEGUN_UNIT, SIGNED_UNIT

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(centre):
    """Another qualified (not trainee) assessor of the centre."""
    user = UserFactory.create(email="colleague@example.org", full_name="Cole League")
    RoleFactory.create(user=user, centre=centre, kind="assessor")
    return user


def standing(person, centre):
    today = timezone.localdate()
    return scope_where_enforced(person.pk, centre.pk, Practice.ASSESSING, today)


def test_the_scope_is_none_until_the_centre_enforces_its_register_then_as_scope_of_says(
    centre, centre_admin, assessor, django_assert_num_queries
):
    begun = Unit.objects.get(code=BEGUN_UNIT)
    award(centre, assessor, centre_admin, units=[begun])
    with django_assert_num_queries(1):
        assert standing(assessor, centre) is None
    enforce(centre, centre_admin)
    with django_assert_num_queries(1):
        found = standing(assessor, centre)
    assert enforced(centre.pk)
    assert found == scope_of(assessor.pk, centre.pk, Practice.ASSESSING, timezone.localdate())
    assert found is not None and found.units == frozenset([begun.pk])


def test_an_enforcing_centre_with_no_award_gives_an_empty_scope_not_none(
    centre, centre_admin, assessor
):
    enforce(centre, centre_admin)
    found = standing(assessor, centre)
    assert found is not None and not found.qualifications and not found.units


@pytest.mark.parametrize("told", [False, True], ids=["switch known", "switch read with them"])
@pytest.mark.parametrize("enforcing", [False, True])
def test_the_countersigners_of_several_units_are_each_units_own_in_one_query(
    told,
    enforcing,
    registration,
    centre,
    centre_admin,
    assessor,
    colleague,
    sfj,
    django_assert_num_queries,
):
    begun, signed = (Unit.objects.get(code=c) for c in (BEGUN_UNIT, SIGNED_UNIT))
    only_begun = UserFactory.create(email="begun@example.org", full_name="Bea Begun")
    RoleFactory.create(user=only_begun, centre=centre, kind="assessor")
    award(centre, colleague, centre_admin, qualifications=[sfj])
    award(centre, only_begun, centre_admin, units=[begun])
    if enforcing:
        enforce(centre, centre_admin)
    units = [begun.pk, signed.pk]
    expected = {u: countersigners(registration, u, besides=[assessor.pk]) for u in units}
    with django_assert_num_queries(1):
        found = countersigners_of(
            registration, units, besides=[assessor.pk], enforcing=enforcing if told else None
        )
    assert found == expected
    assert ("Bea Begun" in found[signed.pk]) is not enforcing
    assert "Bea Begun" in found[begun.pk]


def test_a_units_rules_are_kept_a_revision_even_before_a_page_reads_its_rows(
    sfj, django_assert_num_queries
):
    forget_units()
    unit = Unit.objects.get(code=SIGNED_UNIT)
    first = how_assessed(sfj, unit.pk)
    with django_assert_num_queries(0):
        assert how_assessed(sfj, unit.pk) == first


def test_the_sign_off_pages_unit_is_read_with_who_assesses_it_in_one_query(
    registration, colleague, django_assert_num_queries
):
    """`planned_unit_assessed` (issue 17, fifth round): the unit of the plan and its assessor,
    the unit's own else the registration's, as `unit_assessors` says, in one query; a unit
    outside the plan is a 404."""
    planned = list(registration.planned_units.order_by("pk"))
    given = planned[0]
    given.assessor = colleague
    given.save()
    expected = registration.unit_assessors()
    assert expected[given.unit_id] == colleague.pk
    assert expected[planned[1].unit_id] == registration.assessor_id
    for line in planned[:2]:
        with django_assert_num_queries(1):
            unit, assessed_by = planned_unit_assessed(registration, line.unit_id)
        assert (unit.pk, assessed_by) == (line.unit_id, expected[line.unit_id])
        assert unit == planned_unit_for(registration, line.unit_id)
    outside = Unit.objects.exclude(pk__in=expected).first()
    assert outside is not None
    for pk in (outside.pk, 2**70):  # not in the plan; a number no id reaches
        with pytest.raises(Http404):
            planned_unit_assessed(registration, pk)
