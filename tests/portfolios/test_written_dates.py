"""Records written on the page (a learner's account, an assessor's record) are dated within the
registration, up to today, and an assessor's record is as long at most as a learner's account:
otherwise a message under the field, nothing saved (issue 19 review)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from portfolios.evidence import ACCOUNT_MAX_LENGTH, DATE_BEFORE_START, DATE_IN_FUTURE
from portfolios.models import Evidence
from tests.portfolios.conftest import START
from tests.portfolios.test_typed_evidence import write

TODAY = timezone.localdate()
TOMORROW = TODAY + datetime.timedelta(days=1)
BEFORE = START - datetime.timedelta(days=1)


def record(client, registration, assessor, **overrides):
    client.force_login(assessor)
    data = {
        "title": "Observed at the till",
        "occurred_on": START.isoformat(),
        "method": "observation",
        "description": "Leo served four customers well.",
        **overrides,
    }
    return client.post(reverse("assessment:record-new", args=[registration.pk]), data)


def under(page: str, field: str, textarea: bool = False) -> str:
    """The part of the page just after the field's input (a textarea: after what it holds)."""
    start = page.index(f'name="{field}"')
    if textarea:
        start = page.index("</textarea>", start)
    return page[start : start + 1200]


def before_start() -> str:
    return escape(DATE_BEFORE_START.format(start=START))


@pytest.mark.parametrize(
    ("day", "message"), [(TOMORROW, lambda: escape(DATE_IN_FUTURE)), (BEFORE, before_start)]
)
def test_an_account_dated_outside_the_registration_is_refused_under_the_date(
    client, registration, learner, day, message
):
    response = write(client, registration, learner, occurred_on=day.isoformat())
    assert response.status_code == 200
    assert message() in under(response.content.decode(), "occurred_on")
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("day", "message"), [(TOMORROW, lambda: escape(DATE_IN_FUTURE)), (BEFORE, before_start)]
)
def test_an_assessors_record_dated_outside_the_registration_is_refused_under_the_date(
    client, registration, assessor, day, message
):
    response = record(client, registration, assessor, occurred_on=day.isoformat())
    assert response.status_code == 200
    assert message() in under(response.content.decode(), "occurred_on")
    assert not Evidence.objects.exists()


def test_the_first_day_and_today_are_accepted(client, registration, learner, assessor):
    assert write(client, registration, learner, occurred_on=START.isoformat()).status_code == 302
    assert record(client, registration, assessor, occurred_on=TODAY.isoformat()).status_code == 302
    assert Evidence.objects.count() == 2


def test_an_assessors_record_is_at_most_as_long_as_a_learners_account(
    client, registration, assessor
):
    too_long = "x" * (ACCOUNT_MAX_LENGTH + 1)
    response = record(client, registration, assessor, description=too_long)
    assert response.status_code == 200
    assert f"The record is {ACCOUNT_MAX_LENGTH + 1} characters long" in under(
        response.content.decode(), "description", textarea=True
    )
    assert not Evidence.objects.exists()
    response = record(client, registration, assessor, description="x" * ACCOUNT_MAX_LENGTH)
    assert response.status_code == 302
