"""Every write transaction takes its centre's audit chain before any row lock (portal.audit,
decision 12), so two of them never wait on each other. A claim used to lock the learner's
registration and only then append to the chain, while decisions and uploads take the chain and
then the registration: PostgreSQL found the deadlock and one of the two requests answered 500."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction

from certification.models import Certificate, Kind
from certification.services import certificate_claim
from portal.audit import LockOrderBroken, audit_append, audit_verify, lock_chain
from portal.models import Centre, RoleKind, User
from portfolios.models import Evidence, Registration
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Criterion, Qualification
from tests.catalogue import load_test_world
from tests.certification.conftest import achieve
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.integration.served import Browser, gunicorn
from tests.portfolios.conftest import SFJ_ENOUGH, START

LEARNERS = 6  # one claim each, each raced by the learner's uploads and assessor's decisions
RACERS = 6
# The racers start spread over the claim's locked section (about 60 ms), so some land inside it.
SPREAD = 0.08


@dataclass
class Ready:
    centre: Centre
    admin: User
    assessor: User
    registrations: list[Registration]
    evidence: dict[int, Evidence]  # by registration


def person(centre: Centre, kind: RoleKind, email: str) -> User:
    user = UserFactory.create(email=email)
    RoleFactory.create(user=user, centre=centre, kind=kind)
    return user


def ready_centre(learners: int) -> Ready:
    """A centre whose learners are each ready for a full certificate."""
    load_test_world()
    centre = CentreFactory.create()
    admin = person(centre, RoleKind.CENTRE_ADMIN, "admin@example.org")
    assessor = person(centre, RoleKind.ASSESSOR, "assessor@example.org")
    registrations, evidence = [], {}
    for n in range(learners):
        registration = registration_create(
            centre=centre,
            details=RegistrationDetails(
                learner=person(centre, RoleKind.LEARNER, f"learner{n}@example.org"),
                qualification=Qualification.objects.get(code="SFJ-L2-CS"),
                start_date=START,
                assessor=assessor,
            ),
            optional_units=SFJ_ENOUGH,
            actor=admin,
        )
        achieve(registration, assessor)
        registrations.append(registration)
        evidence[registration.pk] = Evidence.objects.filter(registration=registration).get()
    return Ready(centre, admin, assessor, registrations, evidence)


@pytest.fixture
def ready(real_services, transactional_db) -> Ready:
    return ready_centre(LEARNERS)


@pytest.fixture
def server(ready, tmp_path: Path) -> Iterator[str]:
    # Without the lock-order check, so that what is seen is what PostgreSQL does.
    with gunicorn(tmp_path, {"AUDIT_CHECK_LOCK_ORDER": "false"}) as base:
        yield base


def staggered(sends: list[Callable[[], int]]) -> list[int]:
    """Start the first at once and the others spread over SPREAD seconds; their statuses."""
    barrier = threading.Barrier(len(sends))
    statuses: list[int] = [0] * len(sends)

    def go(n: int) -> None:
        barrier.wait(timeout=30)
        time.sleep(SPREAD * n / len(sends))  # where each lands, not a wait for a result
        statuses[n] = sends[n]()

    threads = [threading.Thread(target=go, args=(n,)) for n in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def claim(browser: Browser, registration: Registration) -> Callable[[], int]:
    """The claim's confirmation (decision 36), its page read now: what races is the confirm."""
    status, token = browser.claim_confirmation("full", [str(registration.pk)])
    assert status == 200 and token is not None, status
    return lambda: browser.post("/claims/confirm/", {"token": token})


def decision(browser: Browser, evidence: Evidence, criterion: int, note: str) -> Callable[[], int]:
    fields: dict[str, str | list[str]] = {
        "outcome": "met",
        "method": "product",
        "assessed_on": "2026-10-27",
        "feedback": note,
        "criteria": [str(criterion)],
    }
    return lambda: browser.post(f"/assess/evidence/{evidence.pk}/", fields)


def upload(browser: Browser, registration: Registration) -> Callable[[], int]:
    fields = {
        "title": "More",
        "occurred_on": "2026-11-01",
        "method": "product",
        "declaration": "on",
    }
    files = {"evidence_files": ("more.txt", os.urandom(16).hex().encode(), "text/plain")}
    path = f"/registrations/{registration.pk}/evidence/new/"
    return lambda: browser.post(path, fields, files=files)


def test_claims_racing_decisions_and_uploads_for_the_same_learner_never_deadlock(server, ready):
    admin, assessor = Browser(server), Browser(server)
    admin.log_in(ready.admin.email)
    assessor.log_in(ready.assessor.email)
    criterion = Criterion.objects.filter(unit__code=SFJ_ENOUGH[0]).order_by("pk")[0].pk
    answers = []
    for registration in ready.registrations:
        learner = Browser(server)
        learner.log_in(registration.learner.email)
        evidence = ready.evidence[registration.pk]
        racers = [
            decision(assessor, evidence, criterion, f"Note {n}.")
            if n % 2
            else upload(learner, registration)
            for n in range(RACERS)
        ]
        answers.append(staggered([claim(admin, registration), *racers]))
    assert not [a for a in answers if 500 in a], answers
    issued = Certificate.objects.filter(registration__in=ready.registrations, kind=Kind.FULL)
    assert issued.count() == LEARNERS
    assert audit_verify()[1] is None


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_locks_a_row_before_its_chain_fails_at_once(real_services):
    centre = CentreFactory.create()
    with pytest.raises(LockOrderBroken), transaction.atomic():
        Centre.objects.select_for_update().get(pk=centre.pk)
        audit_append(actor=None, action="test.wrong_order", subject="-", centre_id=centre.pk)


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_takes_its_chain_first_may_take_it_again_after_writing(
    real_services,
):
    centre = CentreFactory.create()
    with transaction.atomic():
        lock_chain(centre.pk)
        Centre.objects.filter(pk=centre.pk).update(name="Renamed")
        audit_append(actor=None, action="test.right_order", subject="-", centre_id=centre.pk)
        audit_append(actor=None, action="test.right_order", subject="-", centre_id=centre.pk)
    assert audit_verify()[1] is None


@pytest.mark.django_db(transaction=True)
def test_a_claim_takes_the_chain_before_the_learners_registration(real_services):
    """The check is on in the tests' settings: the old order fails here every time, not only
    when a decision comes at the wrong moment."""
    ready = ready_centre(1)
    [registration] = ready.registrations
    certificate = certificate_claim(registration=registration, kind=Kind.FULL, actor=ready.admin)
    assert certificate.registration_id == registration.pk
