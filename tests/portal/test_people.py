"""Leavers: a centre admin ends a person's access to the centre, and gives it back
(portal.services.person_deactivate / person_reactivate, portal.people_views)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from portal.models import Departure, Role, RoleKind
from portal.services import (
    OWN_ACCESS,
    PeopleRefused,
    person_deactivate,
    person_reactivate,
)
from tests.audit import AuditWatch
from tests.factories import PASSWORD, RoleFactory


def logged_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_a_leaver_is_logged_out_at_their_next_request_and_told_why_at_login(
    centre, centre_admin, assessor
):
    session = logged_in(assessor)
    assert session.get(reverse("home")).status_code == 200
    watch = AuditWatch()
    person_deactivate(
        centre=centre, person=assessor, reason="Left in November.", actor=centre_admin
    )

    answer = session.get(reverse("home"))
    assert answer.status_code == 403
    assert "access to Riverside Skills Academy was ended" in answer.content.decode()
    # Logged out: the session no longer holds them.
    assert session.get(reverse("home")).status_code == 302
    login = Client().post(reverse("login"), {"username": assessor.email, "password": PASSWORD})
    assert login.status_code == 200
    assert "was ended on" in login.content.decode()
    assert "_auth_user_id" not in login.client.session
    # Records kept: the account is there, its roles kept on the departure, and it is audited.
    assessor.refresh_from_db()
    assert assessor.is_active
    assert not Role.objects.filter(user=assessor).exists()
    departure = Departure.objects.get(user=assessor)
    assert departure.roles == [{"kind": RoleKind.ASSESSOR, "is_trainee": False}]
    [entry] = watch.entries()
    assert (entry.action, entry.centre_id, entry.subject) == (
        "person.deactivated",
        centre.pk,
        f"user:{assessor.pk}",
    )
    assert entry.after == {"roles": [], "reason": "Left in November."}


def test_reactivation_gives_back_the_same_roles_and_they_log_in_again(
    centre, centre_admin, trainee_assessor
):
    person_deactivate(centre=centre, person=trainee_assessor, reason="Leaver", actor=centre_admin)
    watch = AuditWatch()
    person_reactivate(centre=centre, person=trainee_assessor, actor=centre_admin)
    role = Role.objects.get(user=trainee_assessor, centre=centre)
    assert (role.kind, role.is_trainee) == (RoleKind.ASSESSOR, True)
    assert watch.actions() == ["person.reactivated"]
    assert not Departure.objects.current().exists()
    client = Client()
    login = client.post(
        reverse("login"), {"username": trainee_assessor.email, "password": PASSWORD}
    )
    assert login.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    with pytest.raises(PeopleRefused):
        person_reactivate(centre=centre, person=trainee_assessor, actor=centre_admin)


def test_ending_access_at_one_centre_leaves_the_person_at_their_other_centre(
    centre, other_centre, centre_admin, learner
):
    RoleFactory.create(user=learner, centre=other_centre, kind=RoleKind.ASSESSOR)
    session = logged_in(learner)
    person_deactivate(centre=centre, person=learner, reason="Finished", actor=centre_admin)
    assert list(Role.objects.filter(user=learner).values_list("centre", flat=True)) == [
        other_centre.pk
    ]
    answer = session.get(reverse("home"))
    assert answer.status_code == 200
    assert answer.context["role"].centre == other_centre


def test_refusals_change_nothing(centre, other_centre, centre_admin, outsider, learner):
    watch = AuditWatch()
    with pytest.raises(PeopleRefused, match="cannot end your own"):
        person_deactivate(centre=centre, person=centre_admin, reason="x", actor=centre_admin)
    with pytest.raises(PeopleRefused, match="Give the reason"):
        person_deactivate(centre=centre, person=learner, reason="  ", actor=centre_admin)
    with pytest.raises(PeopleRefused, match="holds no role"):
        person_deactivate(centre=centre, person=outsider, reason="x", actor=centre_admin)
    with pytest.raises(PermissionDenied):  # another centre's admin
        person_deactivate(centre=centre, person=learner, reason="x", actor=outsider)
    with pytest.raises(PermissionDenied):
        person_deactivate(centre=other_centre, person=outsider, reason="x", actor=centre_admin)
    assert watch.actions() == []
    assert Role.objects.filter(user=learner, centre=centre).exists()
    assert OWN_ACCESS.startswith("You cannot")


def test_the_admin_ends_and_gives_back_access_from_the_person_page(centre_admin, learner):
    client = logged_in(centre_admin)
    home = client.get(reverse("home")).content.decode()
    page_url = reverse("person-detail", args=[learner.pk])
    assert page_url in home
    # Adding a person and sending an invitation again are the invitations' pages, linked here.
    assert reverse("invitation-create") in home and reverse("invitation-list") in home
    assert "End " in client.get(page_url).content.decode()

    refused = client.post(reverse("person-deactivate", args=[learner.pk]), {"reason": ""})
    assert refused.status_code == 302
    assert Role.objects.filter(user=learner).exists()

    client.post(reverse("person-deactivate", args=[learner.pk]), {"reason": "Moved away"})
    assert not Role.objects.filter(user=learner).exists()
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="departed"' in home and page_url in home
    page = client.get(page_url).content.decode()
    assert "Moved away" in page and "their access back" in page

    client.post(reverse("person-reactivate", args=[learner.pk]))
    assert Role.objects.filter(user=learner, kind=RoleKind.LEARNER).exists()


@pytest.mark.parametrize("persona", ["learner", "assessor", "iqa", "outsider"])
def test_only_the_centres_admin_reaches_a_person(request, persona, learner, centre_admin):
    client = logged_in(request.getfixturevalue(persona))
    assert client.get(reverse("person-detail", args=[learner.pk])).status_code in (403, 404)
    answer = client.post(reverse("person-deactivate", args=[learner.pk]), {"reason": "x"})
    assert answer.status_code in (403, 404)
    assert Role.objects.filter(user=learner).exists()


def test_an_admin_of_another_centre_does_not_find_our_people(other_centre, learner):
    admin = RoleFactory.create(centre=other_centre, kind=RoleKind.CENTRE_ADMIN).user
    client = logged_in(admin)
    assert client.get(reverse("person-detail", args=[learner.pk])).status_code == 404
