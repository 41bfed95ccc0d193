"""A witness is someone else than the learner and the centre's staff; the assessor who follows
the requests sees whom each was sent to (issue 19 review)."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from portfolios.models import WitnessRequest
from portfolios.witness import WITNESS_IS_LEARNER, WITNESS_IS_STAFF
from tests.audit import AuditWatch
from tests.portfolios.test_witness import ask


def field_error(page: str, field: str) -> str:
    start = page.index(f'name="{field}"')
    return page[start : start + 1500]


@pytest.mark.parametrize("whose", ["learner", "assessor", "iqa", "centre_admin"])
def test_the_learners_or_a_staff_members_address_is_refused_under_the_field(
    client, request, registration, learner, whose
):
    person = request.getfixturevalue(whose)
    audit = AuditWatch()
    response = ask(client, registration, learner, email=person.email.upper())
    assert response.status_code == 200
    expected = (
        WITNESS_IS_LEARNER
        if whose == "learner"
        else WITNESS_IS_STAFF.format(centre=registration.centre)
    )
    assert escape(expected) in field_error(response.content.decode(), "email")
    assert not WitnessRequest.objects.exists() and not mail.outbox
    assert not audit.entries().exists()


def test_staff_of_another_centre_may_be_a_witness(client, registration, learner, outsider):
    assert ask(client, registration, learner, email=outsider.email).status_code == 302
    assert WitnessRequest.objects.get().witness_email == outsider.email


def test_the_assessor_sees_the_witness_address_and_others_do_not(
    client, registration, learner, assessor, centre_admin
):
    ask(client, registration, learner)
    url = reverse("portfolios:registration-detail", args=[registration.pk])
    client.force_login(assessor)
    assert "wendy@example.org" in client.get(url).content.decode()
    client.force_login(centre_admin)
    assert "wendy@example.org" not in client.get(url).content.decode()
