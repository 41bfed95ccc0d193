"""The registrations list reads its page's rows and the qualifications filter by SQL compiled
once (`portfolios.views.registration_rows`, `centre_qualifications`): on real rows (an
assessor, an IQA and a unit's own assessor who left; one not allocated), each row is what the
ORM's rules give (`still_holds`, `unit_assessor_left` over the registration's own centre), and
another centre's admin, asking with this centre's registrations, reads none of them."""

import pytest
from django.db.models import Exists, OuterRef

from portal.models import RoleKind
from portal.services import person_deactivate
from portfolios.models import Registration, still_holds, unit_assessor_left
from portfolios.services import registration_unit_assessor_change
from portfolios.views import centre_qualifications, registration_rows
from qualifications.models import Qualification, Unit
from tests.factories import CentreFactory, RoleFactory
from tests.portfolios.test_staff_who_left import another
from tests.portfolios.test_unit_assessor_left import UNIT

pytestmark = pytest.mark.django_db


@pytest.fixture
def several(registration, centre, centre_admin, assessor, iqa):
    """Four registrations: the IQA left one; another's assessor left (its IQA stays); a third's
    unit assessor left; a fourth with nobody allocated."""
    second = RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR).user
    third = RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR).user
    staying = RoleFactory.create(centre=centre, kind=RoleKind.IQA).user
    by_second = another(registration, centre_admin, assessor=second, iqa=staying)
    unit_left = another(registration, centre_admin, assessor=assessor)
    nobody = another(registration, centre_admin)
    registration_unit_assessor_change(
        registration=unit_left, unit=Unit.objects.get(code=UNIT), assessor=third,
        actor=centre_admin,
    )  # fmt: skip
    for person in (iqa, second, third):
        person_deactivate(centre=centre, person=person, reason="Left", actor=centre_admin)
    return [registration, by_second, unit_left, nobody]


def orm_rows(keys):
    """The rows as the ORM's rules give them, over each registration's own centre."""
    found = (
        Registration.objects.filter(pk__in=keys)
        .select_related("learner", "qualification", "assessor", "iqa")
        .annotate(
            assessor_here=still_holds("assessor", RoleKind.ASSESSOR),
            iqa_here=still_holds("iqa", RoleKind.IQA),
            unit_assessor_left=unit_assessor_left(),
        )
    )
    return {
        r.pk: (
            r.pk,
            r.learner.full_name,
            r.qualification.title,
            r.assessor_id,
            r.assessor.full_name if r.assessor else None,
            r.iqa_id,
            r.iqa.full_name if r.iqa else None,
            r.start_date,
            r.planned_end_date,
            r.status,
            r.assessor_here,
            r.iqa_here,
            r.unit_assessor_left,
        )
        for r in found
    }


def test_each_row_is_what_the_orm_rules_give(several, centre):
    keys = [r.pk for r in several]
    got = {row[0]: row for row in registration_rows(centre.pk, keys)}
    assert got == orm_rows(keys)
    # The cases are there: each flag both ways, and a registration with nobody allocated.
    flags = [(row[10], row[11], row[12]) for row in got.values()]
    assert {f[0] for f in flags} == {True, False} and {f[1] for f in flags} == {True, False}
    assert {f[2] for f in flags} == {True, False}
    assert any(row[3] is None and row[5] is None for row in got.values())


def test_another_centres_admin_reads_none_of_them(several):
    elsewhere = CentreFactory.create()
    assert registration_rows(elsewhere.pk, [r.pk for r in several]) == []
    assert centre_qualifications(elsewhere.pk) == []


def test_the_qualifications_are_the_centres_own_by_title(several, centre, catalogue_db):
    elsewhere = CentreFactory.create()
    assert centre_qualifications(centre.pk) == list(
        Qualification.objects.filter(
            Exists(Registration.objects.filter(centre=centre, qualification=OuterRef("pk")))
        )
        .order_by("title")
        .values_list("pk", "title")
    )
    assert centre_qualifications(centre.pk)  # not empty: compared on real rows
    assert centre_qualifications(elsewhere.pk) == []
