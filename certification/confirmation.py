"""One-time confirmations for the steps that cannot be undone (decision 36): claiming and
revoking. The confirmation page carries a signed token saying exactly what was shown (who, which
kind, which units; or which certificate and why); confirming acts on what the token says, not on
anything posted beside it, and a token is taken once: sent twice (a double click, two tabs, the
back button, another login), even at the same moment, the second finds it used and nothing more
happens. Taken tokens are kept in the database (`ConfirmationTaken`, decision 81), not the
session, which two overlapping requests each read before the other wrote it. The services' own
checks under their locks (one certificate in force per kind, a revoked certificate stays
revoked) hold whatever happens here."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from certification.models import ConfirmationTaken

MAX_AGE = 30 * 60  # seconds a confirmation page stays good for

EXPIRED = "That confirmation has expired: nothing was done. Start again."
# Forged, altered, cut short, or shown to someone else: it never was good, so it has not expired.
NOT_VALID = "That confirmation is not valid: nothing was done. Start again."
ALREADY_USED = "That confirmation was used already: nothing more was done."


class Unconfirmed(Exception):
    """A confirmation that is not good (tampered, expired, another person's, or used)."""


def token_for(purpose: str, user_id: int, payload: dict[str, Any]) -> str:
    """A signed token for this purpose and person, with a fresh nonce."""
    body = {"u": user_id, "n": secrets.token_urlsafe(12), "p": payload}
    return signing.dumps(body, salt=f"certification.confirm.{purpose}", compress=True)


def take(request: HttpRequest, purpose: str, token: str) -> dict[str, Any]:
    """The payload of a good token, marked used in the session; raises Unconfirmed otherwise."""
    try:
        body = signing.loads(token, salt=f"certification.confirm.{purpose}", max_age=MAX_AGE)
    except signing.SignatureExpired as error:  # signed by us, and older than MAX_AGE
        raise Unconfirmed(EXPIRED) from error
    except (signing.BadSignature, ValueError) as error:
        raise Unconfirmed(NOT_VALID) from error
    if not isinstance(body, dict) or body.get("u") != request.user.pk:
        raise Unconfirmed(NOT_VALID)
    now = timezone.now()
    # A token signed longer ago than MAX_AGE is refused above, so a nonce taken longer ago than
    # that can never come back: forgotten, and the table stays small.
    ConfirmationTaken.objects.filter(
        taken_at__lt=now - datetime.timedelta(seconds=MAX_AGE)
    ).delete()
    try:
        # Committed at once: a second request taking the same nonce waits on the unique index
        # until this commits, then fails, whichever of the two read its session first.
        with transaction.atomic():
            ConfirmationTaken.objects.create(nonce=body["n"], taken_at=now)
    except IntegrityError as error:
        raise Unconfirmed(ALREADY_USED) from error
    payload: dict[str, Any] = body["p"]
    return payload
