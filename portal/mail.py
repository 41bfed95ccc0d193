"""E-mail leaves the request: every message the portal sends (invitations, password resets,
witness requests) goes to the mail server from a Celery task, queued once the transaction has
committed.

So a request never waits for the mail server, which would tell by its time whether a message
went ("Forgotten your password?" for an address with an account), and never fails with it (a
mail server that is down must not turn a saved witness request into an error page). The worker
tries again with growing pauses (about twenty minutes in all) and logs the message it gave up on.

With the broker unreachable, the message is sent in-process instead, at once, its failure
logged: it is not kept for a sweep, because it carries a live link (a reset, an invitation, a
witness's) whose secret the portal stores only as a hash. Locally, with tasks in-process, that
is how every message goes (printed to the console). See docs/decisions/0013-accounts.md.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence

from celery import shared_task
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from portal.broker import send_or_run

log = logging.getLogger(__name__)

# What a message is, as a task's JSON argument. The portal sends plain text only.
Payload = dict[str, object]
FIELDS = ("subject", "body", "from_email", "to", "reply_to")


def as_payload(message: EmailMessage) -> Payload:
    assert not message.attachments and not getattr(message, "alternatives", None)
    return {field: getattr(message, field) for field in FIELDS}


def as_message(payload: Payload) -> EmailMessage:
    return EmailMessage(**payload)  # type: ignore[arg-type]


def emails_send(messages: Sequence[EmailMessage]) -> None:
    """Send the messages once the current transaction commits (at once outside one), from a
    worker; nothing is sent if it rolls back."""
    payload = [as_payload(message) for message in messages]
    if payload:
        transaction.on_commit(lambda: send_or_run(send_emails, payload))


# A mail server that is down or refuses is tried again after 5, 10, 20 ... seconds, at most ten
# minutes apart: about twenty minutes in all before the worker gives up and logs it.
RETRIES = 8


@shared_task(
    bind=True, max_retries=RETRIES, ignore_result=True, time_limit=120, soft_time_limit=100
)
def send_emails(self, payload: list[Payload]) -> None:  # type: ignore[no-untyped-def]
    """Send the messages over one connection; if the mail server fails on the way, try again
    later with those it has not taken yet (the ones it took are not sent again)."""
    sent = 0
    try:
        with get_connection() as connection:
            for message in payload:
                connection.send_messages([as_message(message)])
                sent += 1
    except (smtplib.SMTPException, OSError) as error:
        left = payload[sent:]
        recipients = ", ".join(sorted({a for m in left for a in m["to"]}))  # type: ignore[attr-defined]
        if self.request.called_directly or self.request.retries >= RETRIES:
            log.error("E-mail to %s not sent, given up: %s", recipients, error)
            raise
        log.warning("E-mail to %s not sent yet: %s", recipients, error)
        countdown = min(600, 5 * 2**self.request.retries)
        raise self.retry(args=(left,), exc=error, countdown=countdown) from error
