"""Invitations, the pages: the centre admin's invite form and list, the invitee's link, and
"Forgotten your password?" for people who have no password yet."""

import datetime
import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import Invitation, Role, RoleKind, User
from portal.services import (
    LINK_USED,
    SEND_AGAIN_AFTER,
    WRONG_ACCOUNT,
    Invitee,
    invitation_create,
)
from tests.audit import AuditWatch
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "a-long-new-password"


def token_of(message) -> str:
    found = re.search(r"/accounts/invitation/([^/\s]+)/", message.body)
    assert found, message.body
    return found.group(1)


def accept_url(token: str) -> str:
    return reverse("invitation-accept", args=[token])


@pytest.fixture
def invited(centre, centre_admin, django_capture_on_commit_callbacks):
    """An invitation of a newcomer to be a learner; returns it and its link's secret."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            centre=centre,
            invitee=Invitee("priya@example.org", "Priya Shah", RoleKind.LEARNER),
            actor=centre_admin,
            link_for=lambda token: f"http://testserver{accept_url(token)}",
        )
    return invitation, token_of(mail.outbox[-1])


def test_the_centre_admin_invites_a_person_and_sees_the_invitation_listed(
    client, centre_admin, django_capture_on_commit_callbacks
):
    client.force_login(centre_admin)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("invitation-create"),
            {"full_name": "Tam Oduya", "email": "Tam@Example.org", "kind": "assessor"},
            follow=True,
        )
    page = answer.content.decode()
    assert "An invitation is on its way to tam@example.org." in page
    assert "Tam Oduya" in page and "Assessor" in page
    [sent] = mail.outbox
    assert sent.to == ["tam@example.org"]
    assert f"http://testserver/accounts/invitation/{token_of(sent)}/" in sent.body


def test_the_invite_form_shows_why_it_is_refused_and_keeps_what_was_typed(
    client, centre_admin, learner
):
    client.force_login(centre_admin)
    page = client.post(
        reverse("invitation-create"),
        {"full_name": "Typed Name", "email": learner.email, "kind": "learner"},
    ).content.decode()
    assert "is already a learner at Riverside Skills Academy." in page
    assert 'value="Typed Name"' in page
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("persona", ["learner", "assessor", "iqa"])
def test_only_centre_admins_open_the_invitation_pages(client, request, persona, invited):
    client.force_login(request.getfixturevalue(persona))
    for url in (reverse("invitation-list"), reverse("invitation-create")):
        assert client.get(url).status_code == 403
    invitation, _ = invited
    assert client.post(reverse("invitation-resend", args=[invitation.pk])).status_code == 403


def test_an_outsider_neither_sees_nor_touches_another_centres_invitations(
    client, outsider, invited
):
    invitation, _ = invited
    client.force_login(outsider)
    assert "priya@example.org" not in client.get(reverse("invitation-list")).content.decode()
    for name in ("invitation-resend", "invitation-withdraw"):
        assert client.post(reverse(name, args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is None and len(mail.outbox) == 1


def test_a_visitor_is_sent_to_log_in_from_the_invitation_pages(client):
    answer = client.get(reverse("invitation-list"))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))


def test_sending_again_from_the_list_replaces_the_link(
    client, centre_admin, invited, django_capture_on_commit_callbacks
):
    invitation, old = invited
    Invitation.objects.update(sent_at=timezone.now() - SEND_AGAIN_AFTER)
    client.force_login(centre_admin)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse("invitation-resend", args=[invitation.pk]), follow=True
        ).content.decode()
    assert "A new link is on its way to priya@example.org; the old one no longer works." in page
    assert client.get(accept_url(old)).status_code == 410
    client.logout()
    assert client.get(accept_url(token_of(mail.outbox[-1]))).status_code == 200


def test_withdrawing_from_the_list_ends_the_link(client, centre_admin, invited):
    invitation, token = invited
    client.force_login(centre_admin)
    client.post(reverse("invitation-withdraw", args=[invitation.pk]))
    client.logout()
    answer = client.get(accept_url(token))
    assert answer.status_code == 410
    assert "has withdrawn this invitation" in answer.content.decode()


def test_a_newcomer_sets_a_password_through_the_link_and_arrives_home_in_the_new_role(
    client, centre, invited
):
    _, token = invited
    page = client.get(accept_url(token)).content.decode()
    assert "Join Riverside Skills Academy" in page and "Priya Shah" in page
    answer = client.post(
        accept_url(token), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow=True
    )
    assert "Welcome to Riverside Skills Academy: you are a learner here." in (
        answer.content.decode()
    )
    person = User.objects.get(email="priya@example.org")
    assert client.session["_auth_user_id"] == str(person.pk)
    assert Role.objects.filter(user=person, centre=centre, kind=RoleKind.LEARNER).exists()
    client.logout()
    again = client.get(accept_url(token))
    assert again.status_code == 410 and LINK_USED in again.content.decode()


def test_a_weak_or_mismatched_password_is_refused_on_the_form_and_nothing_is_made(client, invited):
    _, token = invited
    for first, second in (("priya", "priya"), (NEW_PASSWORD, NEW_PASSWORD + "x")):
        answer = client.post(accept_url(token), {"password1": first, "password2": second})
        assert answer.status_code == 200
    assert not User.objects.filter(email="priya@example.org").exists()


def test_an_expired_link_gets_a_clear_page(client, invited):
    _, token = invited
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    answer = client.get(accept_url(token))
    assert answer.status_code == 410
    page = answer.content.decode()
    assert "This invitation expired on" in page and "Forgotten your password?" in page
    answer = client.post(accept_url(token), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert answer.status_code == 410
    assert not User.objects.filter(email="priya@example.org").exists()


def test_a_made_up_link_gets_a_clear_page(client, db):
    answer = client.get(accept_url("not-a-real-token"))
    assert answer.status_code == 410 and "is not an invitation" in answer.content.decode()


def test_someone_with_an_account_is_asked_to_log_in_and_then_accepts(
    client, centre, centre_admin, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            centre=centre,
            invitee=Invitee("outsider@example.org", "Name Given", RoleKind.LEARNER),
            actor=centre_admin,
            link_for=lambda token: f"http://testserver{accept_url(token)}",
        )
    token = token_of(mail.outbox[-1])
    page = client.get(accept_url(token)).content.decode()
    assert "You already have an account" in page
    assert f"{reverse('login')}?next={accept_url(token)}" in page.replace("%2F", "/")
    client.force_login(outsider)
    assert "Accept and join" in client.get(accept_url(token)).content.decode()
    answer = client.post(accept_url(token), follow=True)
    assert "Welcome to Riverside Skills Academy" in answer.content.decode()
    assert Role.objects.filter(user=outsider, centre=centre, kind=RoleKind.LEARNER).exists()


def test_someone_logged_in_as_another_person_cannot_accept_or_make_the_account(
    client, learner, invited
):
    _, token = invited
    client.force_login(learner)
    answer = client.post(accept_url(token), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert answer.status_code == 403 and WRONG_ACCOUNT in answer.content.decode()
    assert not User.objects.filter(email="priya@example.org").exists()


def test_a_newcomer_link_whose_address_got_an_account_meanwhile_asks_to_log_in(client, invited):
    _, token = invited
    page = client.get(accept_url(token)).content.decode()
    assert "Choose a password" in page
    UserFactory.create(email="priya@example.org")
    answer = client.post(accept_url(token), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert "You already have an account" in answer.content.decode()


def reset(client, email: str, capture):
    with capture(execute=True):
        return client.post(reverse("password_reset"), {"email": email}, follow=True)


def test_forgotten_password_sends_an_account_without_a_password_its_reset_link(
    client, centre, django_capture_on_commit_callbacks
):
    # A learner made from a CSV file before invitations: no usable password.
    legacy = User.objects.create_user("legacy@example.org", "Lee Gacy")
    assert not legacy.has_usable_password()
    reset(client, "Legacy@Example.org", django_capture_on_commit_callbacks)
    [sent] = mail.outbox
    assert sent.to == ["legacy@example.org"] and "/accounts/reset/" in sent.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", str(sent.body))
    assert link
    form = client.get(link.group(1), follow=True)
    audit = AuditWatch()
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    legacy.refresh_from_db()
    assert legacy.check_password(NEW_PASSWORD)
    [entry] = audit.entries()
    assert (entry.action, entry.actor, entry.after) == (
        "account.password_reset",
        legacy,
        {"had_password": False},
    )
    assert (
        client.post(
            reverse("login"), {"username": "legacy@example.org", "password": NEW_PASSWORD}
        ).status_code
        == 302
    )


def test_forgotten_password_sends_an_invitee_without_an_account_their_invitation_again(
    client, invited, django_capture_on_commit_callbacks
):
    _, old = invited
    Invitation.objects.update(  # sent 16 days ago, expired 2 days ago
        sent_at=timezone.now() - datetime.timedelta(days=16),
        expires_at=timezone.now() - datetime.timedelta(days=2),
    )
    audit = AuditWatch()
    page = reset(client, "priya@example.org", django_capture_on_commit_callbacks)
    sent = mail.outbox[-1]
    assert sent.to == ["priya@example.org"] and "Your invitation to" in sent.subject
    assert client.get(accept_url(token_of(sent))).status_code == 200
    assert client.get(accept_url(old)).status_code == 410
    assert audit.actions() == ["invitation.resent"]
    assert page.templates[0].name == "registration/password_reset_done.html"


def test_forgotten_password_reads_the_same_for_an_account_an_invitee_and_a_stranger(
    client, invited, learner, django_capture_on_commit_callbacks
):
    pages = [
        re.sub(
            r'name="csrfmiddlewaretoken" value="[^"]+"',
            "",
            reset(client, email, django_capture_on_commit_callbacks).content.decode(),
        )
        for email in ("priya@example.org", learner.email, "stranger@example.org")
    ]
    assert pages[0] == pages[1] == pages[2]


def test_a_stranger_asking_within_the_hour_leaves_the_link_the_centre_sent_working(
    client, invited, django_capture_on_commit_callbacks
):
    _, link = invited
    Invitation.objects.update(sent_at=timezone.now() - datetime.timedelta(minutes=50))
    sent = len(mail.outbox)
    reset(client, "priya@example.org", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == sent
    assert client.get(accept_url(link)).status_code == 200


def test_an_inactive_account_gets_no_reset_link(client, db, django_capture_on_commit_callbacks):
    UserFactory.create(email="closed@example.org", is_active=False)
    reset(client, "closed@example.org", django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_a_reset_link_for_an_account_with_a_password_still_works_as_before(
    client, learner, django_capture_on_commit_callbacks
):
    learner.password = make_password(PASSWORD)
    learner.save()
    reset(client, learner.email, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[learner.email]]


def test_a_tab_that_read_the_link_just_before_another_tab_used_it_is_told_it_is_used(
    client, invited, monkeypatch
):
    """Two tabs accept at once: one read the link while it was still waiting, and by the time it
    looked for an account the other tab had made it with this very link. It is told the link is
    used (410), not asked to log in (a 200 seen under concurrent POSTs through gunicorn)."""
    import portal.invitation_views as views
    from portal.services import invitation_for_link

    invitation, token = invited
    waiting = invitation_for_link(token)  # what the slower tab read first
    other_tab = Client()
    other_tab.post(accept_url(token), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert User.objects.filter(email=invitation.email).exists()
    reads = iter([waiting])
    monkeypatch.setattr(
        views, "invitation_for_link", lambda t: next(reads, None) or invitation_for_link(t)
    )
    answer = client.post(accept_url(token), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert answer.status_code == 410 and LINK_USED in answer.content.decode()
