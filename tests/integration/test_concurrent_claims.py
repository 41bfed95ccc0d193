"""Two centre admins claim the same certificate at the same moment: exactly one is issued."""

import threading

import pytest
from django.db import connection

from certification.models import Certificate, Kind
from certification.services import ClaimRefused, certificate_claim
from portal.models import RoleKind
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification
from tests.catalogue import load_test_world
from tests.certification.conftest import achieve
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ_ENOUGH, START


def person(centre, kind, email):
    user = UserFactory.create(email=email)
    RoleFactory.create(user=user, centre=centre, kind=kind)
    return user


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_for_one_registration_issue_one_certificate(real_services):
    assert connection.vendor == "postgresql"
    load_test_world()
    centre = CentreFactory.create()
    admins = [person(centre, RoleKind.CENTRE_ADMIN, f"admin{n}@example.org") for n in range(4)]
    assessor = person(centre, RoleKind.ASSESSOR, "assessor@example.org")
    learner = person(centre, RoleKind.LEARNER, "learner@example.org")
    registration = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="SFJ-L2-CS"),
            start_date=START,
            assessor=assessor,
        ),
        optional_units=SFJ_ENOUGH,
        actor=admins[0],
    )
    achieve(registration, assessor)

    barrier = threading.Barrier(len(admins))
    outcomes: list[str] = []

    def claim(admin) -> None:
        try:
            barrier.wait(timeout=10)
            certificate_claim(registration=registration, kind=Kind.FULL, actor=admin)
            outcomes.append("issued")
        except ClaimRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(a,)) for a in admins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["issued", "refused", "refused", "refused"]
    assert Certificate.objects.filter(registration=registration, kind=Kind.FULL).count() == 1
