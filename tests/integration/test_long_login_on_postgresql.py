"""Login names longer than any account's on both login pages, on PostgreSQL, which (unlike
SQLite) enforces the login throttle's 255-character username column: a clear refusal, no 500."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def on_postgresql(real_services) -> None:
    """PostgreSQL (and Redis) as the integration suite has them."""


@pytest.mark.parametrize("path", ["login", "admin:login"])
@pytest.mark.parametrize("length", [256, 300, 320])
def test_a_login_name_longer_than_any_account_s_is_refused_on_both_pages(client, path, length):
    name = "a" * (length - len("@example.org")) + "@example.org"
    response = client.post(reverse(path), {"username": name, "password": "wrong"})
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()


def test_a_long_name_that_reaches_the_throttle_another_way_is_counted_cut_to_its_column(rf):
    UserFactory.create(email="ada@example.org")
    name = "b" * 300 + "@example.org"
    request = rf.post(reverse("login"), {"username": name}, REMOTE_ADDR="198.51.100.7")
    assert authenticate(request, username=name, password="wrong") is None
    [attempt] = AccessAttempt.objects.all()
    assert attempt.username == name[:255]
