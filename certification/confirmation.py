"""One-time confirmations for the steps that cannot be undone (decision 36): claiming and
revoking. The confirmation page carries a signed token saying exactly what was shown (who, which
kind, which units; or which certificate and why); confirming acts on what the token says, not on
anything posted beside it, and a token is taken once per session: sent twice (a double click,
two tabs, the back button), the second finds it used and nothing more happens. The services'
own checks under their locks (one certificate in force per kind, a revoked certificate stays
revoked) hold whatever a session remembers."""

from __future__ import annotations

import secrets
from typing import Any

from django.core import signing
from django.http import HttpRequest

MAX_AGE = 30 * 60  # seconds a confirmation page stays good for
USED = "confirmations_used"
KEPT = 50  # used tokens a session remembers (the newest)

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
    used = list(request.session.get(USED, []))
    if body["n"] in used:
        raise Unconfirmed(ALREADY_USED)
    request.session[USED] = [*used, body["n"]][-KEPT:]
    payload: dict[str, Any] = body["p"]
    return payload
