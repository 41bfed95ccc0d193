"""The EQA sees RPL and exemptions as the centre does (decision 54, EQA's view): units achieved
through RPL counted and shown with their record, exemptions, criteria met through RPL, and the
units of each held claim before it is released."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.models import Kind
from certification.services import certificate_claim
from portfolios.prior_learning import PriorDetails, exemption_record, rpl_items_record
from qualifications.models import Criterion, Unit
from tests.certification.conftest import achieve, more_learners
from tests.certification.test_prior_learning_claims import EXEMPT_UNIT, RPL_UNIT, SIGNED, record_rpl

pytestmark = pytest.mark.django_db


@pytest.fixture
def prior(registration, assessor, centre_admin):
    """F signed off, K through RPL, L exempt, and a criterion of another unit met through RPL."""
    achieve(registration, assessor, codes={SIGNED})
    rpl = record_rpl(registration, assessor)
    details = PriorDetails(
        Unit.objects.get(code=EXEMPT_UNIT).pk, "Exempt by the AO", datetime.date(2021, 5, 4)
    )
    exemption_record(registration=registration, details=details, actor=centre_admin)
    other = (
        registration.planned_units.exclude(unit__code__in={SIGNED, RPL_UNIT, EXEMPT_UNIT})
        .select_related("unit")
        .order_by("unit__code")
        .first()
        .unit
    )
    criterion = Criterion.objects.filter(unit=other).order_by("pk")[0]
    rpl_items_record(
        registration=registration,
        details=PriorDetails(
            other.pk, "First aid course, 2020", datetime.date(2020, 3, 2), rpl.evidence
        ),
        items=[("criterion", criterion.pk)],
        actor=assessor,
    )
    return {"rpl": rpl, "other": other, "criterion": criterion}


def test_the_learners_list_counts_units_achieved_through_rpl_and_exemptions(
    client, eqa, window, registration, prior
):
    client.force_login(eqa)
    page = client.get(reverse("eqa:window", args=[window.pk])).content.decode()
    # One signed off and countersigned, one through RPL (not "1": the RPL counts), one exempt.
    assert "2 (1 through RPL); exempt from 1" in page


def test_the_learners_list_reads_in_as_many_queries_for_many_learners(
    client, eqa, window, registration, prior
):
    client.force_login(eqa)
    url = reverse("eqa:window", args=[window.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    more_learners(registration, 6, "q")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "Learner q 005" in page
    assert len(many) == len(few)


def test_the_portfolio_shows_rpl_exemptions_and_criterion_rpl_with_their_records(
    client, eqa, window, registration, assessor, centre_admin, prior
):
    client.force_login(eqa)
    text = client.get(
        reverse("eqa:registration", args=[window.pk, registration.pk])
    ).content.decode()
    rows = {
        line.split('data-unit="')[1].split('"')[0]: line
        for line in text.split("<li ")
        if line.startswith('data-unit="')
    }
    assert "Achieved through recognition of prior learning (RPL)" in rows[RPL_UNIT]
    assert assessor.full_name in rows[RPL_UNIT]
    assert "not signed off" not in rows[RPL_UNIT]
    assert "Exempt: satisfies the requirement" in rows[EXEMPT_UNIT]
    assert "agreed by " + centre_admin.full_name in rows[EXEMPT_UNIT]
    # The records themselves: what was learned, its evidence, who agreed, when.
    assert 'data-testid="prior-learning"' in text
    assert "Contact centre award, 2021" in text and "4 May 2021" in text
    assert f'href="#evidence-{prior["rpl"].evidence.pk}"' in text
    assert f'id="evidence-{prior["rpl"].evidence.pk}"' in text
    assert "Exempt by the AO" in text
    # Criterion RPL, named by unit and number; and no button to change anything.
    assert f"{prior['other'].code}, criterion {prior['criterion'].number}" in text
    assert "First aid course, 2020" in text
    assert "Withdraw" not in text and "Record RPL" not in text


def test_a_held_claim_names_its_units_and_which_came_through_rpl(
    client, eqa, window, registration, centre_admin, prior
):
    certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    client.force_login(eqa)
    text = client.get(reverse("eqa:claims", args=[window.pk])).content.decode()
    units = text.split('data-testid="claim-units"')[1].split("</ul>")[0]
    assert SIGNED in units and RPL_UNIT in units
    assert units.count("through RPL") == 1
    assert units.index("through RPL") > units.index(RPL_UNIT)
    assert reverse("eqa:registration", args=[window.pk, registration.pk]) in text
