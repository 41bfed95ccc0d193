"""Idle sessions end: SESSION_IDLE_MINUTES after the last request, and each request moves the
end on. Time is moved by changing the stored session's expiry and renewal stamp, not by waiting."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from portal.sessions import RENEWED_AT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def renew_each_minute(settings):
    settings.SESSION_RENEW_SECONDS = 60  # as in production (the test settings stretch it)


def stored(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def age_session(client, *, idle: datetime.timedelta) -> None:
    """As if the last renewal was `idle` ago: its stamp and its end both moved back."""
    session = client.session
    session[RENEWED_AT] = int((timezone.now() - idle).timestamp())
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() - idle + datetime.timedelta(minutes=30)
    )


def test_the_idle_timeout_is_thirty_minutes_unless_configured(settings):
    assert settings.SESSION_IDLE_MINUTES == 30
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert not settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_a_session_idle_past_the_timeout_is_logged_out(client, learner):
    client.force_login(learner)
    assert client.get(reverse("home")).status_code == 200
    age_session(client, idle=datetime.timedelta(minutes=31))
    answer = client.get(reverse("home"))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))


def test_a_session_idle_for_less_than_the_timeout_still_works(client, learner):
    client.force_login(learner)
    age_session(client, idle=datetime.timedelta(minutes=29))
    assert client.get(reverse("home")).status_code == 200


def test_a_request_moves_the_end_of_the_session_on(client, learner):
    client.force_login(learner)
    age_session(client, idle=datetime.timedelta(minutes=20))
    assert stored(client).expire_date < timezone.now() + datetime.timedelta(minutes=11)
    before = timezone.now()
    answer = client.get(reverse("home"))
    assert answer.status_code == 200
    expires = stored(client).expire_date
    assert before + datetime.timedelta(minutes=30) <= expires
    assert expires <= timezone.now() + datetime.timedelta(minutes=30)
    assert answer.cookies["sessionid"]["max-age"] == 30 * 60


def test_requests_within_a_minute_of_the_last_renewal_write_nothing(client, learner):
    client.force_login(learner)
    client.get(reverse("home"))
    end = stored(client).expire_date
    client.get(reverse("home"))
    assert stored(client).expire_date == end


def test_the_timeout_follows_the_setting(client, learner, settings):
    settings.SESSION_COOKIE_AGE = 5 * 60
    client.force_login(learner)
    age_session(client, idle=datetime.timedelta(minutes=2))
    answer = client.get(reverse("home"))
    assert answer.cookies["sessionid"]["max-age"] == 5 * 60
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(reverse("home")).status_code == 302


def test_visitors_without_a_session_get_none_from_the_idle_timeout(client):
    answer = client.get(reverse("login"))
    assert "sessionid" not in answer.cookies
    assert not Session.objects.exists()


def test_a_session_used_more_often_than_a_short_idle_time_stays_alive(client, learner, settings):
    settings.SESSION_COOKIE_AGE = 60  # SESSION_IDLE_MINUTES=1
    client.force_login(learner)
    for _ in range(4):  # a request every 25 seconds, 100 seconds in all
        session = client.session
        session[RENEWED_AT] -= 25
        session.save()
        Session.objects.filter(session_key=session.session_key).update(
            expire_date=stored(client).expire_date - datetime.timedelta(seconds=25)
        )
        answer = client.get(reverse("home"))
        assert answer.status_code == 200
        assert stored(client).expire_date > timezone.now() + datetime.timedelta(seconds=55)
