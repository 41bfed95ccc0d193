import datetime

import pytest
from django.utils import timezone

from certification.models import Certificate, Kind
from certification.services import certificate_claim
from eqa.models import EqaAccess
from eqa.services import eqa_access_grant
from portal.models import Centre, User
from qualifications.models import Qualification
from tests.certification.conftest import achieve, achieved, registration, sfj
from tests.factories import UserFactory, ao_desk

__all__ = ["achieved", "registration", "sfj"]
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def eqa(db) -> User:
    """The awarding organisation's external quality assurer: no role at any centre."""
    return UserFactory.create(email="eqa@example.org", full_name="Esme Quarry")


def grant(
    eqa: User, centre: Centre, qualification: Qualification, starts: float, ends: float
) -> EqaAccess:
    """A window from `starts` to `ends` hours from now."""
    now = timezone.now()
    return eqa_access_grant(
        eqa=eqa,
        centre=centre,
        qualification=qualification,
        starts_at=now + starts * HOUR,
        ends_at=now + ends * HOUR,
        actor=ao_desk(),
    )


@pytest.fixture
def window(eqa, centre, sfj) -> EqaAccess:
    """Open now: begun an hour ago, ending in two."""
    return grant(eqa, centre, sfj, -1, 2)


@pytest.fixture
def held(registration, assessor, centre_admin) -> Certificate:
    """A unit certificate claimed at a centre without Direct Claims Status: withheld."""
    achieve(registration, assessor, codes={"F/506/2131"})
    return certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
