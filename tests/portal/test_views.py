import re

import pytest
from django.core import mail
from django.urls import reverse

from portal.forms import LOGIN_FAILED
from portal.models import RoleKind
from portal.roles import SESSION_KEY
from tests.factories import PASSWORD, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def log_in(client, email, password=PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_the_home_page_sends_an_anonymous_visitor_to_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_person_logs_in_with_their_email_in_any_case_and_reaches_home(client, learner):
    response = log_in(client, "Learner@Example.org")
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_a_wrong_password_is_refused_with_a_clear_message(client, learner):
    response = log_in(client, "learner@example.org", "not-the-password")
    assert response.status_code == 200
    assert LOGIN_FAILED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_closed_account_cannot_log_in(client, learner):
    learner.is_active = False
    learner.save()
    response = log_in(client, "learner@example.org")
    assert "_auth_user_id" not in client.session
    assert LOGIN_FAILED in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "heading"),
    [
        ("learner", "Your portfolio"),
        ("assessor", "Your caseload"),
        ("iqa", "Quality assurance"),
        ("centre_admin", "Centre administration"),
    ],
)
def test_each_role_has_its_own_home_page(client, request, persona, heading):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("home"))
    assert f">{heading}</h1>" in response.content.decode()


def test_a_trainee_assessor_is_told_their_decisions_are_countersigned(client, trainee_assessor):
    client.force_login(trainee_assessor)
    assert "You are a trainee assessor." in client.get(reverse("home")).content.decode()


def test_a_centre_admin_home_lists_the_people_of_their_centre_only(
    client, centre_admin, learner, assessor, outsider
):
    client.force_login(centre_admin)
    page = client.get(reverse("home")).content.decode()
    assert learner.email in page and assessor.email in page
    assert outsider.email not in page


def test_a_person_without_roles_is_told_how_to_get_one(client):
    client.force_login(UserFactory.create())
    assert (
        "You do not hold a role in any centre yet" in client.get(reverse("home")).content.decode()
    )


def test_a_person_with_two_roles_switches_between_their_home_pages(client, iqa, other_centre):
    second = RoleFactory.create(user=iqa, centre=other_centre, kind=RoleKind.ASSESSOR)
    client.force_login(iqa)
    assert 'data-testid="role-switch"' in client.get(reverse("home")).content.decode()

    response = client.post(reverse("switch-role"), {"role": second.pk}, follow=True)
    page = response.content.decode()
    assert ">Your caseload</h1>" in page
    assert "You are now working as assessor at Harbour Training Centre." in page
    assert client.session[SESSION_KEY] == second.pk


def test_nobody_can_switch_to_a_role_that_is_not_theirs(client, learner, centre_admin):
    admin_role = centre_admin.roles.get()
    client.force_login(learner)
    response = client.post(reverse("switch-role"), {"role": admin_role.pk})
    assert response.status_code == 404
    assert ">Your portfolio</h1>" in client.get(reverse("home")).content.decode()


def test_switching_role_needs_a_post(client, learner):
    client.force_login(learner)
    assert client.get(reverse("switch-role")).status_code == 405


def test_a_role_taken_away_mid_session_is_no_longer_used(client, iqa, other_centre):
    second = RoleFactory.create(user=iqa, centre=other_centre, kind=RoleKind.ASSESSOR)
    client.force_login(iqa)
    client.post(reverse("switch-role"), {"role": second.pk})
    second.delete()
    assert ">Quality assurance</h1>" in client.get(reverse("home")).content.decode()


def test_logging_out_ends_the_session(client, learner):
    client.force_login(learner)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_sends_a_link_that_sets_a_new_password(
    client, learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "learner@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", str(mail.outbox[0].body))
    assert link, mail.outbox[0].body

    form_page = client.get(link.group(1), follow=True)
    new = "a-brand-new-passphrase"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    learner.refresh_from_db()
    assert learner.check_password(new)


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_the_health_check_answers_without_logging_in(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"
