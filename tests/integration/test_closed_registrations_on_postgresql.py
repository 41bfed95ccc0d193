"""An anonymised learner's registration takes nothing new, through gunicorn on PostgreSQL: a
decision that was waiting behind the retention run's locks is refused once the run has
committed, and after the run the assessor's decision and witness request are refused; no 500,
nothing written, and `manage.py verify_audit` still passes.

The learner's record and the way retention is run are the retention test's
(tests/integration/test_retention_on_postgresql.py): made eight years ago, with a decision on
one unit sampled and another unit signed off.
"""

from __future__ import annotations

import html
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from assessment.models import Decision
from portal.audit import audit_verification
from portfolios.models import LEARNER_ANONYMISED, RegistrationStatus, WitnessRequest
from privacy.models import Anonymisation
from privacy.records import LearnerRecords
from privacy.retention import survey
from privacy.services import learner_anonymise, lock_records
from tests.integration.privacy.conftest import BEGUN_UNIT, NAME, Record, criteria
from tests.integration.served import Browser, gunicorn
from tests.integration.test_retention_on_postgresql import (  # noqa: F401 (a fixture)
    records,
    run,
    waiting_for_a_chain,
)
from tests.portfolios.conftest import START
from tests.writes import NOT_WATCHED

YEARS = 6  # as the retention test's commands run it
FEEDBACK = f"{NAME} did well: 07700 900123."  # personal data, which must never land


@pytest.fixture
def server(records, tmp_path: Path) -> Iterator[str]:  # noqa: F811 (the fixture above)
    with gunicorn(tmp_path) as base:
        yield base


def assessor_of(record: Record, server: str) -> Browser:
    browser = Browser(server)
    assert record.registration.assessor is not None
    browser.log_in(record.registration.assessor.email)
    return browser


def send(browser: Browser, path: str, fields: Mapping[str, str | list[str]]) -> tuple[int, str]:
    """POST as the browser's person: the status and the page (or where it redirects)."""
    cookies = {c.name: c.value for c in browser.jar}
    data = urllib.parse.urlencode(fields, doseq=True).encode()
    request = urllib.request.Request(f"{browser.base}{path}", data=data, method="POST")
    request.add_header("X-CSRFToken", str(cookies["csrftoken"]))
    request.add_header("Referer", f"{browser.base}{path}")
    try:
        with browser.opener.open(request, timeout=120) as answer:
            return int(answer.status), html.unescape(answer.read().decode())
    except urllib.error.HTTPError as error:
        return int(error.code), error.headers.get("Location") or error.read().decode()


def decision(record: Record) -> tuple[str, dict[str, str | list[str]]]:
    """The assessor's decision on a criterion nobody has decided, naming the learner."""
    [criterion] = criteria(BEGUN_UNIT, "1.3").criteria
    form: dict[str, str | list[str]] = {
        "outcome": "met",
        "method": "product",
        "assessed_on": START.isoformat(),
        "feedback": FEEDBACK,
        "criteria": [str(criterion)],
    }
    return f"/assess/evidence/{record.evidence.pk}/", form


def fingerprint() -> dict[str, str]:
    """A hash of every row of every table a request could write (tests/writes.py leaves out
    sessions and login records, which logging in and using a session write by design)."""
    tables = [t for t in connection.introspection.table_names() if t not in NOT_WATCHED]
    found = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"
            )
            found[table] = cursor.fetchone()[0]
    return found


def test_a_decision_waiting_behind_a_retention_run_is_refused_once_the_run_has_committed(
    records,  # noqa: F811 (the fixture)
    server,
):
    old, _ = records
    browser = assessor_of(old, server)
    [due] = survey(now=timezone.now(), years=YEARS).due
    holding, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def retention_run() -> None:
        """The run's transaction for this learner, held open with its locks taken (their
        centre's chain and the portal's, their account and registrations) until released."""
        try:
            with transaction.atomic():
                lock_records(LearnerRecords(due.learner))
                holding.set()
                release.wait(timeout=60)
                learner_anonymise(due=due, years=YEARS, now=timezone.now(), actor=None)
        except BaseException as error:  # reported by the test below
            failures.append(error)
            holding.set()
        finally:
            connections.close_all()

    run_thread = threading.Thread(target=retention_run)
    run_thread.start()
    assert holding.wait(timeout=30) and not failures
    answers: list[tuple[int, str]] = []
    path, form = decision(old)
    poster = threading.Thread(target=lambda: answers.append(send(browser, path, form)))
    poster.start()
    deadline = time.monotonic() + 60
    while not waiting_for_a_chain():
        assert poster.is_alive(), f"the decision did not wait: {answers}"
        assert time.monotonic() < deadline, "the decision never reached the chain's lock"
        time.sleep(0.05)
    release.set()
    run_thread.join(timeout=60)
    poster.join(timeout=120)
    assert not failures
    assert Anonymisation.objects.filter(user=old.learner).exists()
    [(status, page)] = answers
    assert status == 200 and LEARNER_ANONYMISED in page
    assert not Decision.objects.filter(feedback=FEEDBACK).exists()
    assert audit_verification().broken is None


def test_after_anonymisation_the_assessors_decision_and_witness_request_are_refused(
    records,  # noqa: F811 (the fixture)
    server,
):
    old, _ = records
    code, out = run("apply_retention")
    assert code == 0 and "Anonymised 1 learner(s)" in out, out
    old.registration.refresh_from_db()
    assert old.registration.status != RegistrationStatus.ACTIVE
    browser = assessor_of(old, server)
    witnesses = WitnessRequest.objects.count()
    before = fingerprint()

    path, form = decision(old)
    status, page = send(browser, path, form)
    assert status == 200 and LEARNER_ANONYMISED in page
    assert "Record the decision" not in page
    registration = f"/registrations/{old.registration.pk}/"
    ask = {"name": "New Witness", "email": "nw@example.org", "role": "x", "statement": "Saw it."}
    status, location = send(browser, f"{registration}witness/new/", ask)
    assert (status, location) == (302, registration)
    status, page = browser.get(registration)
    assert status == 200 and LEARNER_ANONYMISED in html.unescape(page)
    assert "Ask a witness" not in page

    assert fingerprint() == before
    assert WitnessRequest.objects.count() == witnesses
    code, out = run("verify_audit")
    assert code == 0 and "The audit chain is intact" in out, out
