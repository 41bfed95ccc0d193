"""Rendering a Django template to PDF with WeasyPrint, reading nothing but the portal's own
static files (fonts, images): a document can never make the server fetch another address."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetchingError

STATIC_DIR = Path(settings.BASE_DIR) / "static"


class StaticOnlyFetcher(URLFetcher):
    def fetch(self, url: str, headers: Any = None) -> Any:
        parsed = urlparse(url)
        if parsed.scheme == "data":  # inline content (a QR code): nothing is fetched
            return super().fetch(url, headers)
        path = Path(unquote(parsed.path)).resolve()
        if parsed.scheme != "file" or not path.is_relative_to(STATIC_DIR.resolve()):
            raise URLFetchingError(f"Only the portal's static files may be read: {url}")
        return super().fetch(url, headers)


def fetcher() -> StaticOnlyFetcher:
    return StaticOnlyFetcher(allowed_protocols=["file", "data"])


# Parsing a stylesheet and loading its fonts is a good part of a small document's cost, so a
# process keeps each stylesheet it has parsed, with the font configuration it registered its
# fonts in. Per thread: WeasyPrint's font objects are not meant to be shared between threads.
_parsed = threading.local()


def stylesheet(path: str) -> tuple[CSS, FontConfiguration]:
    """The static stylesheet at `path` (under static/), parsed once per process and thread."""
    cache: dict[str, tuple[CSS, FontConfiguration]] = _parsed.__dict__.setdefault("sheets", {})
    if path not in cache:
        fonts = FontConfiguration()
        file = STATIC_DIR / path
        css = CSS(
            string=file.read_text(),
            base_url=file.as_uri(),
            url_fetcher=fetcher(),
            font_config=fonts,
        )
        cache[path] = (css, fonts)
    return cache[path]


def render_pdf(template: str, context: dict[str, Any], css: str | None = None) -> bytes:
    """The template rendered to an A4 PDF (the page size is the stylesheet's @page rule).
    `css`, a path under static/, names a stylesheet kept parsed between documents."""
    html = render_to_string(template, context)
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher())
    if css is None:
        return document.write_pdf()
    sheet, fonts = stylesheet(css)
    return document.write_pdf(stylesheets=[sheet], font_config=fonts)


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
