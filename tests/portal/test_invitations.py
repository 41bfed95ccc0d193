"""Invitations, the services: made only by a centre admin of the centre, sent as a link that
works once and expires, sent again with a new link, withdrawn, and accepted by a newcomer (who
chooses a password) or by the holder of an existing account (who is logged in)."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from portal.audit import audit_verify
from portal.models import Invitation, InvitationStatus, Role, RoleKind, User
from portal.services import (
    ACCOUNT_EXISTS,
    ALREADY_HOLDS,
    JUST_SENT,
    LINK_UNKNOWN,
    LINK_USED,
    LINK_WITHDRAWN,
    ONLY_PRACTITIONERS_TRAIN,
    RESEND_PAUSE,
    SEND_AGAIN_AFTER,
    WRONG_ACCOUNT,
    InvitationLinkProblem,
    InvitationRefused,
    Invitee,
    hashed,
    invitation_accept,
    invitation_accept_as_newcomer,
    invitation_create,
    invitation_for_link,
    invitation_resend,
    invitation_withdraw,
    invitations_resend_to,
    merged,
)
from tests.audit import AuditWatch

NEWCOMER = Invitee("Priya.Shah@Example.org", "Priya Shah", RoleKind.LEARNER)


def links(token: str) -> str:
    return f"https://portal.test/accounts/invitation/{token}/"


def last_token() -> str:
    return mail.outbox[-1].body.split("/accounts/invitation/")[1].split("/")[0]


@pytest.fixture
def invite(centre, centre_admin, django_capture_on_commit_callbacks):
    """Invite as the centre admin; returns the invitation and the link's secret."""

    def make(invitee: Invitee = NEWCOMER, **more) -> tuple[Invitation, str]:
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitation_create(
                centre=centre, invitee=invitee, actor=centre_admin, link_for=links, **more
            )
        return invitation, last_token()

    return make


def test_an_invitation_is_e_mailed_as_a_link_whose_secret_is_kept_only_as_a_hash(
    invite, centre, settings
):
    invitation, token = invite()
    [sent] = mail.outbox
    assert sent.to == ["priya.shah@example.org"]
    assert f"https://portal.test/accounts/invitation/{token}/" in sent.body
    assert "join Riverside Skills Academy as a learner" in sent.body
    assert invitation.token_hash == hashed(token) and token not in invitation.token_hash
    assert not User.objects.filter(email="priya.shah@example.org").exists()
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(
        days=settings.INVITATION_DAYS
    )
    assert invitation_for_link(token) == invitation


def test_inviting_is_audited_in_the_centres_chain(invite, centre, centre_admin):
    audit = AuditWatch()
    invitation, _ = invite()
    [entry] = audit.entries()
    assert (entry.action, entry.subject, entry.actor, entry.centre_id) == (
        "invitation.created",
        f"invitation:{invitation.pk}",
        centre_admin,
        centre.pk,
    )
    assert (entry.after or {})["email"] == "priya.shah@example.org"
    assert audit_verify()[1] is None


@pytest.mark.parametrize("persona", ["assessor", "iqa", "learner", "outsider"])
def test_only_a_centre_admin_of_the_centre_may_invite(request, centre, persona):
    with pytest.raises(PermissionDenied):
        invitation_create(
            centre=centre,
            invitee=NEWCOMER,
            actor=request.getfixturevalue(persona),
            link_for=links,
        )
    assert not Invitation.objects.exists() and mail.outbox == []


def test_someone_who_already_holds_the_role_here_is_not_invited_to_it(invite, learner, centre):
    with pytest.raises(InvitationRefused) as refused:
        invite(Invitee("LEARNER@example.org", "Anyone", RoleKind.LEARNER))
    assert refused.value.messages == [
        ALREADY_HOLDS.format(name=learner.full_name, role="a learner", centre=centre)
    ]


def test_only_assessors_and_iqas_are_invited_as_trainees(invite):
    with pytest.raises(InvitationRefused) as refused:
        invite(Invitee("x@example.org", "X", RoleKind.LEARNER, is_trainee=True))
    assert refused.value.messages == [ONLY_PRACTITIONERS_TRAIN]


