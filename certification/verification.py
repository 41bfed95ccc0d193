"""Public verification: anyone can check a certificate number, a limited number of times."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

from certification.models import Certificate, CertificateState
from portal.throttle import client_address

log = logging.getLogger(__name__)


def cache_down() -> tuple[type[BaseException], ...]:
    """What the cache raises when it cannot be reached: Redis's errors, and the socket's own.
    A function, so that the Redis client is imported when an error is caught (the cache has
    imported it by then), not by every process that loads the URL configuration."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)


LOOKUPS = 30  # per client address (portal.throttle.client_address)
WINDOW = 600  # seconds


@dataclass(frozen=True)
class Finding:
    state: str  # genuine, revoked, replaced, superseded, unknown
    certificate: Certificate | None = None


def normalise(number: str) -> str:
    # NUL is no character of a number, and PostgreSQL refuses it in a query.
    return "".join(number.replace("\x00", "").upper().split())[:40]


def verify(number: str) -> Finding:
    """What the public may know about a number: nothing beyond holder, qualification, date and
    whether it still stands."""
    certificate = (
        Certificate.objects.filter(number=normalise(number))
        .select_related("replaced_by", "superseded_by")
        .first()
    )
    if certificate is None or certificate.is_withheld:
        # A claim the AO's EQA has not let out is no certificate yet (decision 29).
        return Finding("unknown")
    if certificate.state in (
        CertificateState.REVOKED,
        CertificateState.REPLACED,
        CertificateState.SUPERSEDED,
    ):
        return Finding(certificate.state.value, certificate)
    return Finding("genuine", certificate)  # whatever became of its PDF


def allowed(request: HttpRequest) -> bool:
    """Whether this client may look up another number now (a fixed window per address).

    The counts live in the cache (Redis in production). When the cache cannot be reached the
    lookup is allowed: verifying a certificate is the public promise, and the limit only slows
    someone guessing numbers, who cannot guess ten random characters in any case.
    """
    # The client's address as login throttling takes it: behind a proxy (TRUSTED_PROXY_COUNT)
    # REMOTE_ADDR is the proxy's, the same for everyone.
    key = f"verify:{client_address(request)}"
    try:
        cache.add(key, 0, WINDOW)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW)
            count = 1
    except cache_down() as error:
        log.warning("Verification allowed without its rate limit: the cache is down (%s)", error)
        return True
    return count <= LOOKUPS
