import datetime

import pytest

from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification

SFJ = "SFJ-L2-CS"
SFJ_ENOUGH = ["SFJ-CS2-07", "K/503/0421", "T/506/2126"]  # 5 + 7 + 3 = 15 optional credits
START = datetime.date(2026, 9, 1)


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