def test_a_refused_or_rolled_back_invitation_sends_nothing(
    centre, centre_admin, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invitation_create(centre=centre, invitee=NEWCOMER, actor=centre_admin, link_for=links)
        raise RuntimeError("something after it failed")
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_a_newcomer_accepts_by_choosing_a_password_and_the_link_then_works_no_more(invite, centre):
    invitation, token = invite()
    audit = AuditWatch()
    person = invitation_accept_as_newcomer(token=token, password="a-long-new-password")
    assert (person.email, person.full_name) == ("priya.shah@example.org", "Priya Shah")
    assert person.check_password("a-long-new-password")
    assert Role.objects.filter(user=person, centre=centre, kind=RoleKind.LEARNER).exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED and invitation.accepted_by == person
    [entry] = audit.entries()
    assert (entry.action, entry.actor) == ("invitation.accepted", person)
    assert (entry.after or {})["new_account"] is True
    for again in (
        lambda: invitation_accept_as_newcomer(token=token, password="another-password-1"),
        lambda: invitation_accept(token=token, actor=person),
        lambda: invitation_for_link(token),
    ):
        with pytest.raises(InvitationLinkProblem) as problem:
            again()
        assert problem.value.messages == [LINK_USED]
    assert person.check_password("a-long-new-password")


def test_an_expired_link_says_so_and_how_to_get_a_new_one(invite):
    _, token = invite()
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(InvitationLinkProblem) as problem:
        invitation_accept_as_newcomer(token=token, password="a-long-new-password")
    [message] = problem.value.messages
    assert message.startswith("This invitation expired on ")
    assert "Ask Riverside Skills Academy to send you a new one" in message
    assert not User.objects.filter(email="priya.shah@example.org").exists()


def test_a_link_that_is_no_invitation_says_so(db):
    with pytest.raises(InvitationLinkProblem) as problem:
        invitation_for_link("made-up")
    assert problem.value.messages == [LINK_UNKNOWN]


def test_sending_again_replaces_the_link_and_renews_its_expiry(
    invite, centre_admin, django_capture_on_commit_callbacks
):
    invitation, old = invite()
    Invitation.objects.update(
        sent_at=timezone.now() - datetime.timedelta(days=15),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    audit = AuditWatch()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(invitation=invitation, actor=centre_admin, link_for=links)
    new = last_token()
    assert new != old and len(mail.outbox) == 2
    with pytest.raises(InvitationLinkProblem) as problem:
        invitation_for_link(old)
    assert problem.value.messages == [LINK_UNKNOWN]
    assert invitation_for_link(new).status == InvitationStatus.PENDING
    assert audit.actions() == ["invitation.resent"]


def test_inviting_the_same_address_to_the_same_role_again_sends_the_same_invitation_again(invite):
    first, old = invite()
    second, new = invite(Invitee("priya.shah@example.org", "Priya K. Shah", RoleKind.LEARNER))
    assert second.pk == first.pk and second.full_name == "Priya K. Shah"
    assert Invitation.objects.count() == 1
    with pytest.raises(InvitationLinkProblem):
        invitation_for_link(old)
    invitation_for_link(new)


def test_sending_again_within_a_minute_is_refused_and_sends_nothing(
    invite, centre_admin, django_capture_on_commit_callbacks
):
    invitation, token = invite()
    audit = AuditWatch()
    with pytest.raises(InvitationRefused) as refused:
        invitation_resend(invitation=invitation, actor=centre_admin, link_for=links)
    assert refused.value.messages == [JUST_SENT.format(email="priya.shah@example.org")]
    with pytest.raises(InvitationRefused):
        invite()  # the same invitation from the form again
    assert len(mail.outbox) == 1 and not audit.entries().exists()
    assert invitation_for_link(token) == invitation  # the link sent still works
    Invitation.objects.update(sent_at=timezone.now() - SEND_AGAIN_AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(invitation=invitation, actor=centre_admin, link_for=links)
    assert len(mail.outbox) == 2 and audit.actions() == ["invitation.resent"]


def test_an_invitation_carries_one_registration_per_qualification_whatever_row_it_came_from():
    carried = [{"row": 2, "qualification": "SFJ-L2-CS", "ao_registration_number": "A2"}]
    again = [{"row": 7, "qualification": "SFJ-L2-CS", "ao_registration_number": "A2"}]
    assert merged(carried, again) == carried
    newer = [{"row": 3, "qualification": "SFJ-L2-CS", "ao_registration_number": "A3"}]
    assert merged(carried, newer) == newer
    other = [{"row": 3, "qualification": "601/3576/1", "ao_registration_number": ""}]
    assert merged(carried, other) == carried + other


def test_an_invitation_can_be_withdrawn_and_is_then_neither_usable_nor_sent_again(
    invite, centre_admin
):
    invitation, token = invite()
    invitation_withdraw(invitation=invitation, actor=centre_admin)
    with pytest.raises(InvitationLinkProblem) as problem:
        invitation_for_link(token)
    assert problem.value.messages == [LINK_WITHDRAWN.format(centre=invitation.centre)]
    with pytest.raises(InvitationRefused):
        invitation_resend(invitation=invitation, actor=centre_admin, link_for=links)
    assert invitations_resend_to(email=invitation.email, link_for=links) == 0


@pytest.mark.parametrize("persona", ["assessor", "outsider"])
def test_only_the_centres_admin_sends_again_or_withdraws(invite, request, persona):
    invitation, _ = invite()
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        invitation_resend(invitation=invitation, actor=actor, link_for=links)
    with pytest.raises(PermissionDenied):
        invitation_withdraw(invitation=invitation, actor=actor)


def test_someone_with_an_account_accepts_while_logged_in_and_keeps_their_account(
    invite, outsider, centre
):
    _, token = invite(Invitee("OUTSIDER@example.org", "A Name Given Here", RoleKind.ASSESSOR))
    name, password = outsider.full_name, outsider.password
    invitation_accept(token=token, actor=outsider)
    outsider.refresh_from_db()
    assert (outsider.full_name, outsider.password) == (name, password)
    assert Role.objects.filter(user=outsider, centre=centre, kind=RoleKind.ASSESSOR).exists()


def test_an_invitation_is_accepted_only_by_the_account_it_was_sent_to(invite, learner, outsider):
    _, token = invite(Invitee("outsider@example.org", "Someone", RoleKind.IQA))
    with pytest.raises(InvitationLinkProblem) as problem:
        invitation_accept(token=token, actor=learner)
    assert problem.value.messages == [WRONG_ACCOUNT]
    assert invitation_for_link(token).status == InvitationStatus.PENDING


def test_a_newcomer_link_for_an_address_that_has_an_account_by_now_asks_them_to_log_in(invite):
    _, token = invite()
    User.objects.create_user("priya.shah@example.org", "Priya (another centre)", "x-password-1")
    with pytest.raises(InvitationLinkProblem) as problem:
        invitation_accept_as_newcomer(token=token, password="a-long-new-password")
    assert problem.value.messages == [ACCOUNT_EXISTS]
    assert User.objects.get(email="priya.shah@example.org").check_password("x-password-1")


def test_a_trainee_invitation_makes_a_trainee(invite, centre):
    _, token = invite(Invitee("tam@example.org", "Tam", RoleKind.ASSESSOR, is_trainee=True))
    person = invitation_accept_as_newcomer(token=token, password="a-long-new-password")
    assert Role.objects.get(user=person, centre=centre).is_trainee


def test_the_invitee_asking_again_gets_every_open_invitation_with_new_links_audited(
    invite, django_capture_on_commit_callbacks
):
    invitation, old = invite()
    Invitation.objects.update(  # sent 17 days ago, expired 3 days ago
        sent_at=timezone.now() - datetime.timedelta(days=17),
        expires_at=timezone.now() - datetime.timedelta(days=3),
    )
    audit = AuditWatch()
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations_resend_to(email="Priya.Shah@example.org", link_for=links) == 1
    [entry] = audit.entries()
    assert (entry.action, entry.actor, (entry.after or {})["asked_by"]) == (
        "invitation.resent",
        None,
        "the invitee",
    )
    with pytest.raises(InvitationLinkProblem):
        invitation_for_link(old)
    assert invitation_for_link(last_token()) == invitation


def test_an_address_with_an_account_gets_no_invitation_through_the_reset(invite, outsider):
    invite(Invitee("outsider@example.org", "Someone", RoleKind.LEARNER))
    assert invitations_resend_to(email="outsider@example.org", link_for=links) == 0


def test_the_invitee_asking_again_soon_after_a_link_was_sent_gets_no_other(
    invite, django_capture_on_commit_callbacks
):
    invite()
    audit = AuditWatch()
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations_resend_to(email="priya.shah@example.org", link_for=links) == 0
    assert len(mail.outbox) == 1 and not audit.entries().exists()
    Invitation.objects.update(sent_at=timezone.now() - RESEND_PAUSE)
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations_resend_to(email="priya.shah@example.org", link_for=links) == 1
    assert len(mail.outbox) == 2
