"""Invitations under double clicks and two tabs, through gunicorn on PostgreSQL: one link
accepted ten times at once makes one account; one invitation sent ten times at once is one
invitation. Never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.models import AuditEntry, Invitation, Role, RoleKind, User
from portal.services import Invitee, invitation_create
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.integration.served import Browser, gunicorn
from tests.integration.test_repeated_requests import TIMES, at_once


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


def test_one_invitation_sent_at_once_from_many_clicks_is_one_invitation(server, admin):
    browser = Browser(server)
    browser.log_in("ada@example.org")
    fields = {"full_name": "Tam Oduya", "email": "tam@example.org", "kind": "assessor"}
    statuses = at_once(lambda: browser.post("/people/invite/", fields))
    assert statuses == [302] * TIMES
    invitation = Invitation.objects.get()
    actions = list(
        AuditEntry.objects.filter(subject=f"invitation:{invitation.pk}").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["invitation.created"] + ["invitation.resent"] * (TIMES - 1)
