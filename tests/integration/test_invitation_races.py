"""Invitations under double clicks and two tabs, through gunicorn on PostgreSQL: one link
accepted ten times at once makes one account; one invitation sent ten times at once is one
invitation, sent once; a CSV file of invitees confirmed ten times at once invites each once.
Never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from portal.audit import audit_verify
from portal.models import AuditEntry, Invitation, Role, RoleKind, User
from portal.services import SEND_AGAIN_AFTER, Invitee, invitation_create
from tests.catalogue import load_test_world
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.integration.served import Browser, gunicorn
from tests.integration.test_repeated_requests import TIMES, at_once
from tests.portfolios.conftest import SFJ, SFJ_ENOUGH


@pytest.fixture
def server(real_services, transactional_db, tmp_path: Path) -> Iterator[str]:
    with gunicorn(tmp_path) as base:
        yield base


@pytest.fixture
def admin(server):
    centre = CentreFactory.create(name="Riverside Skills Academy")
    return RoleFactory.create(
        centre=centre, kind=RoleKind.CENTRE_ADMIN, user=UserFactory.create(email="ada@example.org")
    )


def test_one_link_accepted_at_once_from_many_tabs_makes_one_account(server, admin):
    tokens: list[str] = []

    def keep(token: str) -> str:
        tokens.append(token)
        return token

    invitation_create(
        centre=admin.centre,
        invitee=Invitee("nia@example.org", "Nia Roberts", RoleKind.LEARNER),
        actor=admin.user,
        link_for=keep,
    )
    path = f"/accounts/invitation/{tokens[0]}/"
    browser = Browser(server)
    browser.opener.open(f"{server}{path}", timeout=30).read()  # the CSRF cookie
    password = "nia-chooses-a-long-password"
    statuses = at_once(lambda: browser.post(path, {"password1": password, "password2": password}))
    assert sorted(statuses) == [302] + [410] * (TIMES - 1)
    person = User.objects.get(email="nia@example.org")
    assert Role.objects.filter(user=person, kind=RoleKind.LEARNER).count() == 1
    assert AuditEntry.objects.filter(action="invitation.accepted").count() == 1


def actions_on(invitation: Invitation) -> list[str]:
    subject = f"invitation:{invitation.pk}"
    return list(AuditEntry.objects.filter(subject=subject).values_list("action", flat=True))


# Each link is made with its e-mail and its audit entry (portal.services), so one entry is one
# e-mail, and its link the one that works.


def test_one_invitation_sent_at_once_from_many_clicks_is_one_invitation_sent_once(server, admin):
    browser = Browser(server)
    browser.log_in("ada@example.org")
    fields = {"full_name": "Tam Oduya", "email": "tam@example.org", "kind": "assessor"}
    statuses = at_once(lambda: browser.post("/people/invite/", fields))
    # One invites; the others are shown the form again, saying it was sent just now.
    assert sorted(statuses) == [200] * (TIMES - 1) + [302]
    invitation = Invitation.objects.get()
    assert actions_on(invitation) == ["invitation.created"]


def test_an_invitation_sent_again_from_many_clicks_at_once_is_sent_once(server, admin):
    invitation = invitation_create(
        centre=admin.centre,
        invitee=Invitee("tam@example.org", "Tam Oduya", RoleKind.ASSESSOR),
        actor=admin.user,
        link_for=str,
    )
    Invitation.objects.update(sent_at=timezone.now() - SEND_AGAIN_AFTER)
    browser = Browser(server)
    browser.log_in("ada@example.org")
    statuses = at_once(lambda: browser.post(f"/people/invitations/{invitation.pk}/resend/", {}))
    assert statuses == [302] * TIMES  # back to the list: one "on its way", the others "just sent"
    assert actions_on(invitation) == ["invitation.created", "invitation.resent"]
    assert audit_verify()[1] is None


def test_a_file_of_invitees_confirmed_many_times_at_once_invites_each_once(server, admin):
    load_test_world()
    units = ";".join(SFJ_ENOUGH)
    content = (
        "learner_email,learner_name,qualification,start_date,optional_units\n"
        f"solo@example.org,Solo Person,{SFJ},2026-09-01,{units}\n"
    )
    browser = Browser(server)
    browser.log_in("ada@example.org")
    fields = {"confirm": "1", "content": content}
    statuses = at_once(lambda: browser.post("/registrations/bulk/", fields))
    # One invites; the others are shown the file again, saying the invitation was just sent.
    assert sorted(statuses) == [200] * (TIMES - 1) + [302]
    invitation = Invitation.objects.get()
    assert [asked["qualification"] for asked in invitation.registrations] == [SFJ]
    assert actions_on(invitation) == ["invitation.created"]
    assert audit_verify()[1] is None
