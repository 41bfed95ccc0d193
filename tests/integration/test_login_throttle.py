"""Login throttling through the real server: gunicorn (two processes, threads) on PostgreSQL,
with its Redis unreachable. The failures are counted in the database, so the login page keeps
answering, every process sees the same count, and the lockout holds until its cool-off ends."""

from __future__ import annotations

import datetime
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory
from tests.integration.served import Browser, free_port, gunicorn


@pytest.fixture
def server_without_redis(real_services, transactional_db, tmp_path: Path) -> Iterator[str]:
    # A port nothing listens on: the server's cache and broker are down from the start.
    with (
        override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"),
        gunicorn(tmp_path) as base,
    ):
        yield base


def log_in(base: str, email: str, password: str) -> tuple[int, str]:
    """A fresh visitor's login (its own cookies and CSRF token): the answer's status and page."""
    browser = Browser(base)
    page = browser.opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    data = urllib.parse.urlencode({"username": email, "password": password}).encode()
    request = urllib.request.Request(f"{base}/accounts/login/", data=data, method="POST")
    request.add_header("Referer", f"{base}/accounts/login/")
    request.add_header("X-CSRFToken", token.group(1))
    try:
        with browser.opener.open(request, timeout=60) as answer:
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def test_fifty_wrong_passwords_lock_the_account_out_through_gunicorn_with_redis_down(
    server_without_redis,
):
    base = server_without_redis
    UserFactory.create(email="ada@example.org")
    answers = [log_in(base, "Ada@Example.org", "wrong")[0] for _ in range(50)]
    limit = settings.AXES_FAILURE_LIMIT
    # Every answer is a page: the form again until the limit, then the lockout page.
    assert answers[: limit - 1] == [200] * (limit - 1)
    assert set(answers[limit - 1 :]) == {429}
    status, page = log_in(base, "ada@example.org", PASSWORD)
    assert status == 429 and "Logging in is paused" in page
    assert AccessAttempt.objects.get().failures_since_start == limit

    # The cool-off, moved back rather than waited for: the right password works again.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1)
    )
    assert log_in(base, "ada@example.org", PASSWORD)[0] == 302
    assert not AccessAttempt.objects.exists()  # a success wipes the failures
