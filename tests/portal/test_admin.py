import pytest
from django.urls import reverse

from portal.models import Role, RoleKind, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("ops@example.org", "Platform Operator", "pw-ops-123456")
    client.force_login(user)
    return user


@pytest.mark.parametrize("model", ["user", "centre", "role"])
def test_the_admin_lists_and_adds_people_centres_and_roles(client, operator, model, learner):
    assert client.get(reverse(f"admin:portal_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:portal_{model}_add")).status_code == 200


def test_the_admin_edits_a_person_with_their_roles_inline(client, operator, learner, centre):
    page = client.get(reverse("admin:portal_user_change", args=[learner.pk])).content.decode()
    assert 'name="roles-0-kind"' in page
    assert learner.email in page


def test_the_admin_creates_a_person_who_can_then_log_in(client, operator, centre):
    response = client.post(
        reverse("admin:portal_user_add"),
        {
            "email": "New.Person@Example.org",
            "full_name": "New Person",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
            "roles-TOTAL_FORMS": "1",
            "roles-INITIAL_FORMS": "0",
            "roles-0-centre": centre.pk,
            "roles-0-kind": RoleKind.ASSESSOR,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person = User.objects.get(email="new.person@example.org")
    assert person.check_password("a-long-enough-passphrase")
    assert Role.objects.filter(user=person, centre=centre, kind=RoleKind.ASSESSOR).exists()


def test_a_centre_admin_is_not_let_into_the_django_admin(client, centre_admin):
    client.force_login(centre_admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def change_form(learner, **identity):
    return {
        "email": learner.email,
        "full_name": learner.full_name,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "09:00:00",
        "roles-TOTAL_FORMS": "0",
        "roles-INITIAL_FORMS": "0",
        **identity,
    }


def test_the_admin_shows_and_checks_a_learners_identity_as_the_pages_do(client, operator, learner):
    url = reverse("admin:portal_user_change", args=[learner.pk])
    page = client.get(url).content.decode()
    assert 'name="uln"' in page and 'name="legal_last_name"' in page
    # A ULN whose check digit is wrong, and a name over Pearson's limit: refused, nothing saved.
    wrong = change_form(learner, uln="9276308687", legal_first_names="A" * 21)
    answer = client.post(url, wrong).content.decode()
    assert "check digit" in answer and "20 characters" in answer
    learner.refresh_from_db()
    assert learner.uln == "" and learner.legal_first_names == ""
    # HESA's example, written in groups, and a postcode in lower case: kept normalised.
    right = change_form(learner, uln="92763 08686", postcode="sw1a1aa", sex="F")
    response = client.post(url, right)
    assert response.status_code == 302, response.context["adminform"].form.errors
    learner.refresh_from_db()
    assert (learner.uln, learner.postcode, learner.sex) == ("9276308686", "SW1A 1AA", "F")
