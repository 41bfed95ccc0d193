"""The audit chain holds under concurrent requests on PostgreSQL, and centres do not queue
behind each other's appends.

The first test sends real concurrent requests to gunicorn (two workers, four threads each)
serving the test database; the second holds one centre's chain open in a transaction and
watches another centre's append go through while the same centre's waits its turn.
"""

from __future__ import annotations

import datetime
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from assessment.models import Decision
from portal.audit import audit_append, audit_verify
from portal.models import AuditEntry, RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.services import RegistrationDetails, registration_create
from qualifications.loader import catalogue_load
from qualifications.models import Criterion, Qualification
from tests.factories import PASSWORD, CentreFactory, RoleFactory, UserFactory
from tests.integration.conftest import ROOT, worker_database_url
from tests.portfolios.conftest import SFJ_ENOUGH, START
from tests.portfolios.files import pdf

REQUESTS = 11


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(real_services, transactional_db, tmp_path: Path) -> Iterator[str]:
    """gunicorn serving the test database, as production serves the real one."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi:application"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"]
    with open(log, "w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not answer within 60 s:\n{log.read_text()}")
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


class Browser:
    """One logged-in person: a cookie jar, and their CSRF token for each POST."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.jar), NoRedirects()]
        self.opener = urllib.request.build_opener(*handlers)

    def log_in(self, email: str) -> None:
        page = self.opener.open(f"{self.base}/accounts/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        status = self.post("/accounts/login/", {"username": email, "password": PASSWORD},
                           token=token.group(1))  # fmt: skip
        assert status == 302, "the login should redirect home"

    def post(self, path: str, fields: dict[str, str], token: str | None = None) -> int:
        cookies = {c.name: c.value for c in self.jar}
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(f"{self.base}{path}", data=data, method="POST")
        request.add_header("X-CSRFToken", token or str(cookies["csrftoken"]))
        request.add_header("Referer", f"{self.base}{path}")
        try:
            with self.opener.open(request, timeout=60) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def person(centre, kind, email):
    user = UserFactory.create(email=email)
    RoleFactory.create(user=user, centre=centre, kind=kind)
    return user


def test_concurrent_decisions_through_gunicorn_keep_the_chain_intact(server):
    assert connection.vendor == "postgresql"
    catalogue_load()
    centre = CentreFactory.create()
    admin = person(centre, RoleKind.CENTRE_ADMIN, "admin@example.org")
    assessor = person(centre, RoleKind.ASSESSOR, "assessor@example.org")
    learner = person(centre, RoleKind.LEARNER, "learner@example.org")
    registration = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="SFJ-L2-CS"),
            start_date=START,
            assessor=assessor,
        ),
        optional_units=SFJ_ENOUGH,
        actor=admin,
    )
    evidence = evidence_add(
        registration=registration,
        details=EvidenceDetails("Portfolio", datetime.date(2026, 10, 5), "product"),
        files=[pdf()],
        declared=True,
        actor=learner,
    )
    planned = registration.planned_units.values("unit_id")
    criteria = list(
        Criterion.objects.filter(unit__in=planned).order_by("pk").values_list("pk", flat=True)
    )[:REQUESTS]
    assert len(criteria) == REQUESTS

    browser = Browser(server)
    browser.log_in(assessor.email)
    barrier = threading.Barrier(REQUESTS)
    statuses: list[int] = []

    def decide(criterion: int) -> None:
        barrier.wait(timeout=30)
        fields = {
            "outcome": "met",
            "method": "product",
            "assessed_on": "2026-10-06",
            "feedback": "Clear evidence.",
            "criteria": str(criterion),
        }
        statuses.append(browser.post(f"/assess/evidence/{evidence.pk}/", fields))

    threads = [threading.Thread(target=decide, args=(c,)) for c in criteria]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [302] * REQUESTS  # every decision recorded, each redirected to the page
    assert Decision.objects.filter(registration=registration, current=True).count() == REQUESTS
    recorded = AuditEntry.objects.filter(centre=centre, action="decision.recorded")
    assert recorded.count() == REQUESTS
    assert audit_verify() == (AuditEntry.objects.count(), None)
    # No two entries of the centre's chain follow the same one.
    previous = list(
        AuditEntry.objects.filter(centre=centre).values_list("previous_hash", flat=True)
    )
    assert len(previous) == len(set(previous))


@pytest.mark.django_db(transaction=True)
def test_one_centres_open_transaction_holds_its_own_chain_and_no_other(real_services):
    here, there = CentreFactory.create(), CentreFactory.create()
    holding, release = threading.Event(), threading.Event()
    entries: dict[str, AuditEntry] = {}

    def append(name: str, centre_id: int) -> None:
        entries[name] = audit_append(
            actor=None, action="test.done", subject=f"thing:{name}", centre_id=centre_id
        )

    def hold_open() -> None:
        try:
            with transaction.atomic():
                append("held", here.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def in_thread(name: str, centre_id: int) -> threading.Thread:
        def run() -> None:
            try:
                append(name, centre_id)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    holder = threading.Thread(target=hold_open)
    holder.start()
    assert holding.wait(timeout=30)
    elsewhere = in_thread("elsewhere", there.pk)
    elsewhere.join(timeout=20)
    # The other centre's append went through while this centre's transaction was still open.
    assert not elsewhere.is_alive() and "elsewhere" in entries and holder.is_alive()
    same = in_thread("same", here.pk)
    same.join(timeout=2)
    assert same.is_alive(), "an append to the same chain waits for the open transaction"
    release.set()
    holder.join(timeout=30)
    same.join(timeout=30)
    assert not same.is_alive()
    # Having waited, it follows the entry the open transaction committed.
    assert entries["same"].previous_hash == entries["held"].hash
    assert audit_verify()[1] is None
