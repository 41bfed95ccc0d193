import logging

from celery import shared_task

from iqa.models import DocumentStatus, IqaDocument
from iqa.reports import document_failed, document_render
from portal.broker import publish
from portal.pdf import (
    RENDER_TASK_OPTIONS,
    SWEEP_TASK_OPTIONS,
    pending_since,
    render_in_task,
)

log = logging.getLogger(__name__)


@shared_task(**RENDER_TASK_OPTIONS)
def render_iqa_document(self, document_id: int) -> None:  # type: ignore[no-untyped-def]
    """Render an IQA report or sampling record to PDF; safe to run twice."""
    render_in_task(self, document_id, document_render, document_failed)


def queue_document(document_id: int) -> bool:
    """Send the render task; with the broker down the document stays pending and the sweep
    sends it later. Never raises: the request is already saved."""
    if publish(render_iqa_document, document_id):
        return True
    log.warning("IQA document %s left pending for the sweep", document_id)
    return False


@shared_task(**SWEEP_TASK_OPTIONS)
def requeue_pending_iqa_documents() -> int:
    """Queue again the IQA documents pending for a while, as certificates are."""
    stale = pending_since()
    pending = IqaDocument.objects.filter(
        status=DocumentStatus.PENDING, requested_at__lt=stale
    ).values_list("pk", flat=True)
    return sum(queue_document(pk) for pk in pending)
