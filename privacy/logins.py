"""What the portal keeps about a person's logins: django-axes' records of attempts under their
e-mail address, and their sessions.

django-axes keeps the failures that count towards a lockout (`AccessAttempt`, one row per
address, client address and browser, until it stops counting) and, only when turned on, a log
of successful logins (`AccessLog`) and of every failure (`AccessFailureLog`); the portal's
settings keep neither (decision 13). Each row holds the address typed and the client's network
address. Sessions are rows of Django's session table whose signed data holds the person's id.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from importlib import import_module
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core import signing
from django.db.models import QuerySet

AXES_MODELS: tuple[type[AccessAttempt | AccessLog | AccessFailureLog], ...] = (
    AccessAttempt,
    AccessLog,
    AccessFailureLog,
)


def login_records(email: str) -> list[QuerySet[Any]]:
    """django-axes' rows for attempts under this address, whatever its case."""
    return [model.objects.filter(username__iexact=email) for model in AXES_MODELS]


def session_model() -> type[AbstractBaseSession] | None:
    """The table sessions are kept in; None when the engine keeps them elsewhere (a cache,
    signed cookies), where they cannot be listed and end on their own."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    model = store.get_model_class() if hasattr(store, "get_model_class") else None
    return model if isinstance(model, type) and issubclass(model, AbstractBaseSession) else None


def person_of(store: SessionBase, session_data: str) -> str | None:
    """The id of the person a session is logged in as, if any. Data signed with a key no longer
    in use reads as no one, as Django reads it (such a session logs no one in), but without
    Django's warning for each."""
    try:
        data = signing.loads(session_data, salt=store.key_salt, serializer=store.serializer)
    except (signing.BadSignature, ValueError):
        return None
    person = data.get(SESSION_KEY) if isinstance(data, dict) else None
    return str(person) if person is not None else None


def sessions_of(people: Iterable[int]) -> dict[int, list[str]]:
    """The keys of the stored sessions of each of these people, expired or not. A session row
    keeps its person's id only inside its signed data, so every row is read, once."""
    wanted = {str(pk) for pk in people}
    model = session_model()
    found: dict[int, list[str]] = {}
    if not wanted or model is None:
        return found
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    rows = model.objects.values_list("session_key", "session_data").order_by("session_key")
    for key, data in rows.iterator():
        person = person_of(store, data)
        if person in wanted:
            found.setdefault(int(person), []).append(key)
    return found


def session_ends(keys: list[str]) -> list[datetime.datetime]:
    """When each of these sessions ends (or ended), earliest first."""
    model = session_model()
    if model is None or not keys:
        return []
    return sorted(model.objects.filter(session_key__in=keys).values_list("expire_date", flat=True))


def sessions_delete(keys: list[str]) -> int:
    model = session_model()
    if model is None or not keys:
        return 0
    deleted, _ = model.objects.filter(session_key__in=keys).delete()
    return deleted
