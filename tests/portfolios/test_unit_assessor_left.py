"""A unit's own assessor who leaves the centre (decisions 34 and 39): the admin home counts the
registration, the list's "has left" filter finds and marks it, the leaver's page names the
registration and the unit, and the people page keeps the leaver chosen for that unit until the
admin gives it to someone else or back to the registration's assessor (issue 19)."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from home.todo import todo_for
from portal.models import Notification, Role, RoleKind
from portal.services import person_deactivate, person_reactivate
from portfolios.models import Registration, RegistrationUnit
from portfolios.services import registration_unit_assessor_change, registration_withdraw
from qualifications.models import Unit
from tests.audit import AuditWatch
from tests.factories import RoleFactory
from tests.portfolios.test_staff_who_left import another

pytestmark = pytest.mark.django_db

UNIT = "A/506/2130"  # mandatory in the SFJ certificate: in every plan
OTHER_UNIT = "F/506/2131"  # mandatory too
LIST = reverse("portfolios:registration-list")
LEFT = "1 registration has an assessor or IQA who has left"


@pytest.fixture
def unit(sfj) -> Unit:
    return Unit.objects.get(code=UNIT)


@pytest.fixture
def second(centre):
    return RoleFactory.create(
        centre=centre, kind=RoleKind.ASSESSOR, user__full_name="Nadia Second"
    ).user


@pytest.fixture
def gone(registration, centre, centre_admin, unit, second):
    """The second assessor, given one unit of the registration, has left the centre."""
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=second, actor=centre_admin
    )
    person_deactivate(centre=centre, person=second, reason="Left", actor=centre_admin)
    return second


def logged_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def admin_todo(centre_admin) -> list[str]:
    role = Role.objects.get(user=centre_admin, kind=RoleKind.CENTRE_ADMIN)
    return [t.text for t in todo_for(centre_admin, role, datetime.date.today())]


def own_assessor(registration, code):
    return RegistrationUnit.objects.get(registration=registration, unit__code=code).assessor


def unit_select(page: str, unit: Unit) -> str:
    found = re.search(
        rf'<select name="assessor"[^>]*id="unit-{unit.pk}-assessor".*?</select>', page, re.S
    )
    assert found is not None
    return found.group(0)


def chosen(select: str) -> str:
    found = re.search(r"<option[^>]*selected[^>]*>([^<]*)</option>", select)
    return found.group(1) if found else ""


def test_the_home_and_the_list_find_a_registration_whose_units_assessor_has_left(
    registration, centre, centre_admin, second, unit
):
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=second, actor=centre_admin
    )
    assert LEFT not in admin_todo(centre_admin)
    assert not Registration.objects.with_staff_left().exists()
    person_deactivate(centre=centre, person=second, reason="Left", actor=centre_admin)
    assert LEFT in admin_todo(centre_admin)
    page = logged_in(centre_admin).get(LIST, {"staff": "left"}).content.decode()
    assert "1 registration matches" in page and registration.learner.full_name in page
    # The registration's own assessor is still here: the row says it is a unit's who left.
    assert 'data-testid="left"' not in page and page.count('data-testid="unit-left"') == 1
    # Given back to the registration's assessor: nobody left behind any more.
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=None, actor=centre_admin
    )
    assert LEFT not in admin_todo(centre_admin)
    assert 'data-testid="unit-left"' not in logged_in(centre_admin).get(LIST).content.decode()


def test_a_withdrawn_registration_or_another_centres_role_does_not_count(
    registration, centre, other_centre, centre_admin, gone
):
    # Still an assessor elsewhere: that does not assess this centre's unit.
    RoleFactory.create(user=gone, centre=other_centre, kind=RoleKind.ASSESSOR)
    assert LEFT in admin_todo(centre_admin)
    registration_withdraw(registration=registration, reason="Moved", actor=centre_admin)
    assert LEFT not in admin_todo(centre_admin)


def test_the_leavers_page_names_the_registration_and_the_unit(
    registration, centre_admin, learner, gone
):
    page = logged_in(centre_admin).get(reverse("person-detail", args=[gone.pk])).content.decode()
    assert "Assessor of 1 open registration here: change" in page
    [listed] = re.findall(r'<ul data-testid="left-behind">.*?</ul>', page, re.S)
    assert f"Assessor of unit {UNIT} for" in listed and learner.full_name in listed
    staff = reverse("portfolios:registration-staff", args=[registration.pk])
    assert f'href="{staff}#units-heading"' in listed


def test_the_leavers_page_lists_each_registration_once_with_all_their_units(
    registration, centre, centre_admin, assessor, second
):
    """Two units of one learner, and the registration of another (as its assessor)."""
    for code in (UNIT, OTHER_UNIT):
        registration_unit_assessor_change(
            registration=registration,
            unit=Unit.objects.get(code=code),
            assessor=second,
            actor=centre_admin,
        )
    theirs = another(registration, centre_admin, assessor=second)
    person_deactivate(centre=centre, person=second, reason="Left", actor=centre_admin)
    page = logged_in(centre_admin).get(reverse("person-detail", args=[second.pk])).content.decode()
    [listed] = re.findall(r'<ul data-testid="left-behind">.*?</ul>', page, re.S)
    items = re.findall(r"<li>(.*?)</li>", listed, re.S)
    assert len(items) == 2
    [units] = [i for i in items if registration.learner.full_name in i]
    assert f"Assessor of units {UNIT}, {OTHER_UNIT} for" in units
    [whole] = [i for i in items if theirs.learner.full_name in i]
    assert whole.startswith("Assessor of <a")


def test_the_people_page_keeps_the_leaver_chosen_for_their_unit_only(
    registration, centre_admin, assessor, gone, unit
):
    url = reverse("portfolios:registration-staff", args=[registration.pk])
    page = logged_in(centre_admin).get(url).content.decode()
    mine = unit_select(page, unit)
    assert chosen(mine) == f"{gone.full_name} ({gone.email}, has left the centre)"
    other = unit_select(page, Unit.objects.get(code=OTHER_UNIT))
    assert gone.email not in other and chosen(other).startswith("The registration&#x27;s")


def test_saving_another_unit_or_the_leavers_unit_unchanged_keeps_the_leaver(
    registration, centre, centre_admin, assessor, gone, unit
):
    third = RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR).user
    other = Unit.objects.get(code=OTHER_UNIT)
    client = logged_in(centre_admin)
    post = lambda u, value: client.post(  # noqa: E731
        reverse("portfolios:registration-unit-assessor", args=[registration.pk, u.pk]),
        {"assessor": value},
    )
    assert post(other, third.pk).status_code == 302
    assert own_assessor(registration, UNIT) == gone
    watch = AuditWatch()
    sent_back = post(unit, gone.pk)  # the form as shown, saved without a change
    assert sent_back.status_code == 200
    html = sent_back.content.decode()
    assert "already has this assessor: nothing changed" in html
    assert chosen(unit_select(html, unit)).startswith(gone.full_name)
    assert watch.actions() == [] and own_assessor(registration, UNIT) == gone
    # The leaver is no choice for a unit they do not hold.
    assert (
        post(other, gone.pk).status_code == 200 and own_assessor(registration, OTHER_UNIT) == third
    )


def test_choosing_the_registrations_assessor_gives_the_leavers_unit_back(
    registration, centre_admin, assessor, gone, unit
):
    client = logged_in(centre_admin)
    url = reverse("portfolios:registration-unit-assessor", args=[registration.pk, unit.pk])
    assert client.post(url, {"assessor": ""}).status_code == 302
    assert own_assessor(registration, UNIT) is None
    assert not Registration.objects.with_staff_left().exists()
    told = Notification.objects.filter(recipient=assessor).order_by("-pk").first()
    assert told is not None and UNIT in told.text


def test_the_leavers_page_costs_the_same_queries_for_one_registration_or_four(
    registration, centre, centre_admin, assessor, gone
):
    client = logged_in(centre_admin)
    url = reverse("person-detail", args=[gone.pk])

    def cost() -> int:
        client.get(url)  # the session's first reads aside
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    one = cost()
    person_reactivate(centre=centre, person=gone, actor=centre_admin)
    another(registration, centre_admin, assessor=gone)  # theirs as a whole
    for _ in range(2):  # two units of others' learners
        theirs = another(registration, centre_admin, assessor=assessor)
        for code in (UNIT, OTHER_UNIT):
            registration_unit_assessor_change(
                registration=theirs,
                unit=Unit.objects.get(code=code),
                assessor=gone,
                actor=centre_admin,
            )
    person_deactivate(centre=centre, person=gone, reason="Left", actor=centre_admin)
    page = client.get(url).content.decode()
    assert page.count("<li>Assessor of") == 4
    assert cost() == one
