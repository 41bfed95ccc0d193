import logging

from celery import shared_task

from certification.models import WITHHELD, Certificate, RenderStatus
from certification.rendering import certificate_render
from certification.transfer_pack import transfer_pack_make
from portal.broker import publish
from portal.pdf import (
    RENDER_TASK_OPTIONS,
    SWEEP_TASK_OPTIONS,
    pending_since,
    render_in_task,
)

log = logging.getLogger(__name__)


@shared_task(**RENDER_TASK_OPTIONS)
def render_certificate(self, certificate_id: int) -> None:  # type: ignore[no-untyped-def]
    """Render one certificate's PDF; safe to run twice."""
    render_in_task(self, certificate_id, certificate_render, mark_failed)


def mark_failed(certificate_id: int, error: str) -> None:
    Certificate.objects.filter(pk=certificate_id).exclude(status=RenderStatus.READY).update(
        status=RenderStatus.FAILED, render_error=error[:2000]
    )


def queue_render(certificate_id: int) -> bool:
    """Send the render task; if the broker is down the certificate stays pending and the sweep
    sends it later. Never raises: the claim is already saved."""
    if publish(render_certificate, certificate_id):
        return True
    log.warning("Certificate %s left pending for the sweep", certificate_id)
    return False


@shared_task(**SWEEP_TASK_OPTIONS)
def requeue_pending_certificates() -> int:
    """Queue again the certificates pending for a while (claimed while the broker was down)."""
    stale = pending_since()
    pending = (
        Certificate.objects.filter(status=RenderStatus.PENDING, issued_at__lt=stale)
        .exclude(release__in=WITHHELD)  # waiting for the EQA, not for a worker
        .values_list("pk", flat=True)
    )
    return sum(queue_render(pk) for pk in pending)


# A pack copies every evidence file: minutes for gigabytes on slow storage.
PACK_TASK_OPTIONS = {"time_limit": 900, "soft_time_limit": 840, "ignore_result": True}


@shared_task(**PACK_TASK_OPTIONS)
def make_transfer_pack(transfer_id: int) -> bool:
    """Make the portfolio pack of an accepted transfer (decision 40); safe to run twice."""
    return transfer_pack_make(transfer_id)


def queue_pack(transfer_id: int) -> bool:
    """Send the pack's task; if the broker is down, the next download asks for it again."""
    return publish(make_transfer_pack, transfer_id)
