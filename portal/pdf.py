"""Rendering a Django template to PDF with WeasyPrint, reading nothing but the portal's own
static files (fonts, images): a document can never make the server fetch another address."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetchingError

STATIC_DIR = Path(settings.BASE_DIR) / "static"


class StaticOnlyFetcher(URLFetcher):
    def fetch(self, url: str, headers: Any = None) -> Any:
        parsed = urlparse(url)
        path = Path(unquote(parsed.path)).resolve()
        if parsed.scheme != "file" or not path.is_relative_to(STATIC_DIR.resolve()):
            raise URLFetchingError(f"Only the portal's static files may be read: {url}")
        return super().fetch(url, headers)


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """The template rendered to an A4 PDF (the page size is the template's @page rule)."""
    html = render_to_string(template, context)
    document = HTML(
        string=html,
        base_url=STATIC_DIR.as_uri() + "/",
        url_fetcher=StaticOnlyFetcher(allowed_protocols=["file"]),
    )
    return document.write_pdf()


# Passing faults (storage or the database briefly away) are retried; anything else fails at once.
TRANSIENT = (OSError,)  # ConnectionError is an OSError too
RENDER_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "max_retries": 5,
    "time_limit": 120,
    "soft_time_limit": 100,
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
