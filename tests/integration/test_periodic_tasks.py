"""The periodic sweeps really run: every beat entry is accepted by the broker and run by a real
worker, and a real beat process, sweeping every second here, gets a certificate and an IQA
document left pending made by the worker."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from certification.models import Certificate, RenderStatus
from iqa.models import DocumentStatus, IqaDocument, SamplingPlan
from portal.celery import app as celery_app
from portal.models import RoleKind
from qualifications.models import Qualification
from tests.integration.conftest import beat
from tests.integration.test_certificate_worker import claimed_certificate, person, wait_while

LONG_AGO = datetime.timedelta(minutes=10)


@pytest.mark.django_db(transaction=True)
def test_every_periodic_task_is_sent_through_the_broker_and_run_by_a_worker(celery_worker):
    assert settings.CELERY_BEAT_SCHEDULE
    celery_app.loader.import_default_modules()  # every app's tasks, as beat and the worker load them
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        task = celery_app.tasks[entry["task"]]
        # As beat sends it: the task's own options, the app's defaults, the real broker.
        result = task.apply_async(**entry.get("options", {}))
        assert result.get(timeout=60) == 0, name  # nothing was pending


def left_pending() -> tuple[Certificate, IqaDocument]:
    """A certificate and an IQA document pending for ten minutes, as after a broker outage."""
    certificate = claimed_certificate()
    wait_while(lambda: Certificate.objects.get(pk=certificate.pk).status == RenderStatus.PENDING)
    Certificate.objects.filter(pk=certificate.pk).update(
        status=RenderStatus.PENDING, file="", issued_at=timezone.now() - LONG_AGO
    )
    centre = certificate.registration.centre
    iqa = person(centre, RoleKind.IQA, "iqa@example.org")
    today = timezone.localdate()
    plan = SamplingPlan.objects.create(
        centre=centre,
        qualification=Qualification.objects.get(code="SFJ-L2-CS"),
        iqa=iqa,
        starts_on=today,
        ends_on=today,
    )
    document = IqaDocument.objects.create(plan=plan, requested_by=iqa)
    IqaDocument.objects.filter(pk=document.pk).update(requested_at=timezone.now() - LONG_AGO)
    return certificate, document


@pytest.mark.django_db(transaction=True)
def test_beat_sends_the_sweeps_and_the_worker_makes_what_was_left_pending(
    celery_worker, tmp_path: Path
):
    certificate, document = left_pending()
    with beat(tmp_path, settings.REDIS_URL, celery_worker) as (process, log):
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            certificate.refresh_from_db()
            document.refresh_from_db()
            if (certificate.status, document.status) == (RenderStatus.READY, DocumentStatus.READY):
                break
            assert process.poll() is None, f"beat exited:\n{log.read_text()}"
            time.sleep(0.5)
    sent = log.read_text()
    assert certificate.status == RenderStatus.READY and certificate.file.name, sent
    assert document.status == DocumentStatus.READY and document.file.name, sent
    assert "requeue_pending_certificates" in sent and "requeue_pending_iqa_documents" in sent
