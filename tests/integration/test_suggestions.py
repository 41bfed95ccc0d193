"""Suggested criteria on PostgreSQL: full-text ranking, stemmed, within the registration's units."""

import datetime

import pytest

from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import suggest_criteria
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification
from tests.portfolios.conftest import PROQUAL_OPTIONAL
from tests.portfolios.files import pdf


@pytest.fixture
def evidence(real_services, catalogue_db, centre, centre_admin, learner):
    proqual = Qualification.objects.get(code="601/3576/1")
    registration = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner, qualification=proqual, start_date=datetime.date(2026, 9, 1)
        ),
        optional_units=PROQUAL_OPTIONAL,
        actor=centre_admin,
    )
    details = EvidenceDetails(
        "Handling abusive telephone calls",
        datetime.date(2026, 10, 5),
        "product",
        "A recording of a call where the caller was abusive.",
    )
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def test_full_text_ranking_suggests_the_criterion_about_abusive_calls(evidence):
    suggested = suggest_criteria(evidence)
    assert (suggested[0].unit.code, suggested[0].number) == (
        "H/506/2154",
        "1.7",
    )  # "how to handle abusive calls"
    assert not evidence.mappings.exists()
