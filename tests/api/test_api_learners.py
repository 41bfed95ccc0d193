"""Learners through the API (decision 57): invited as the pages invite them, perhaps with a
registration made when they accept; their invitations read, sent again, withdrawn; their
identity changed through the learner's details page's service. Field errors name the field."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from api.learner_views import ALREADY_INVITED, NO_REGISTRATION
from portal.models import AuditEntry, Invitation, RoleKind, User
from portal.services import invitation_accept_as_newcomer
from portfolios.models import Registration
from tests.api.conftest import Answer, call
from tests.api.test_api import error_of
from tests.portfolios.conftest import SFJ_ENOUGH
from tests.world import ADMIN, LEARNER, World, person

pytestmark = pytest.mark.django_db

VALID_ULN = "9276308686"  # HESA's published example


def token_in(message) -> str:
    return message.body.split("/accounts/invitation/")[1].split("/")[0]


def invite(world: World, body: dict, capture) -> Answer:
    with capture(execute=True):
        return call(world.ours.api_secret, "POST", reverse("api:learners"), body, keep=True)


def test_a_learner_invited_through_the_api_with_a_registration_appears_on_the_pages_once_they_accept(
    world: World, django_capture_on_commit_callbacks
):
    side = world.ours
    admin = side.people[ADMIN]
    body = {
        "email": "Api.Invitee@Example.org",
        "full_name": "Ottilie Brand",
        "legal_first_names": "Ottilie",
        "legal_last_name": "Brand",
        "date_of_birth": "2001-04-02",
        "sex": "F",
        "postcode": "m1 1ae",
        "uln": "9276 308 686",
        "registration": {
            "qualification": side.qualification.pk,
            "start_date": "2026-10-01",
            "assessor": side.registration.assessor_id,
            "funding": "funded",
            "optional_units": SFJ_ENOUGH,
        },
    }
    answer = invite(world, body, django_capture_on_commit_callbacks)
    assert answer.status == 201, answer.text
    invitation = Invitation.objects.get(pk=answer.body["id"])
    assert answer.headers["Location"] == f"/api/v1/invitations/{invitation.pk}/"
    assert answer.body["state"] == "invited" and answer.body["learner"] is None
    assert answer.body["registrations"][0]["state"] == "waiting"
    assert (invitation.email, invitation.kind, invitation.centre) == (
        "api.invitee@example.org",
        RoleKind.LEARNER,
        side.centre,
    )
    assert not User.objects.filter(email="api.invitee@example.org").exists()
    # Audited as the invitation service does, its actor the token's maker, and the token named.
    assert (
        AuditEntry.objects.get(
            action="invitation.created", subject=f"invitation:{invitation.pk}"
        ).actor
        == admin
    )
    named = AuditEntry.objects.get(action="api.write", subject=f"invitation:{invitation.pk}")
    assert named.after == {"token": side.api_token.prefix, "what": "learner invited"}
    [sent] = mail.outbox
    assert sent.to == ["api.invitee@example.org"]

    learner = invitation_accept_as_newcomer(token=token_in(sent), password="a-long-new-password")

    registration = Registration.objects.get(learner=learner, centre=side.centre)
    assert (registration.funding, registration.assessor_id) == (
        "funded",
        side.registration.assessor_id,
    )
    learner.refresh_from_db()
    assert (learner.uln, learner.postcode, learner.sex, learner.legal_last_name) == (
        VALID_ULN,
        "M1 1AE",
        "F",
        "Brand",
    )
    read = call(side.api_secret, "GET", reverse("api:invitation", kwargs={"pk": invitation.pk}))
    assert read.body["state"] == "accepted" and read.body["learner"] == learner.pk
    assert read.body["registrations"][0]["registration"] == registration.pk
    assert read.body["registrations"][0]["state"] == "registered"
    listed = call(side.api_secret, "GET", reverse("api:learners")).body["results"]
    assert any(row["id"] == learner.pk and row["uln"] == VALID_ULN for row in listed)
    # On the centre admin's pages: the people, the registrations and the registration itself.
    client = Client()
    client.force_login(admin)
    person_page = client.get(reverse("person-detail", args=[learner.pk]))
    assert person_page.status_code == 200 and "Ottilie Brand" in person_page.content.decode()
    accepted = client.get(reverse("invitation-list")).content.decode()
    assert reverse("portfolios:registration-detail", args=[registration.pk]) in accepted
    assert "Ottilie Brand" in client.get(reverse("portfolios:registration-list")).content.decode()
    page = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    assert page.status_code == 200 and "Ottilie Brand" in page.content.decode()


def test_an_invitation_waiting_for_an_answer_is_listed_and_on_the_invitations_page(
    world: World, django_capture_on_commit_callbacks
):
    side = world.ours
    body = {"email": "waiting@example.org", "full_name": "Waiting Wendell"}
    answer = invite(world, body, django_capture_on_commit_callbacks)
    assert answer.status == 201, answer.text
    assert answer.body["registrations"] == []
    listed = call(side.api_secret, "GET", reverse("api:invitations"), query={"open": "true"})
    assert answer.body["id"] in {row["id"] for row in listed.body["results"]}
    client = Client()
    client.force_login(side.people[ADMIN])
    assert "Waiting Wendell" in client.get(reverse("invitation-list")).content.decode()


def test_inviting_an_address_already_invited_or_a_learner_already_here_is_a_400_naming_email(
    world: World, django_capture_on_commit_callbacks
):
    side = world.ours
    again = {"email": side.invitation.email, "full_name": "Someone"}
    error = error_of(invite(world, again, django_capture_on_commit_callbacks), 400, "invalid")
    assert error["fields"]["email"] == [
        ALREADY_INVITED.format(email=side.invitation.email, pk=side.invitation.pk)
    ]
    here = {"email": side.people[LEARNER].email, "full_name": "Someone"}
    answer = invite(world, here, django_capture_on_commit_callbacks)
    error = error_of(answer, 400, "invalid")
    assert "is already a learner at" in error["fields"]["email"][0]
    assert answer.wrote == [] or all(t.startswith("api_") for t in answer.wrote)
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("uln", "9276308687", "fails its check digit"),
        ("postcode", "12345", "is not a UK postcode"),
        ("legal_first_names", "A" * 21, "at most 20 characters"),
        ("date_of_birth", "2099-01-01", "in the future"),
    ],
)
def test_a_bad_identity_field_is_a_400_naming_it_and_nothing_is_sent(
    world: World, django_capture_on_commit_callbacks, field: str, value: str, said: str
):
    side = world.ours
    body = {
        "email": "bad.details@example.org",
        "full_name": "Bad Details",
        field: value,
        "registration": {"qualification": side.qualification.pk, "start_date": "2026-10-01"},
    }
    answer = invite(world, body, django_capture_on_commit_callbacks)
    error = error_of(answer, 400, "invalid")
    assert said in " ".join(error["fields"][field])
    assert not Invitation.objects.filter(email="bad.details@example.org").exists()
    assert mail.outbox == []


def test_a_uln_another_learner_holds_is_a_400_naming_uln(
    world: World, django_capture_on_commit_callbacks
):
    side = world.ours
    User.objects.filter(pk=side.people[LEARNER].pk).update(uln=VALID_ULN)
    body = {
        "email": "twin@example.org",
        "full_name": "Twin",
        "uln": VALID_ULN,
        "registration": {"qualification": side.qualification.pk, "start_date": "2026-10-01"},
    }
    error = error_of(invite(world, body, django_capture_on_commit_callbacks), 400, "invalid")
    assert VALID_ULN in error["fields"]["uln"][0]


def test_identity_without_a_registration_and_unknown_fields_are_400s_naming_them(
    world: World, django_capture_on_commit_callbacks
):
    body = {"email": "n@example.org", "full_name": "N", "uln": VALID_ULN, "nickname": "x"}
    error = error_of(invite(world, body, django_capture_on_commit_callbacks), 400, "invalid")
    assert "nickname" in error["fields"]
    body.pop("nickname")
    error = error_of(invite(world, body, django_capture_on_commit_callbacks), 400, "invalid")
    assert error["fields"] == {"uln": [NO_REGISTRATION]}


def test_an_invitation_is_withdrawn_and_sent_again_through_the_services(world: World):
    side = world.ours
    pk = side.invitation.pk
    Invitation.objects.filter(pk=pk).update(sent_at=side.invitation.sent_at.replace(year=2020))
    path = reverse("api:invitation-resend", kwargs={"pk": pk})
    answer = call(side.api_secret, "POST", path, keep=True)
    assert answer.status == 200, answer.text
    assert AuditEntry.objects.filter(action="invitation.resent", subject=f"invitation:{pk}")
    path = reverse("api:invitation-withdraw", kwargs={"pk": pk})
    withdrawn = call(side.api_secret, "POST", path, keep=True)
    assert withdrawn.status == 200 and withdrawn.body["state"] == "withdrawn"
    assert Invitation.objects.get(pk=pk).withdrawn_at is not None
    assert AuditEntry.objects.filter(action="invitation.withdrawn", subject=f"invitation:{pk}")
    again = call(side.api_secret, "POST", path)
    assert "already been withdrawn" in error_of(again, 400, "refused")["message"]


def test_a_registration_the_rules_would_refuse_is_a_400_naming_it_before_anyone_is_invited(
    world: World, django_capture_on_commit_callbacks
):
    side = world.ours
    body = {
        "email": "too.few@example.org",
        "full_name": "Too Few",
        "registration": {
            "qualification": side.qualification.pk,
            "start_date": "2026-10-01",
            "optional_units": ["NO-SUCH-UNIT"],
        },
    }
    error = error_of(invite(world, body, django_capture_on_commit_callbacks), 400, "invalid")
    assert any("NO-SUCH-UNIT" in said for said in error["fields"]["registration"])
    assert not Invitation.objects.filter(email="too.few@example.org").exists()
    assert mail.outbox == []


# Changing a learner's identity -------------------------------------------------------------


def test_a_learners_identity_is_changed_through_the_details_pages_service_and_audited(
    world: World,
):
    side = world.ours
    learner = side.registration.learner
    path = reverse("api:learner", kwargs={"pk": learner.pk})
    body = {"uln": "9276 308686", "postcode": "sw1a1aa", "date_of_birth": "2000-02-29"}
    answer = call(side.api_secret, "PATCH", path, body, keep=True)
    assert answer.status == 200, answer.text
    assert (answer.body["uln"], answer.body["postcode"]) == (VALID_ULN, "SW1A 1AA")
    learner.refresh_from_db()
    assert (learner.uln, str(learner.date_of_birth)) == (VALID_ULN, "2000-02-29")
    changed = AuditEntry.objects.get(
        action="learner.identity_changed", subject=f"user:{learner.pk}"
    )
    assert changed.actor == side.people[ADMIN]
    assert set(changed.after or {}) == {"uln", "postcode", "date_of_birth"}
    assert AuditEntry.objects.filter(action="api.write", subject=f"user:{learner.pk}").exists()
    client = Client()
    client.force_login(side.people[ADMIN])
    page = client.get(reverse("portfolios:registration-learner", args=[side.registration.pk]))
    assert VALID_ULN in page.content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "new@example.org"}, "email"),
        ({"full_name": "Another"}, "full_name"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"uln": "123"}, "uln"),
        ({"sex": "X"}, "sex"),
    ],
)
def test_a_read_only_unknown_or_bad_field_is_a_400_naming_it_and_changes_nothing(
    world: World, body: dict, field: str
):
    side = world.ours
    path = reverse("api:learner", kwargs={"pk": side.registration.learner_id})
    answer = call(side.api_secret, "PATCH", path, body)
    assert field in error_of(answer, 400, "invalid")["fields"]
    assert all(t.startswith("api_") for t in answer.wrote), answer.wrote


def test_a_learner_with_no_registration_at_the_centre_is_refused_with_the_reason(world: World):
    side = world.ours
    loner = person(side.centre, RoleKind.LEARNER, "loner@example.org", "Lone Learner")
    path = reverse("api:learner", kwargs={"pk": loner.pk})
    error = error_of(call(side.api_secret, "PATCH", path, {"uln": VALID_ULN}), 400, "refused")
    assert error["message"] == NO_REGISTRATION
