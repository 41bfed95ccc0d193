"""E-mail leaves the request: "Forgotten your password?" only queues its work, the same for
everyone; every message goes to the mail server from a task, which sends again only what the
server did not take; and with the broker unreachable a message is sent in-process, not lost."""

import datetime
import logging
import re

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from portal import broker
from portal.celery import app as celery_app
from portal.mail import emails_send, send_emails
from portal.models import Invitation, RoleKind
from portal.services import Invitee, invitation_create
from portal.tasks import password_reset_send
from tests.mail_backends import FailingOnceBackend


@pytest.fixture
def broker_fresh(monkeypatch):
    """No failure of an earlier test pauses this one's publishing."""
    monkeypatch.setattr(broker, "_down_until", 0.0)


@pytest.fixture
def queued(monkeypatch, broker_fresh):
    """Tasks go to the workers, as in production, instead of running in-process: what the
    request sends is recorded, and nothing runs."""
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    for task in (password_reset_send, send_emails):
        monkeypatch.setattr(task, "delay", lambda *args, t=task: sent.append((t.name, args)))
    return sent


@pytest.fixture
def invitee(centre, centre_admin, django_capture_on_commit_callbacks):
    """An address with no account and an invitation sent a while ago."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            centre=centre,
            invitee=Invitee("priya@example.org", "Priya Shah", RoleKind.LEARNER),
            actor=centre_admin,
            link_for=lambda token: f"http://testserver/accounts/invitation/{token}/",
        )
    Invitation.objects.update(sent_at=timezone.now() - datetime.timedelta(days=1))
    mail.outbox.clear()
    return "priya@example.org"


def test_forgotten_password_only_queues_its_work_and_the_same_way_for_everyone(
    client, learner, invitee, queued, django_capture_on_commit_callbacks
):
    addresses = [learner.email, invitee, "stranger@example.org"]
    work = []
    for email in addresses:
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            answer = client.post(reverse("password_reset"), {"email": email})
        assert answer.status_code == 302
        work.append([query["sql"] for query in queries])
    # The request does not even look the address up, and no mail server is waited for: what
    # it does cannot tell an account, an invitee and a stranger apart, by time or otherwise.
    assert work == [[], [], []]
    assert mail.outbox == []
    assert queued == [
        ("portal.tasks.password_reset_send", (e, "testserver", False)) for e in addresses
    ]


def test_the_queued_work_sends_the_reset_link_or_the_invitation_and_nothing_to_a_stranger(
    learner, invitee, django_capture_on_commit_callbacks
):
    for email in (learner.email, invitee, "stranger@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            password_reset_send(email, "portal.example.org", True)
    reset, invitation = mail.outbox
    assert reset.to == [learner.email]
    assert re.search(r"https://portal\.example\.org/accounts/reset/\S+/", str(reset.body))
    assert invitation.to == [invitee] and "Your invitation to" in invitation.subject
    assert "https://portal.example.org/accounts/invitation/" in invitation.body


def test_every_e_mail_is_sent_by_a_task_queued_after_the_commit(
    db, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        emails_send([EmailMessage("Hello", "Plain text.", None, ["ada@example.org"])])
    [(task, (payload,))] = queued
    assert task == "portal.mail.send_emails" and mail.outbox == []
    assert payload[0]["to"] == ["ada@example.org"] and payload[0]["body"] == "Plain text."


def test_with_the_broker_unreachable_the_e_mail_is_sent_in_process_and_that_is_logged(
    db, monkeypatch, broker_fresh, caplog, django_capture_on_commit_callbacks
):
    def broker_down(*args):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setattr(send_emails, "delay", broker_down)
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        emails_send([EmailMessage("Hello", "Plain text.", None, ["ada@example.org"])])
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    assert "portal.mail.send_emails not sent: the broker is unavailable" in caplog.text


def test_a_mail_server_failing_midway_is_tried_again_with_only_what_it_did_not_take(
    db, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingOnceBackend"
    monkeypatch.setattr(FailingOnceBackend, "failed", False)
    payload = [
        {
            "subject": s,
            "body": "Text.",
            "from_email": None,
            "to": [f"{s}@example.org"],
            "reply_to": [],
        }
        for s in ("first", "second", "third")
    ]
    send_emails.apply(args=[payload], throw=False)  # as a worker would (retried at once)
    assert [m.to for m in mail.outbox] == [
        ["first@example.org"], ["second@example.org"], ["third@example.org"]
    ]  # fmt: skip
