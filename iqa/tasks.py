from celery import shared_task

from iqa.reports import document_failed, document_render

# Passing faults (storage or database briefly away) are retried; anything else marks it failed.
TRANSIENT = (OSError, ConnectionError)


@shared_task(
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    max_retries=5,
    time_limit=120,
    soft_time_limit=100,
)
def render_iqa_document(self, document_id: int) -> None:  # type: ignore[no-untyped-def]
    """Render an IQA report or sampling record to PDF; safe to run twice."""
    try:
        document_render(document_id)
    except TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            document_failed(document_id, f"{type(error).__name__}: {error}")
        raise
    except Exception as error:
        document_failed(document_id, f"{type(error).__name__}: {error}")
        raise
