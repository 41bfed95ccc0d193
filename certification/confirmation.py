"""One-time confirmations for the steps that cannot be undone (decision 36): claiming, revoking
and replacing. The confirmation page carries a signed token saying exactly what was shown (who,
which kind, which units; or which certificate and why); confirming acts on what the token says,
not on anything posted beside it, and a token is taken once: sent twice (a double click, two
tabs, the back button, another login), even at the same moment, the second finds it used and
nothing more happens.

Taken in the database, in the transaction of the act it confirms (decision 82): `take` writes
the token's nonce (`ConfirmationTaken`, unique) inside the caller's transaction, after the
caller's permission checks and audit chains. A second request with the same token waits for
the first to end (on the chain, and on the unique index whatever it locked) and is then told
it was used; if the first did nothing (every learner refused, the certificate revoked
meanwhile) its transaction is rolled back with the nonce, nothing is written, and the token is
still good. The session kept the taken tokens before: two overlapping requests each read it
before the other wrote it, and both acted. The services' own checks under their locks (one
certificate in force per kind, a revoked certificate stays revoked) hold whatever happens
here."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from certification.models import ConfirmationTaken
from portal.audit import opened_blocks

MAX_AGE = 30 * 60  # seconds a confirmation page stays good for
# Seconds a taken nonce is kept: twice MAX_AGE, as the server that signed a token and the one
# taking it may not agree on the time (one behind would still take a token the other thinks
# expired, and must still find its nonce).
KEPT_FOR = 2 * MAX_AGE

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
    """The payload of a good token, taken: its nonce written in the caller's transaction (see
    the module's note). Raises Unconfirmed otherwise. Call it inside the transaction of the act
    it confirms, after the caller's permission checks and after taking the audit chains that act
    takes (the house order: chains before any row, and this writes one); roll that transaction
    back if nothing was done, and the token may be used again."""
    if not in_a_transaction_of_its_caller():
        raise RuntimeError("take() writes in the transaction of what it confirms: open it first")
    try:
        body = signing.loads(token, salt=f"certification.confirm.{purpose}", max_age=MAX_AGE)
    except signing.SignatureExpired as error:  # signed by us, and older than MAX_AGE
        raise Unconfirmed(EXPIRED) from error
    except (signing.BadSignature, ValueError) as error:
        raise Unconfirmed(NOT_VALID) from error
    if not isinstance(body, dict) or body.get("u") != request.user.pk:
        raise Unconfirmed(NOT_VALID)
    now = timezone.now()
    try:
        # A savepoint, so the caller's transaction is still usable to say why.
        with transaction.atomic():
            ConfirmationTaken.objects.create(nonce=body["n"], taken_at=now)
    except IntegrityError as error:  # taken by a request that committed
        raise Unconfirmed(ALREADY_USED) from error
    forget_taken_before(now - datetime.timedelta(seconds=KEPT_FOR))
    payload: dict[str, Any] = body["p"]
    return payload


def forget_taken_before(moment: datetime.datetime) -> None:
    """Delete the nonces taken before `moment`: a token signed that long ago is refused as
    expired before its nonce is looked at, so they can never matter again (`KEPT_FOR` allows
    for servers' clocks differing), and the table holds no more than the last hour's
    confirmations. In the caller's transaction (so a
    confirmation that did nothing deletes nothing either); rows another transaction is deleting
    now are skipped, not waited for (two confirmations at other centres never wait on each
    other here, nor deadlock)."""
    old = ConfirmationTaken.objects.filter(taken_at__lt=moment)
    ConfirmationTaken.objects.filter(
        pk__in=old.select_for_update(skip_locked=True).values("pk")
    ).delete()


def in_a_transaction_of_its_caller() -> bool:
    """Inside a transaction opened by the code, not only by a test wrapping it."""
    return bool(opened_blocks(by_a_test=False))
