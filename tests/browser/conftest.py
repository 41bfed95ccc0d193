"""Playwright driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from portal.mail import send_emails
from portal.tasks import password_reset_send
from tests.conftest import need

# Assertions wait as long as actions do: a page answering an htmx form can take more than
# Playwright's default five seconds on a busy two-core machine, which is not a failure.
expect.set_options(timeout=15_000)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    path = chromium_path()
    need(path, "the browser suite needs Chromium: apt-get install chromium, or set CHROMIUM")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between browser steps are still synchronous, so Django may allow them while it runs.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, but with static files served as the portal serves them in
    production: by WhiteNoise, in the middleware, with its headers. (Django's own static
    handler would answer first, without them; the sandboxed PDF viewer, an opaque origin, may
    load the portal's scripts only because WhiteNoise allows any origin to read static files.)"""
    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
    server = LiveServer(addr or "localhost", start=False)
    server.thread.static_handler = ThroughTheMiddleware
    server.start()
    yield server
    server.stop()


class ThroughTheMiddleware(StaticFilesHandler):
    """Leaves every request, static files too, to the portal's middleware (WhiteNoise)."""

    def _should_handle(self, path: str) -> bool:
        return False


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest):
    """Save a screenshot under test-artifacts/ for people to look at."""

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(autouse=True)
def mail_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages' e-mails are sent by the live server's own process, into mail.outbox, where the
    tests find the links they follow. (Through a real worker: tests/integration/test_mail.py.)"""
    for task in (send_emails, password_reset_send):
        monkeypatch.setattr(task, "delay", task)


# The integration suite's real services, for browser tests whose pages queue tasks.
from tests.integration.conftest import celery_worker, real_services  # noqa: E402

__all__ = ["celery_worker", "real_services"]
