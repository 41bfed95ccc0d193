import datetime

import pytest

from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification

SFJ = "SFJ-L2-CS"
SFJ_ENOUGH = ["SFJ-CS2-07", "K/503/0421", "T/506/2126"]  # 5 + 7 + 3 = 15 optional credits
START = datetime.date(2026, 9, 1)
# A complete choice for the ProQual diploma: B 3, C 17 and D 8 (7 count) credits.
PROQUAL_OPTIONAL = [
    "D/506/2119",
    "H/506/2154",
    "K/506/2155",
    "R/506/2134",
    "Y/506/2135",
    "A/506/2158",
    "L/506/1807",
    "H/506/1814",
    "L/506/1869",
]


@pytest.fixture
def sfj(catalogue_db) -> Qualification:
    return Qualification.objects.get(code=SFJ)


@pytest.fixture
def registration(centre, centre_admin, learner, assessor, iqa, sfj):
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner, qualification=sfj, start_date=START, assessor=assessor, iqa=iqa
        ),
        optional_units=SFJ_ENOUGH,
        actor=centre_admin,
    )


@pytest.fixture
def cvq_registration(centre, centre_admin, learner, assessor, catalogue_db):
    """A learner on the CVQ (CCA010-02) with its mandatory units and U13402."""
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="CCA010-02"),
            start_date=START,
            assessor=assessor,
        ),
        optional_units=["U13402"],
        actor=centre_admin,
    )
