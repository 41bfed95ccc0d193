"""Nothing is lost when the whole worker is killed and Redis is restarted empty, and the portal
works on while Redis is down.

The scene the issue found (2 of 80 certificates never rendered), played through the running
system: a centre admin claims many certificates through gunicorn, whose tasks go to a Redis of
the test's own; while the worker is rendering them, the worker (its main process and its pool,
SIGKILL) and then Redis (SIGKILL: a Redis that keeps nothing on disk comes back empty, the queued
and unacknowledged tasks gone) die. A new worker and a real beat process, on the restarted
Redis, must get every certificate made, by the sweep, with no certificate claimed twice.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from django.utils import timezone

from certification.models import Certificate, RenderStatus
from iqa.models import DocumentStatus, IqaDocument, SamplingPlan
from portal.models import RoleKind
from portfolios.models import Registration
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification
from tests.catalogue import load_test_world
from tests.certification.conftest import achieve
from tests.factories import CentreFactory, grant_direct_claims
from tests.integration.conftest import beat, worker_process
from tests.integration.own_redis import OwnRedis, own_redis
from tests.integration.served import Browser, gunicorn
from tests.integration.test_certificate_worker import person
from tests.portfolios.conftest import SFJ_ENOUGH, START

__all__ = ["own_redis"]  # the fixture

LEARNERS = 24
PENDING_SECONDS = "3"  # the sweep sends again what has waited this long (two minutes in use)


def ready_learners(count: int = LEARNERS) -> tuple[str, list[Registration]]:
    """A centre whose learners have each achieved the SFJ certificate's units."""
    load_test_world()
    centre = CentreFactory.create()
    grant_direct_claims(centre)  # its claims are issued at once (decision 29)
    admin = person(centre, RoleKind.CENTRE_ADMIN, "admin@example.org")
    assessor = person(centre, RoleKind.ASSESSOR, "assessor@example.org")
    qualification = Qualification.objects.get(code="SFJ-L2-CS")
    registrations = []
    for n in range(count):
        learner = person(centre, RoleKind.LEARNER, f"learner{n}@example.org", f"Learner {n}")
        registration = registration_create(
            centre=centre,
            details=RegistrationDetails(
                learner=learner, qualification=qualification, start_date=START, assessor=assessor
            ),
            optional_units=SFJ_ENOUGH,
            actor=admin,
        )
        achieve(registration, assessor)
        registrations.append(registration)
    return admin.email, registrations


def statuses() -> dict[str, int]:
    found: dict[str, int] = {}
    for status in Certificate.objects.values_list("status", flat=True):
        found[status] = found.get(status, 0) + 1
    return found


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_every_certificate_is_made_after_the_worker_and_redis_die_mid_batch(
    real_services, own_redis: OwnRedis, tmp_path: Path
):
    admin, registrations = ready_learners()
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    extra = {"REDIS_URL": own_redis.url, "PENDING_SECONDS": PENDING_SECONDS}

    with worker_process(first, extra_env=extra) as (worker, queue):
        # The worker is held still while the claims are made, so that it has the whole batch
        # before it when it goes on: most of it is still to do when it dies.
        os.killpg(worker.pid, signal.SIGSTOP)
        with gunicorn(first, {**extra, "CELERY_QUEUE": queue}) as base:
            browser = Browser(base)
            browser.log_in(admin)
            claimed = browser.claim("full", [str(r.pk) for r in registrations])
            assert claimed == 302
        assert Certificate.objects.count() == LEARNERS
        os.killpg(worker.pid, signal.SIGCONT)
        # Once it has made one, kill all of it, and then Redis with everything it held.
        assert wait_until(lambda: statuses().get(RenderStatus.READY, 0) >= 1, 60)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    own_redis.kill()
    left = statuses().get(RenderStatus.PENDING, 0)
    assert left > 0, "the worker made them all before it was killed: nothing was put at risk"
    own_redis.start()  # empty: the tasks for the certificates left pending are gone

    with (
        worker_process(second, extra_env=extra) as (_, queue),
        beat(second, own_redis.url, queue, PENDING_SECONDS=PENDING_SECONDS) as (_, log),
    ):
        made = wait_until(lambda: statuses() == {RenderStatus.READY: LEARNERS}, 180)
    assert made, f"{statuses()} ({left} were pending after the crash)\n{log.read_text()}"
    assert "requeue_pending_certificates" in log.read_text()
    assert all(c.file.name for c in Certificate.objects.all())
    # One certificate each: nothing was claimed or issued twice on the way.
    assert Certificate.objects.values("registration").distinct().count() == LEARNERS


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_every_role_works_on_and_what_was_asked_for_is_made_when_it_returns(
    real_services, own_redis: OwnRedis, tmp_path: Path
):
    admin, [registration] = ready_learners(count=1)
    centre = registration.centre
    iqa = person(centre, RoleKind.IQA, "iqa@example.org", "Ivy Quinn")
    today = timezone.localdate()
    plan = SamplingPlan.objects.create(
        centre=centre, qualification=registration.qualification, iqa=iqa,
        starts_on=today, ends_on=today,
    )  # fmt: skip
    extra = {"REDIS_URL": own_redis.url, "PENDING_SECONDS": PENDING_SECONDS}
    with gunicorn(tmp_path, extra) as base:
        own_redis.stop()
        assert registration.assessor is not None
        people = {}
        for email in (admin, iqa.email, registration.assessor.email, registration.learner.email):
            people[email] = Browser(base)
            people[email].log_in(email)
            status, page = people[email].get("/")
            assert status == 200, page
        claimed = people[admin].claim("full", [str(registration.pk)])
        asked = people[iqa.email].post("/iqa/documents/", {"plan": str(plan.pk)})
        assert (claimed, asked) == (302, 302)
        status, page = people[admin].get("/claims/")
        assert status == 200 and "Being made" in page, page
        certificate = Certificate.objects.get(registration=registration)
        status, page = Browser(base).get(f"/verify/{certificate.number}/")
        assert status == 200 and certificate.number in page
    document = IqaDocument.objects.get(plan=plan)
    assert (certificate.status, document.status) == (RenderStatus.PENDING, DocumentStatus.PENDING)

    own_redis.start()  # Redis is back, with a worker and beat on it
    with (
        worker_process(tmp_path, extra_env=extra) as (_, queue),
        beat(tmp_path, own_redis.url, queue, PENDING_SECONDS=PENDING_SECONDS),
    ):
        made = wait_until(
            lambda: (
                Certificate.objects.filter(status=RenderStatus.READY).count() == 1
                and IqaDocument.objects.filter(status=DocumentStatus.READY).count() == 1
            ),
            120,
        )
    assert made, (Certificate.objects.get().status, IqaDocument.objects.get().status)
