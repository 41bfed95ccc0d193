"""Rendering a Django template to PDF, and what the document tasks share (retries, sweeps).

WeasyPrint itself lives in `portal.pdf_engine`, imported only when a document is rendered, so
that importing this module (the tasks and views do) costs nothing at start-up.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone


def render_pdf(template: str, context: dict[str, Any], css: str | None = None) -> bytes:
    """The template rendered to an A4 PDF (the page size is the stylesheet's @page rule).
    `css`, a path under static/, names a stylesheet kept parsed between documents."""
    from portal import pdf_engine  # heavy: see the module's docstring

    return pdf_engine.write_pdf(render_to_string(template, context), css)


# Passing faults (storage or the database briefly away) are retried; anything else fails at once.
TRANSIENT = (OSError,)  # ConnectionError is an OSError too
# A sweep only reads ids and sends tasks. Its soft limit must lie under its hard limit: Celery
# refuses to send a task whose own time_limit is under the global soft limit it inherits.
SWEEP_TASK_OPTIONS: dict[str, Any] = {"time_limit": 60, "soft_time_limit": 50}


def pending_since() -> datetime.datetime:
    """Documents asked for before this moment and still pending are sent again by their sweep
    (claimed while the broker was down, or held by a worker that died). PENDING_SECONDS is long
    enough that a render still queued behind others is not sent twice."""
    return timezone.now() - datetime.timedelta(seconds=settings.PENDING_SECONDS)


RENDER_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "max_retries": 5,
    "time_limit": 120,
    "soft_time_limit": 100,
    # The outcome is the document's own status, so the result backend is not written to.
    "ignore_result": True,
    "track_started": False,
}


def render_in_task(
    task: Any, object_id: int, render: Callable[[int], None], failed: Callable[[int, str], None]
) -> None:
    """Run a document's render function inside its task: a fault that will not pass, or one that
    outlived its retries, marks the document failed (with the error) before it is raised."""
    try:
        render(object_id)
    except TRANSIENT as error:
        if task.request.retries >= task.max_retries:
            failed(object_id, f"{type(error).__name__}: {error}")
        raise
    except Exception as error:
        failed(object_id, f"{type(error).__name__}: {error}")
        raise
