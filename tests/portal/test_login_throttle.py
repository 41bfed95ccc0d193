"""Login throttling: both login pages, counted per e-mail address and client address in the
database, with a cool-off after which the right password works again."""

import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from portal.forms import LOGIN_FAILED
from portal.throttle import client_address
from tests.factories import PASSWORD, UserFactory

ADMIN_LOGIN = "/admin/login/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    return UserFactory.create(email="ada@example.org", full_name="Ada Lovelace")


def log_in(client, email: str, password: str, *, url: str = "", address: str = "203.0.113.5"):
    return client.post(
        url or reverse("login"),
        {"username": email, "password": password},
        REMOTE_ADDR=address,
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, times: int, email: str = "ada@example.org", **where) -> None:
    for _ in range(times):
        answer = log_in(client, email, "not-the-password", **where)
        assert answer.status_code in (200, 429)


def test_fifty_wrong_passwords_then_the_right_one_is_refused(client, ada, settings):
    fail(client, 50)
    answer = log_in(client, "ada@example.org", PASSWORD)
    assert answer.status_code == 429
    assert not logged_in(client)
    assert AccessAttempt.objects.get().failures_since_start == settings.AXES_FAILURE_LIMIT


def test_the_attempt_that_reaches_the_limit_is_answered_with_the_lockout_page(
    client, ada, settings
):
    fail(client, settings.AXES_FAILURE_LIMIT - 2)
    before = log_in(client, "ada@example.org", "wrong")
    assert before.status_code == 200 and LOGIN_FAILED in before.content.decode()
    assert log_in(client, "ada@example.org", "still-wrong").status_code == 429


def test_the_lockout_page_says_until_when_and_asks_the_browser_to_wait(client, ada, settings):
    fail(client, settings.AXES_FAILURE_LIMIT)
    answer = log_in(client, "ada@example.org", PASSWORD)
    page = answer.content.decode()
    until = timezone.localtime(
        AccessAttempt.objects.get().attempt_time + settings.AXES_COOLOFF_TIME
    )
    # Within the last quarter of an hour of a day the lockout ends tomorrow, and says so.
    day = "" if until.date() == timezone.localdate() else f" on {until:%d %B}"
    assert "Logging in is paused" in page
    assert f"logging in is paused until {until:%H:%M}{day} (about 15 minutes from now)" in page
    assert 14 * 60 <= int(answer["Retry-After"]) <= 15 * 60
    assert "registration/locked_out.html" in [t.name for t in answer.templates]


def test_addresses_differing_only_in_case_count_as_one_account(client, ada, settings):
    for variant in ("Ada@Example.org", "ADA@EXAMPLE.ORG", " ada@example.org", "ada@Example.Org"):
        log_in(client, variant, "wrong")
    log_in(client, "ada@example.org", "wrong")  # the fifth
    assert log_in(client, "Ada@Example.org", PASSWORD).status_code == 429
    assert not logged_in(client)


def test_the_lockout_clears_after_the_cool_off(client, ada, settings):
    fail(client, 50)
    assert log_in(client, "ada@example.org", PASSWORD).status_code == 429
    # The cool-off is counted from the last counted failure: move it back past the cool-off.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1)
    )
    assert log_in(client, "ada@example.org", PASSWORD).status_code == 302
    assert logged_in(client)


def test_a_lockout_is_still_in_force_just_before_the_cool_off_ends(client, ada, settings):
    fail(client, settings.AXES_FAILURE_LIMIT)
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME + datetime.timedelta(seconds=30)
    )
    assert log_in(client, "ada@example.org", PASSWORD).status_code == 429


def test_trying_during_a_lockout_does_not_move_its_end(client, ada, settings):
    fail(client, settings.AXES_FAILURE_LIMIT)
    first = AccessAttempt.objects.get().attempt_time
    fail(client, 10)
    log_in(client, "ada@example.org", PASSWORD)
    assert AccessAttempt.objects.get().attempt_time == first


def test_someone_elsewhere_cannot_lock_a_person_out_of_their_own_address(client, ada):
    fail(client, 50, address="198.51.100.66")  # an attacker
    assert log_in(client, "ada@example.org", PASSWORD, address="203.0.113.5").status_code == 302


def test_a_successful_login_wipes_the_failures_before_it(client, ada, settings):
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, "ada@example.org", PASSWORD).status_code == 302
    client.logout()
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, "ada@example.org", PASSWORD).status_code == 302


def test_an_address_with_no_account_is_locked_the_same_way(client, ada, settings):
    # Otherwise the lockout would tell which addresses have accounts.
    fail(client, settings.AXES_FAILURE_LIMIT, email="nobody@example.org")
    assert log_in(client, "nobody@example.org", "x").status_code == 429


def test_the_admin_login_is_throttled_too(client, settings):
    UserFactory.create(email="root@example.org", is_staff=True, is_superuser=True)
    fail(client, 50, email="root@example.org", url=ADMIN_LOGIN)
    answer = log_in(client, "root@example.org", PASSWORD, url=ADMIN_LOGIN)
    assert answer.status_code == 429
    assert not logged_in(client)
    assert client.get("/admin/").status_code == 302  # still sent to log in


def test_failures_on_either_login_page_add_up(client, ada, settings):
    ada.is_staff = True
    ada.save()
    fail(client, 3, url=ADMIN_LOGIN)
    fail(client, settings.AXES_FAILURE_LIMIT - 3)
    assert log_in(client, "ada@example.org", PASSWORD).status_code == 429


def test_the_limit_and_the_cool_off_come_from_the_settings(client, ada, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=90)
    fail(client, 2)
    page = log_in(client, "ada@example.org", PASSWORD).content.decode()
    assert re.search(r"about (89|90) minutes from now", page)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "203.0.113.5"),  # no proxy trusted: the header is ignored
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "192.0.2.99, 198.51.100.1", "198.51.100.1"),  # the client's own claim is skipped
        (2, "192.0.2.99, 198.51.100.1, 10.1.2.3", "198.51.100.1"),
        (2, "198.51.100.1", "203.0.113.5"),  # fewer hops than proxies: the socket
        (1, "not-an-address", "203.0.113.5"),
    ],
)
def test_the_client_address_trusts_only_the_proxies_it_is_told_of(
    rf, settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_behind_a_proxy_each_client_is_counted_on_its_own(client, ada, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    def through_proxy(client_ip: str, password: str):
        return client.post(
            reverse("login"),
            {"username": "ada@example.org", "password": password},
            REMOTE_ADDR="172.16.0.2",
            HTTP_X_FORWARDED_FOR=client_ip,
        )

    for _ in range(20):
        through_proxy("198.51.100.66", "wrong")
    assert through_proxy("198.51.100.66", PASSWORD).status_code == 429
    assert through_proxy("203.0.113.5", PASSWORD).status_code == 302
