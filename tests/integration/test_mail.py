"""E-mail through the running system: gunicorn and a real worker, with a mail server that takes
a second per message (tests/mail_backends.py). "Forgotten your password?" answers an address
with an account, or with an invitation, as fast as a stranger's, because the worker, not the
request, waits for the mail server; and every message is sent, by the worker.

The one timing here compares runs with each other (the account's with the stranger's), never
with a fixed number: the mail server's second is the difference the page used to show.
"""

from __future__ import annotations

import datetime
import json
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from portal.models import Invitation, RoleKind
from portal.services import Invitee, invitation_create
from tests.factories import CentreFactory
from tests.integration.conftest import worker_process
from tests.integration.served import Browser, gunicorn
from tests.integration.test_certificate_worker import person

MAIL_DELAY = 1.0  # seconds the mail server takes per message
RUNS = 3


def mail_in(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def timed_reset(base: str, email: str) -> float:
    """How long a fresh visitor's "Forgotten your password?" for `email` takes to answer."""
    visitor = Browser(base)
    visitor.get("/accounts/password_reset/")  # its CSRF cookie
    started = time.monotonic()
    assert visitor.post("/accounts/password_reset/", {"email": email}) == 302
    return time.monotonic() - started


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_a_reset_takes_no_longer_for_an_account_or_an_invitee_than_for_a_stranger(
    real_services, tmp_path: Path
):
    centre = CentreFactory.create()
    admin = person(centre, RoleKind.CENTRE_ADMIN, "admin@example.org")
    account = person(centre, RoleKind.LEARNER, "mia@example.org", "Mia Campbell")
    mail = tmp_path / "mail"
    slow = {
        "TEST_EMAIL_BACKEND": "tests.mail_backends.SlowFileBackend",
        "MAIL_FOLDER": str(mail),
        "MAIL_DELAY": str(MAIL_DELAY),
    }
    addresses = {"account": account.email, "invitee": "priya@example.org"}
    addresses["stranger"] = "nobody@example.org"
    with worker_process(tmp_path, extra_env={**slow, "MAIL_SENDER": "worker"}) as (_, queue):
        invitation_create(
            centre=centre,
            invitee=Invitee("priya@example.org", "Priya Shah", RoleKind.LEARNER),
            actor=admin,
            link_for=lambda token: f"http://testserver/accounts/invitation/{token}/",
        )
        assert wait_for(lambda: len(mail_in(mail)) == 1, 60)
        Invitation.objects.update(sent_at=timezone.now() - datetime.timedelta(days=1))
        web = {**slow, "MAIL_SENDER": "web", "CELERY_QUEUE": queue}
        with gunicorn(tmp_path, web) as base:
            times = {who: [timed_reset(base, email) for _ in range(RUNS)] for who, email in addresses.items()}  # fmt: skip
        # Three reset links for the account; the invitation again once (not again within
        # the hour); nothing for the stranger.
        assert wait_for(lambda: len(mail_in(mail)) == 1 + RUNS + 1, 60), mail_in(mail)

    stranger = statistics.median(times["stranger"])
    for who in ("account", "invitee"):
        assert statistics.median(times[who]) < stranger + MAIL_DELAY / 2, times
    sent = mail_in(mail)
    assert sorted(m["to"][0] for m in sent) == [account.email] * RUNS + ["priya@example.org"] * 2
    assert {m["sender"] for m in sent} == {"worker"}
