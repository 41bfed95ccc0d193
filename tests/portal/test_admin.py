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
