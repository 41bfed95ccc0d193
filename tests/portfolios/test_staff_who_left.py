"""Registrations still naming an assessor or IQA whose access the centre ended (decision 34):
the admin home counts them and leads to them, the registrations list filters and marks them,
the leaver's page names each one, and the staff-change form keeps the leaver chosen, so that
changing only the other person does not take them off unasked (found by the issue-19 reviews)."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from home.todo import todo_for
from portal.models import Role, RoleKind
from portal.services import person_deactivate
from portfolios.models import Registration
from portfolios.services import RegistrationDetails, registration_create, registration_withdraw
from tests.factories import RoleFactory
from tests.portfolios.conftest import SFJ_ENOUGH

pytestmark = pytest.mark.django_db

LIST = reverse("portfolios:registration-list")


def logged_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def leaves(person, centre, centre_admin) -> None:
    person_deactivate(centre=centre, person=person, reason="Left", actor=centre_admin)


def another(registration, centre_admin, assessor=None, iqa=None) -> Registration:
    """A second learner registered on the same qualification, with these people."""
    learner = RoleFactory.create(centre=registration.centre, kind=RoleKind.LEARNER).user
    details = RegistrationDetails(
        learner=learner,
        qualification=registration.qualification,
        start_date=registration.start_date,
        assessor=assessor,
        iqa=iqa,
    )
    return registration_create(
        centre=registration.centre, details=details, optional_units=SFJ_ENOUGH, actor=centre_admin
    )


def admin_todo(centre_admin) -> list[tuple[str, str]]:
    role = Role.objects.get(user=centre_admin, kind=RoleKind.CENTRE_ADMIN)
    return [(t.text, t.url) for t in todo_for(centre_admin, role, datetime.date.today())]


def selected(page: str, field: str) -> str:
    """The text of the option chosen in a select of the page."""
    select = re.search(rf'<select name="{field}".*?</select>', page, re.S)
    assert select is not None
    chosen = re.search(r"<option[^>]*selected[^>]*>([^<]*)</option>", select.group(0))
    return chosen.group(1) if chosen else ""


def test_the_admin_home_counts_registrations_whose_assessor_or_iqa_has_left(
    registration, centre, centre_admin, assessor, iqa
):
    assert not [text for text, _ in admin_todo(centre_admin) if "has left" in text]
    leaves(assessor, centre, centre_admin)
    assert ("1 registration has an assessor or IQA who has left", f"{LIST}?staff=left") in (
        admin_todo(centre_admin)
    )
    home = logged_in(centre_admin).get(reverse("home")).content.decode()
    assert "1 registration has an assessor or IQA who has left" in home
    leaves(iqa, centre, centre_admin)  # the same registration: still one
    assert "1 registration has" in " ".join(text for text, _ in admin_todo(centre_admin))
    # A withdrawn registration needs nobody: no longer counted.
    registration_withdraw(registration=registration, reason="Moved", actor=centre_admin)
    assert not [text for text, _ in admin_todo(centre_admin) if "has left" in text]


def test_a_leaver_still_assessing_at_another_centre_has_left_this_one(
    registration, centre, centre_admin, assessor, learner
):
    # The count and the filter read the centre's own roles (named by value, for speed): the
    # assessor role the leaver keeps elsewhere does not keep them here.
    RoleFactory.create(user=assessor, kind=RoleKind.ASSESSOR)  # at another centre
    leaves(assessor, centre, centre_admin)
    assert "1 registration has" in " ".join(text for text, _ in admin_todo(centre_admin))
    page = logged_in(centre_admin).get(LIST, {"staff": "left"}).content.decode()
    assert "1 registration matches" in page and learner.full_name in page


def test_the_list_shows_only_those_when_filtered_and_marks_who_has_left(
    registration, centre, centre_admin, assessor, learner
):
    others = another(registration, centre_admin).learner
    client = logged_in(centre_admin)
    assert 'data-testid="left"' not in client.get(LIST).content.decode()
    leaves(assessor, centre, centre_admin)
    page = client.get(LIST, {"staff": "left"}).content.decode()
    assert learner.full_name in page and others.full_name not in page
    assert page.count('data-testid="left"') == 1 and "1 registration matches" in page
    everyone = client.get(LIST).content.decode()
    assert learner.full_name in everyone and others.full_name in everyone
    assert everyone.count('data-testid="left"') == 1


def test_a_leavers_page_names_the_registrations_still_naming_them_with_links(
    registration, centre, centre_admin, assessor, learner
):
    client = logged_in(centre_admin)
    page_url = reverse("person-detail", args=[assessor.pk])
    before = client.get(page_url).content.decode()
    assert "Assessor of 1 open registration here." in before
    assert 'data-testid="left-behind"' not in before  # still here: only counted
    leaves(assessor, centre, centre_admin)
    page = client.get(page_url).content.decode()
    assert "Assessor of 1 open registration here: change" in page
    assert "and IQA of 0" not in page
    [listed] = re.findall(r'<ul data-testid="left-behind">.*?</ul>', page, re.S)
    assert learner.full_name in listed
    assert reverse("portfolios:registration-detail", args=[registration.pk]) in listed
    assert reverse("portfolios:registration-staff", args=[registration.pk]) in listed


def test_the_count_on_a_persons_page_is_worded_for_each_role(
    registration, centre, centre_admin, assessor, iqa
):
    """Each count with its own plural: never "Assessor of 1 and IQA of 0 open registration"."""
    another(registration, centre_admin, assessor=assessor, iqa=iqa)
    RoleFactory.create(user=iqa, centre=centre, kind=RoleKind.ASSESSOR)
    another(registration, centre_admin, assessor=iqa)
    client = logged_in(centre_admin)

    def said(person) -> str:
        page = client.get(reverse("person-detail", args=[person.pk])).content.decode()
        found = re.search(r'<p data-testid="named-on">(.*?)</p>', page, re.S)
        assert found is not None
        return found.group(1)

    assert said(assessor) == "Assessor of 2 open registrations here."
    assert said(iqa) == "Assessor of 1 open registration and IQA of 2 open registrations here."


def test_the_staff_form_keeps_the_assessor_who_left_when_only_the_iqa_changes(
    registration, centre, centre_admin, assessor, iqa
):
    leaves(assessor, centre, centre_admin)
    other_iqa = RoleFactory.create(centre=centre, kind=RoleKind.IQA).user
    client = logged_in(centre_admin)
    url = reverse("portfolios:registration-staff", args=[registration.pk])
    form = client.get(url).content.decode()
    # The leaver is shown chosen, and said to have left; not "Not allocated yet".
    assert selected(form, "assessor").startswith(assessor.full_name)
    assert "has left the centre" in selected(form, "assessor")
    response = client.post(url, {"assessor": assessor.pk, "iqa": other_iqa.pk})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert (registration.assessor, registration.iqa) == (assessor, other_iqa)


def test_the_staff_form_offers_a_leaver_only_on_the_registration_naming_them(
    registration, centre, centre_admin, assessor, iqa
):
    leaves(assessor, centre, centre_admin)
    other = another(registration, centre_admin)
    client = logged_in(centre_admin)
    url = reverse("portfolios:registration-staff", args=[other.pk])
    assert assessor.email not in client.get(url).content.decode()
    response = client.post(url, {"assessor": assessor.pk, "iqa": iqa.pk})
    assert response.status_code == 200  # not a choice here: refused under the field
    other.refresh_from_db()
    assert (other.assessor, other.iqa) == (None, None)
