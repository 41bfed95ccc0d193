from celery import shared_task

from iqa.reports import document_failed, document_render
from portal.pdf import RENDER_TASK_OPTIONS, render_in_task


@shared_task(**RENDER_TASK_OPTIONS)
def render_iqa_document(self, document_id: int) -> None:  # type: ignore[no-untyped-def]
    """Render an IQA report or sampling record to PDF; safe to run twice."""
    render_in_task(self, document_id, document_render, document_failed)
