"""`assessment.provisional.countersigners_of` is written as SQL: it names, unit by unit, whom
the ORM's query it replaced named (kept here as it was), over a centre where people differ in
every way that query asks: their roles (trainee, IQA, another centre's), their awards (of the
qualification, of a unit, of another unit, expired, ended, worked towards, of another centre)
and their names (two people of one name), with the register enforced or not and the caller
telling it or not."""

import datetime

import pytest
from django.db.models import Exists, OuterRef, Q, Value
from django.utils import timezone

from assessment.provisional import _current_entries, countersigners_of
from competence.models import RegisterEnforced
from competence.services import entry_end
from portal.models import RoleKind, User
from qualifications.models import Unit
from tests.competence.register import award, enforce
from tests.factories import RoleFactory, UserFactory
from tests.iqa.test_services import BEGUN_UNIT, SIGNED_UNIT

pytestmark = pytest.mark.django_db


def orm_countersigners_of(registration, unit_ids, *, besides, enforcing=None):
    """The ORM's query, as `countersigners_of` was before it was written as SQL."""
    found = (
        User.objects.filter(
            roles__centre_id=registration.centre_id,
            roles__kind=RoleKind.ASSESSOR,
            roles__is_trainee=False,
        )
        .exclude(pk__in=[*besides, registration.learner_id])
        .order_by("full_name", "pk")
        .distinct()
    )
    if enforcing is False:
        names = list(found.values_list("full_name", flat=True))
        return {unit_id: names for unit_id in unit_ids}
    current = _current_entries(registration.centre_id, timezone.localdate())
    covers = {
        f"covers_{unit_id}": Exists(
            current.filter(
                Q(qualifications=registration.qualification_id) | Q(units=unit_id),
                person_id=OuterRef("pk"),
            )
        )
        for unit_id in unit_ids
    }
    switch = (
        Value(True)
        if enforcing
        else Exists(RegisterEnforced.objects.filter(centre_id=registration.centre_id))
    )
    rows = list(
        found.annotate(enforced=switch, **covers).values_list("full_name", "enforced", *covers)
    )
    return {
        unit_id: [row[0] for row in rows if not row[1] or row[2 + at]]
        for at, unit_id in enumerate(unit_ids)
    }


def assessor_named(centre, name, email, **role):
    user = UserFactory.create(email=email, full_name=name)
    RoleFactory.create(user=user, centre=centre, kind=RoleKind.ASSESSOR, **role)
    return user


@pytest.fixture
def people(registration, centre, other_centre, centre_admin, assessor, sfj):
    begun, signed = (Unit.objects.get(code=c) for c in (BEGUN_UNIT, SIGNED_UNIT))
    other_unit = Unit.objects.exclude(pk__in=[begun.pk, signed.pk]).order_by("pk")[0]
    today = timezone.localdate()
    of_qualification = assessor_named(centre, "Quinn Qual", "q@example.org")
    award(centre, of_qualification, centre_admin, qualifications=[sfj])
    of_begun = assessor_named(centre, "Bea Begun", "b@example.org")
    award(centre, of_begun, centre_admin, units=[begun])
    award(centre, of_begun, centre_admin, units=[begun, signed], expires_on=today)  # still today
    # Two of one name: one covering the signed unit, one with nothing.
    award(
        centre, assessor_named(centre, "Sam Same", "s1@example.org"), centre_admin, units=[signed]
    )
    assessor_named(centre, "Sam Same", "s2@example.org")
    expired = assessor_named(centre, "Ex Pired", "e@example.org")
    award(
        centre,
        expired,
        centre_admin,
        qualifications=[sfj],
        expires_on=today - datetime.timedelta(days=1),
    )
    ended = assessor_named(centre, "En Ded", "n@example.org")
    entry_end(
        entry=award(centre, ended, centre_admin, units=[begun]), reason="left", actor=centre_admin
    )
    working = assessor_named(centre, "Will Work", "w@example.org")
    award(
        centre, working, centre_admin, units=[begun], deadline=today + datetime.timedelta(days=30)
    )
    # Of the qualification at another centre only: named where the register is not enforced.
    RoleFactory.create(user=centre_admin, centre=other_centre, kind=RoleKind.CENTRE_ADMIN)
    elsewhere = assessor_named(other_centre, "Al Elsewhere", "a@example.org")
    RoleFactory.create(user=elsewhere, centre=centre, kind=RoleKind.ASSESSOR)
    # An assessor of another centre only, with an award there: never named here.
    only_there = assessor_named(other_centre, "Only There", "ot@example.org")
    award(other_centre, only_there, centre_admin, qualifications=[sfj])
    award(other_centre, elsewhere, centre_admin, qualifications=[sfj])
    # Trainees and IQAs never countersign, whatever they hold; nor does the learner.
    award(
        centre,
        assessor_named(centre, "Tr Ainee", "t@example.org", is_trainee=True),
        centre_admin,
        qualifications=[sfj],
    )
    iqa = UserFactory.create(email="i@example.org", full_name="Iq Aonly")
    RoleFactory.create(user=iqa, centre=centre, kind=RoleKind.IQA)
    RoleFactory.create(user=registration.learner, centre=centre, kind=RoleKind.ASSESSOR)
    # Another unit's award, a person with two qualified roles... at two centres.
    award(
        centre,
        assessor_named(centre, "Oth Unit", "o@example.org"),
        centre_admin,
        units=[other_unit],
    )
    RoleFactory.create(user=of_begun, centre=other_centre, kind=RoleKind.ASSESSOR)
    return [begun.pk, signed.pk, other_unit.pk]


@pytest.mark.parametrize("enforced", [False, True])
def test_the_sql_names_whom_the_orm_named(
    enforced, people, registration, centre, centre_admin, assessor
):
    if enforced:
        enforce(centre, centre_admin)
    begun, signed, other = people
    for units in ([], [begun], [signed, begun], [other, signed, begun]):
        for told in (None, enforced):
            for besides in (
                [assessor.pk],
                [assessor.pk, User.objects.get(full_name="Bea Begun").pk],
            ):
                expected = orm_countersigners_of(
                    registration, units, besides=besides, enforcing=told
                )
                found = countersigners_of(registration, units, besides=besides, enforcing=told)
                assert found == expected, (units, told, besides)
    every = countersigners_of(registration, [begun, signed], besides=[assessor.pk])
    if enforced:
        assert every[begun] == ["Bea Begun", "Quinn Qual"]
        assert every[signed] == ["Bea Begun", "Quinn Qual", "Sam Same"]
    else:
        assert len(every[begun]) == 9 and every[begun].count("Sam Same") == 2
