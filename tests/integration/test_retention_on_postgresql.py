"""Retention on PostgreSQL, run as an operator runs it: `manage.py apply_retention` in a process
of its own against the database, while the portal keeps writing; then `manage.py verify_audit`.

The learner's record is made eight years ago (the clock is moved back while it is made, so the
audit log's hashed dates are old too); the commands run on today's clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection, connections, transaction

from assessment.services import Judgement, decision_record
from portal.audit import REDACTED, audit_verification, lock_chain
from portal.models import AuditEntry, Centre, RoleKind, User
from privacy.models import Anonymisation
from qualifications.models import CatalogueFile, Qualification
from tests.catalogue import load_test_world
from tests.integration.conftest import ROOT, worker_database_url
from tests.integration.privacy.conftest import (
    AO_NUMBER,
    BEGUN_UNIT,
    EMAIL,
    LEARNER_ADDRESS,
    NAME,
    SECRETS,
    STRANGER_ADDRESS,
    WITNESS_EMAIL,
    Record,
    clock_at,
    criteria,
    dump,
    full_record,
    long_ago,
    other_record,
    person,
    where,
)
from tests.portfolios.conftest import SFJ, START


def manage(*args: str) -> subprocess.Popen[str]:
    """A manage.py command in its own process, on the test database and its files."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "RETENTION_YEARS": "6",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run(*args: str) -> tuple[int, str]:
    process = manage(*args)
    out, _ = process.communicate(timeout=120)
    return process.returncode, out


@pytest.fixture
def records(real_services, transactional_db, monkeypatch) -> Iterator[tuple[Record, Record]]:
    """The learner's old record and another learner's current one, committed."""
    if not CatalogueFile.objects.exists():
        load_test_world()
    # The certificate's PDF is stored by the record itself: no render task for a worker.
    monkeypatch.setattr("certification.services.queue_render", lambda pk: True)
    centre = Centre.objects.create(name="Riverside Skills Academy", ao_centre_number="RSA-1")
    sfj = Qualification.objects.get(code=SFJ)
    with clock_at(long_ago(), monkeypatch, today=START):
        admin = person(centre, RoleKind.CENTRE_ADMIN, "admin@example.org")
        assessor = person(centre, RoleKind.ASSESSOR, "assessor@example.org")
        iqa = person(centre, RoleKind.IQA, "iqa@example.org")
        old = full_record(centre, admin, assessor, iqa, sfj)
    yield old, other_record(centre, admin, assessor, iqa, sfj)


def test_export_then_retention_on_postgresql_and_verify_audit_passes(records, tmp_path):
    old, other = records
    assert connection.vendor == "postgresql"
    code, out = run("export_subject_access", EMAIL, "--output", str(tmp_path))
    assert code == 0 and "2 evidence item(s) with 2 file(s)" in out, out
    [made] = tmp_path.glob("*.zip")
    assert made.name.startswith(f"subject-access-{old.learner.pk}-")
    with zipfile.ZipFile(made) as archive:
        listed = {f["path"] for f in json.loads(archive.read("manifest.json"))["files"]}
        assert set(archive.namelist()) == {*listed, "manifest.json"}
        assert sum(path.startswith("evidence/") for path in listed) == 2

    code, out = run("apply_retention", "--dry-run")
    assert code == 0 and "1 learner(s) would be anonymised." in out, out
    assert "4 login record(s) and 1 session(s) deleted" in out, out
    assert {"portal.invitation", "axes.accessattempt"} <= {m for m, _ in where(dump(), EMAIL)}

    code, out = run("apply_retention")
    assert code == 0 and "Anonymised 1 learner(s); 3 file(s) deleted from storage." in out, out
    rows = dump()
    assert where(rows, EMAIL) == set()
    assert where(rows, NAME) == {("certification.certificate", "snapshot.learner_name")}
    for text in (WITNESS_EMAIL, AO_NUMBER, LEARNER_ADDRESS, STRANGER_ADDRESS, *SECRETS.values()):
        assert where(rows, text) == set(), text
    logged_in = {str(s.get_decoded().get(SESSION_KEY)) for s in Session.objects.all()}
    assert str(old.learner.pk) not in logged_in  # the session their login left is gone
    assert User.objects.get(pk=other.learner.pk).is_active

    code, out = run("verify_audit")
    assert code == 0 and "The audit chain is intact" in out, out
    seals = [entry.after for entry in AuditEntry.objects.filter(action=REDACTED)]
    assert len(seals) == 2  # the learner's centre's chain, and the one that invited them
    redacted = sum(len(seal["redacted"]) for seal in seals if isinstance(seal, dict))
    assert f"{redacted} of them had personal data redacted" in out

    code, out = run("apply_retention")
    assert code == 0 and "Nothing to do" in out, out


def waiting_for_a_chain() -> bool:
    """Whether some transaction on the test database waits for an audit chain's lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'advisory' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return cursor.fetchone()[0] > 0


def test_retention_takes_its_turn_with_the_portals_writes_and_the_chain_stays_intact(records):
    """A decision on the other learner is being recorded (its transaction holds the centre's
    audit chain) when retention starts: retention waits for it, then anonymises; both are in
    the chain, which verifies."""
    old, other = records
    centre_id = old.registration.centre_id
    holding, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def decide_slowly() -> None:
        try:
            with transaction.atomic():
                lock_chain(centre_id)
                decision_record(
                    registration=other.registration,
                    targets=criteria(BEGUN_UNIT, "1.2"),
                    judgement=Judgement("met", "product", START, "Seen at work."),
                    evidence=[],
                    actor=other.registration.assessor,
                )
                holding.set()
                release.wait(timeout=60)
        except BaseException as error:  # reported by the test below
            failures.append(error)
            holding.set()
        finally:
            connections.close_all()

    writer = threading.Thread(target=decide_slowly)
    writer.start()
    assert holding.wait(timeout=30) and not failures
    retention = manage("apply_retention")
    deadline = time.monotonic() + 60
    while not waiting_for_a_chain() and retention.poll() is None:
        assert time.monotonic() < deadline, "retention never reached the chain's lock"
        time.sleep(0.05)
    assert retention.poll() is None  # it waits for the decision's transaction
    assert not Anonymisation.objects.exists()
    release.set()
    writer.join(timeout=60)
    out, _ = retention.communicate(timeout=120)
    assert retention.returncode == 0 and "Anonymised 1 learner(s)" in out, out
    assert not failures
    assert other.registration.decisions.filter(criterion__number="1.2").exists()
    assert audit_verification().broken is None
    assert Anonymisation.objects.get().user_id == old.learner.pk
