"""The date of prior learning (RPL, an exemption, RPL for items) has bounds (review of issue
20): not in the future, not before the learner's date of birth when it is known, never before
1900. Refused under the field, by the form and the service, with nothing recorded."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import EvidenceMethod, PriorLearning, PriorLearningItem
from portfolios.prior_learning import (
    DATE_BEFORE_BIRTH,
    DATE_IN_FUTURE,
    DATE_TOO_EARLY,
    PriorDetails,
    PriorLearningRefused,
    exemption_record,
    rpl_items_record,
    rpl_record,
)
from qualifications.models import Criterion, Unit
from tests.portfolios.files import pdf

RPL_UNIT = "K/503/0421"  # optional, in the registration's plan
EXEMPT_UNIT = "SFJ-CS2-07"
ITEMS_UNIT = "F/506/2131"  # mandatory
PRIOR = "Certificate in Contact Centre Skills (ABC Awards, no. 88123), May 2021"
BORN = datetime.date(1990, 3, 14)

pytestmark = pytest.mark.django_db


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def first_criterion() -> Criterion:
    return Criterion.objects.filter(unit__code=ITEMS_UNIT).order_by("position")[0]


@pytest.fixture
def born(learner):
    learner.date_of_birth = BORN
    learner.save(update_fields=["date_of_birth"])
    return learner


@pytest.fixture
def certificate_copy(registration, learner):
    details = EvidenceDetails("My 2021 certificate", datetime.date(2026, 9, 2), EvidenceMethod.RPL)
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def logged_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def too_early_and_why():
    return [
        (datetime.date(1, 1, 1), DATE_TOO_EARLY),
        (datetime.date(1899, 12, 31), DATE_TOO_EARLY),
        (BORN - datetime.timedelta(days=1), DATE_BEFORE_BIRTH.format(born=BORN)),
        (timezone.localdate() + datetime.timedelta(days=1), DATE_IN_FUTURE),
    ]


@pytest.mark.parametrize(("day", "message"), too_early_and_why())
def test_the_services_refuse_a_date_out_of_bounds(
    registration, assessor, centre_admin, born, certificate_copy, day, message
):
    rpl = PriorDetails(unit(RPL_UNIT).pk, PRIOR, day, certificate_copy)
    with pytest.raises(PriorLearningRefused) as refused:
        rpl_record(registration=registration, details=rpl, actor=assessor)
    assert refused.value.messages == [message]
    assert refused.value.fields == {message: "achieved_on"}
    exemption = PriorDetails(unit(EXEMPT_UNIT).pk, "Exempt by the AO's letter", day)
    with pytest.raises(PriorLearningRefused) as refused:
        exemption_record(registration=registration, details=exemption, actor=centre_admin)
    assert refused.value.messages == [message]
    criterion = first_criterion()
    items = PriorDetails(unit(ITEMS_UNIT).pk, PRIOR, day, certificate_copy)
    with pytest.raises(PriorLearningRefused) as refused:
        rpl_items_record(
            registration=registration,
            details=items,
            items=[("criterion", criterion.pk)],
            actor=assessor,
        )
    assert refused.value.messages == [message]
    assert not PriorLearning.objects.exists() and not PriorLearningItem.objects.exists()


def test_the_learners_birthday_and_1900_itself_are_accepted(
    registration, assessor, centre_admin, born, certificate_copy
):
    details = PriorDetails(unit(RPL_UNIT).pk, PRIOR, BORN, certificate_copy)
    rpl_record(registration=registration, details=details, actor=assessor)
    born.date_of_birth = None
    born.save(update_fields=["date_of_birth"])
    exemption = PriorDetails(unit(EXEMPT_UNIT).pk, "AO letter", datetime.date(1900, 1, 1))
    exemption_record(registration=registration, details=exemption, actor=centre_admin)
    assert PriorLearning.objects.count() == 2


def test_without_a_date_of_birth_only_1900_bounds_the_date(
    registration, assessor, learner, certificate_copy
):
    assert learner.date_of_birth is None
    details = PriorDetails(unit(RPL_UNIT).pk, PRIOR, datetime.date(1950, 1, 1), certificate_copy)
    rpl_record(registration=registration, details=details, actor=assessor)
    assert PriorLearning.objects.count() == 1


@pytest.mark.parametrize(("day", "message"), too_early_and_why())
def test_the_forms_show_the_refusal_under_the_date(
    registration, assessor, centre_admin, born, day, message
):
    rpl = logged_in(assessor).post(
        reverse("portfolios:rpl-new", args=[registration.pk]),
        {
            "unit": unit(RPL_UNIT).pk,
            "description": PRIOR,
            "achieved_on": day.isoformat(),
            "evidence_files": pdf(extra=b"rpl copy"),
        },
    )
    assert rpl.status_code == 200
    assert rpl.context["form"].errors == {"achieved_on": [message]}
    exemption = logged_in(centre_admin).post(
        reverse("portfolios:exemption-new", args=[registration.pk]),
        {"unit": unit(EXEMPT_UNIT).pk, "description": "AO letter", "achieved_on": day.isoformat()},
    )
    assert exemption.status_code == 200
    assert exemption.context["form"].errors == {"achieved_on": [message]}
    assert not PriorLearning.objects.exists()
    assert not registration.evidence.exists()


def test_the_items_form_shows_the_refusal_under_the_date(registration, assessor, born):
    criterion = first_criterion()
    response = logged_in(assessor).post(
        reverse("portfolios:rpl-items-new", args=[registration.pk, unit(ITEMS_UNIT).pk]),
        {
            "items": [f"criterion:{criterion.pk}"],
            "description": PRIOR,
            "achieved_on": "0001-01-01",
            "evidence_files": pdf(extra=b"rpl copy"),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"achieved_on": [DATE_TOO_EARLY]}
    assert not PriorLearningItem.objects.exists()
