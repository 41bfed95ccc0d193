"""Centre admins claim the same certificate at the same moment: exactly one is issued, the
first certificate or a successor of the unit certificate in force (decision 30)."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

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


def sfj_world():
    """A centre with four admins and a learner registered on the SFJ certificate."""
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
    return admins, assessor, registration


def at_once(admins, work) -> list[str]:
    """Each admin runs `work(admin)` in their own thread and connection, all at one moment."""
    barrier = threading.Barrier(len(admins))
    outcomes: list[str] = []

    def run(admin) -> None:
        try:
            barrier.wait(timeout=10)
            work(admin)
            outcomes.append("issued")
        except (ClaimRefused, IntegrityError):
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in admins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_for_one_registration_issue_one_certificate(real_services):
    assert connection.vendor == "postgresql"
    admins, assessor, registration = sfj_world()
    achieve(registration, assessor)

    def claim(admin) -> None:
        certificate_claim(registration=registration, kind=Kind.FULL, actor=admin)

    assert at_once(admins, claim) == ["issued", "refused", "refused", "refused"]
    assert Certificate.objects.filter(registration=registration, kind=Kind.FULL).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_a_new_unit_certificate_supersede_the_old_one_once(real_services):
    assert connection.vendor == "postgresql"
    admins, assessor, registration = sfj_world()
    achieve(registration, assessor, codes={"F/506/2131"})
    first = certificate_claim(registration=registration, kind=Kind.UNIT, actor=admins[0])
    achieve(registration, assessor, codes={"K/503/0421"})

    def claim(admin) -> None:
        certificate_claim(registration=registration, kind=Kind.UNIT, actor=admin)

    assert at_once(admins, claim) == ["issued", "refused", "refused", "refused"]
    units = Certificate.objects.filter(registration=registration, kind=Kind.UNIT)
    assert units.count() == 2
    in_force = units.filter(superseded_by__isnull=True, replaced_by__isnull=True)
    assert [c.supersedes_id for c in in_force] == [first.pk]


@pytest.mark.django_db(transaction=True)
def test_the_database_alone_lets_one_of_two_racing_successors_in(real_services):
    """Without the service's locks, two transactions each add a successor of the same unit
    certificate at one moment: PostgreSQL lets one commit and refuses the other."""
    assert connection.vendor == "postgresql"
    admins, assessor, registration = sfj_world()
    achieve(registration, assessor, codes={"F/506/2131"})
    first = certificate_claim(registration=registration, kind=Kind.UNIT, actor=admins[0])
    numbers = iter(["QP-RACE2-AAAAA", "QP-RACE2-BBBBB", "QP-RACE2-CCCCC", "QP-RACE2-DDDDD"])
    lock = threading.Lock()

    def successor(admin) -> None:
        with lock:
            number = next(numbers)
        with transaction.atomic():
            Certificate.objects.create(
                number=number,
                learner_identifier=first.learner_identifier,
                registration=registration,
                centre_id=registration.centre_id,
                kind=Kind.UNIT,
                snapshot=first.snapshot,
                issued_at=timezone.now(),
                issued_by=admin,
                supersedes=first,
            )

    assert at_once(admins, successor) == ["issued", "refused", "refused", "refused"]
    assert Certificate.objects.filter(supersedes=first).count() == 1
