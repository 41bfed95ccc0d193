"""The API's tests: the world of the permission matrix (two centres alike, tests/world.py), each
centre's admin holding a token with every scope, and a way to call the API as a token."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from tests.matrix import world_for_module
from tests.writes import written


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]
    text: str
    wrote: list[str]


def call(
    secret: str | None,
    method: str,
    path: str,
    body: Any = None,
    *,
    keep: bool = False,
    query: dict[str, Any] | None = None,
) -> Answer:
    """One call as the token, in a savepoint rolled back after it unless `keep`."""
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    data = json.dumps(body) if body is not None else ""
    if query:
        from urllib.parse import urlencode

        path = f"{path}?{urlencode(query)}"
    with transaction.atomic():
        response = Client().generic(method, path, data, content_type="application/json", **headers)
        wrote = written()
        if not keep:
            transaction.set_rollback(True)
    text = response.content.decode()
    parsed = json.loads(text) if response["Content-Type"].startswith("application/json") else None
    return Answer(response.status_code, parsed, dict(response.headers), text, wrote)
