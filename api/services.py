"""Tokens made and revoked by a centre admin, found from what a client sends, and each call
recorded: writes in the centre's audit chain, reads counted a day at a time (decision 57)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from api.models import ApiReads, ApiToken, Scope
from portal.audit import audit_append, lock_chain
from portal.models import Centre, RoleKind, User
from portal.refusals import Refused

T = TypeVar("T")
TOKEN_START = "vqp"
NOT_ADMIN = "Only a centre admin of the centre can make or revoke its API tokens."
NAME_NEEDED = "Give the token a name that says what it is for."
SCOPE_NEEDED = "Choose at least one scope."
SCOPE_UNKNOWN = "There is no scope called {scope!r}."
ALREADY_REVOKED = "This token was revoked already."


class TokenRefused(Refused):
    """A token that cannot be made or revoked as asked."""


@dataclass(frozen=True)
class Made:
    token: ApiToken
    secret: str  # the whole token, shown once and never kept


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def is_centre_admin(user: User, centre_id: int) -> bool:
    return user.roles.filter(kind=RoleKind.CENTRE_ADMIN, centre_id=centre_id).exists()


def token_create(*, centre: Centre, name: str, scopes: Iterable[str], actor: User) -> Made:
    """A new token for the centre: `vqp_<prefix>_<secret>`, of which only the SHA-256 is kept."""
    name = " ".join(name.split())
    chosen = sorted(set(scopes))
    problems = [] if name else [NAME_NEEDED]
    problems += [SCOPE_UNKNOWN.format(scope=s) for s in chosen if s not in Scope.values]
    if not chosen:
        problems.append(SCOPE_NEEDED)
    with transaction.atomic():
        lock_chain(centre.pk)
        if not is_centre_admin(actor, centre.pk):
            raise TokenRefused(NOT_ADMIN)
        if problems:
            raise TokenRefused(problems)
        prefix = secrets.token_hex(4)
        secret = f"{TOKEN_START}_{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(
            centre=centre,
            name=name,
            prefix=prefix,
            digest=digest_of(secret),
            scopes=chosen,
            created_by=actor,
            created_at=timezone.now(),
        )
        audit_append(
            actor=actor,
            action="api_token.created",
            centre_id=centre.pk,
            subject=f"api_token:{token.pk}",
            after={"name": name, "prefix": prefix, "scopes": chosen},
        )
    return Made(token, secret)


def token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke a token: every call with it is refused from now on."""
    with transaction.atomic():
        lock_chain(token.centre_id)
        if not is_centre_admin(actor, token.centre_id):
            raise TokenRefused(NOT_ADMIN)
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked:
            raise TokenRefused(ALREADY_REVOKED)
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_append(
            actor=actor,
            action="api_token.revoked",
            centre_id=locked.centre_id,
            subject=f"api_token:{locked.pk}",
            after={"name": locked.name, "prefix": locked.prefix},
        )
    return locked


def token_for(presented: str) -> ApiToken | None:
    """The live token a client presents, or None (unknown, malformed or revoked)."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_START or not parts[1]:
        return None
    token = (
        ApiToken.objects.live()
        .select_related("centre", "created_by")
        .filter(prefix=parts[1][:16])
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, digest_of(presented)):
        return None
    return token


def reads_count(token: ApiToken) -> None:
    """Count one read against the token today (its own row: no audit chain is taken)."""
    today = timezone.localdate()
    if ApiReads.objects.filter(token=token, day=today).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            ApiReads.objects.create(token=token, day=today, count=1)
    except IntegrityError:  # another read made today's row first
        ApiReads.objects.filter(token=token, day=today).update(count=F("count") + 1)


def api_write(
    token: ApiToken,
    what: str,
    write: Callable[[], T],
    subject: Callable[[T], str],
    changed: Callable[[T], bool] | None = None,
) -> T:
    """Carry out a write through the API: the service's own audit entries (the token's maker
    their actor) and one naming the token, in one transaction under the centre's chain. With
    `changed`, a write that changed nothing (a PATCH of what is already so) is audited not at
    all: the services wrote nothing either."""
    with transaction.atomic():
        lock_chain(token.centre_id)
        result = write()
        if changed is not None and not changed(result):
            return result
        audit_append(
            actor=token.created_by,
            action="api.write",
            centre_id=token.centre_id,
            subject=subject(result),
            after={"token": token.prefix, "what": what},
        )
    return result
