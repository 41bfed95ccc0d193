"""Mail servers for tests: one that refuses every message, one that fails once, and a slow one
that keeps what it sent in files (for processes the integration tests start)."""

from __future__ import annotations

import json
import os
import smtplib
import time
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down: every attempt fails as smtplib's would."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPConnectError(421, b"mail.example.org: service not available")


class FailingOnceBackend(LocmemBackend):
    """Takes the first message, then fails once, then takes everything (into mail.outbox)."""

    failed = False

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if len(mail.outbox) == 1 and not FailingOnceBackend.failed:
            FailingOnceBackend.failed = True
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(email_messages)


class SlowFileBackend(BaseEmailBackend):
    """A mail server across the internet: MAIL_DELAY seconds per message. Each message is kept
    as a JSON file in MAIL_FOLDER, with which process sent it (MAIL_SENDER: web or worker)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(os.environ.get("MAIL_FOLDER") or settings.MEDIA_ROOT / "mail")
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            time.sleep(float(os.environ.get("MAIL_DELAY", "1")))
            record = {
                "to": message.to,
                "subject": message.subject,
                "body": message.body,
                "sender": os.environ.get("MAIL_SENDER", ""),
            }
            (folder / f"{time.time_ns()}-{os.getpid()}.json").write_text(json.dumps(record))
        return len(email_messages)
