"""Notifications e-mailed by a real worker through Redis: each as it happens, once, and the daily
digest, which the worker knows by name and beat sends (a periodic task the workers refused
was a past failure: tests/integration/test_periodic_tasks.py sends every beat entry too)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from certification.models import Certificate, RenderStatus
from portal.celery import app as celery_app
from portal.models import Notification, NotificationEmail, NotificationKind, RoleKind, User
from portal.notifications import Notice, notify
from tests.factories import CentreFactory
from tests.integration.conftest import beat, worker_process
from tests.integration.test_certificate_worker import claimed_certificate, person, wait_while
from tests.integration.test_mail import mail_in, wait_for

DIGEST = "portal.tasks.send_notification_digests"


def mailed_worker(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A worker whose mail server keeps each message as a file in tmp_path/mail."""
    folder = tmp_path / "mail"
    backend = {
        "TEST_EMAIL_BACKEND": "tests.mail_backends.SlowFileBackend",
        "MAIL_FOLDER": str(folder),
        "MAIL_DELAY": "0",
        "MAIL_SENDER": "worker",
    }
    return folder, worker_process(tmp_path, extra_env=backend)


@pytest.mark.django_db(transaction=True)
def test_a_rendered_certificate_is_e_mailed_once_to_the_learner_and_the_admin_by_the_worker(
    real_services, tmp_path: Path
):
    folder, worker = mailed_worker(tmp_path)
    with worker:
        certificate = claimed_certificate()
        wait_while(lambda: Certificate.objects.get(pk=certificate.pk).status == RenderStatus.PENDING)  # fmt: skip
        ready = Notification.objects.filter(kind=NotificationKind.CERTIFICATE_READY)
        assert sorted(ready.values_list("recipient__email", flat=True)) == [
            "admin@example.org",
            "leo@example.org",
        ]

        def certificate_mail() -> list[dict[str, object]]:
            return [m for m in mail_in(folder) if "Certificate ready" in str(m["subject"])]

        assert wait_for(lambda: len(certificate_mail()) == 2, 60), mail_in(folder)
        # The learner countersigned each unit on the way: their assessor heard of every one.
        assert wait_for(lambda: any("countersigned" in str(m["body"]) for m in mail_in(folder)), 30)  # fmt: skip
        time.sleep(2)  # anything sent twice would have come by now
    sent = certificate_mail()
    assert sorted(m["to"][0] for m in sent) == ["admin@example.org", "leo@example.org"]  # type: ignore[index]
    assert {m["sender"] for m in mail_in(folder)} == {"worker"}
    for message in sent:
        assert f"/notifications/{ready.get(recipient__email=message['to'][0]).pk}/" in str(message["body"])  # type: ignore[index]  # fmt: skip


def daily_people() -> list[User]:
    centre = CentreFactory.create()
    people = [
        person(centre, RoleKind.LEARNER, f"daily{n}@example.org", f"Dana Daily{n}") for n in (1, 2)
    ]
    User.objects.filter(pk__in=[p.pk for p in people]).update(
        notification_email=NotificationEmail.DAILY
    )
    with transaction.atomic():
        kind, text = NotificationKind.UNIT_SIGNED_OFF, "A unit to countersign."
        notify(
            Notice(p.pk, kind, f"test:{n}", text, "/", centre.pk, RoleKind.LEARNER)
            for p in people
            for n in (1, 2)
        )
    return people


@pytest.mark.django_db(transaction=True)
def test_the_daily_digest_is_known_to_the_worker_by_name_and_sent_once(
    real_services, tmp_path: Path
):
    folder, worker = mailed_worker(tmp_path)
    with worker as (_, queue):
        people = daily_people()
        time.sleep(1)
        assert mail_in(folder) == []  # they wait for the digest
        registered = celery_app.control.inspect(timeout=5).registered() or {}
        assert any(DIGEST in tasks for tasks in registered.values()), registered
        # As beat sends it: by name, with the entry's options, through the broker.
        entry = settings.CELERY_BEAT_SCHEDULE["send-notification-digests"]
        assert entry["task"] == DIGEST
        result = celery_app.send_task(DIGEST, queue=queue, **entry.get("options", {}))
        assert result.get(timeout=60) == 2
        assert celery_app.send_task(DIGEST, queue=queue).get(timeout=60) == 0  # nothing twice
        assert wait_for(lambda: len(mail_in(folder)) == 2, 60)
    sent = mail_in(folder)
    assert sorted(m["to"][0] for m in sent) == sorted(p.email for p in people)
    assert all(str(m["body"]).count("Open it: ") == 2 for m in sent)


@pytest.mark.django_db(transaction=True)
def test_beat_sends_the_daily_digest_and_the_worker_e_mails_it(real_services, tmp_path: Path):
    folder, worker = mailed_worker(tmp_path)
    with worker as (_, queue):
        people = daily_people()
        every_second = {"DIGEST_SECONDS": "1"}
        with beat(tmp_path, settings.REDIS_URL, queue, **every_second) as (process, log):
            delivered = wait_for(lambda: len(mail_in(folder)) == 2, 90)
            assert process.poll() is None, log.read_text()
        time.sleep(2)  # beat sent it again meanwhile: nothing new to send
    assert delivered, log.read_text()
    assert sorted(m["to"][0] for m in mail_in(folder)) == sorted(p.email for p in people)
    assert DIGEST.rsplit(".", 1)[1] in log.read_text()
