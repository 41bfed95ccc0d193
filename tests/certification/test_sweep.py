"""A broker that is down at claim time loses nothing: the claim stands, and the sweep renders."""

import datetime

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from certification import tasks
from certification.models import Certificate, Kind, RenderStatus
from certification.services import certificate_claim

# Their centre holds Direct Claims Status: claims are issued at once (decision 29).
pytestmark = pytest.mark.usefixtures("direct_claims")


def test_a_claim_made_while_the_broker_is_down_is_kept_pending_and_the_sweep_renders_it(
    achieved, centre_admin, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.render_certificate, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    certificate.refresh_from_db()
    assert certificate.status == RenderStatus.PENDING  # saved, not lost, not failed

    monkeypatch.undo()  # the broker is back
    assert tasks.requeue_pending_certificates() == 0  # too recent: it may still be on its way
    Certificate.objects.filter(pk=certificate.pk).update(
        issued_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    assert tasks.requeue_pending_certificates() == 1
    certificate.refresh_from_db()
    assert certificate.status == RenderStatus.READY and certificate.file.name
