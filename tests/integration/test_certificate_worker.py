"""A certificate claimed on PostgreSQL is rendered by a real Celery worker through Redis."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from certification.models import Kind, RenderStatus
from certification.services import certificate_claim, certificate_revoke
from portal.models import RoleKind
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification
from tests.catalogue import load_test_world
from tests.certification.conftest import achieve
from tests.conftest import need
from tests.factories import CentreFactory, RoleFactory, UserFactory, grant_direct_claims
from tests.integration.conftest import worker_process
from tests.portfolios.conftest import SFJ_ENOUGH, START


def person(centre, kind, email, name="A Person"):
    user = UserFactory.create(email=email, full_name=name)
    RoleFactory.create(user=user, centre=centre, kind=kind)
    return user


def claimed_certificate(learner_name="Leo Brown"):
    """A full certificate claimed for a learner who achieved the SFJ customer service units."""
    load_test_world()
    centre = CentreFactory.create(name="Riverside Skills Academy")
    admin = person(centre, RoleKind.CENTRE_ADMIN, "admin@example.org")
    assessor = person(centre, RoleKind.ASSESSOR, "assessor@example.org")
    learner = person(centre, RoleKind.LEARNER, "leo@example.org", learner_name)
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
    achieve(registration, assessor)
    grant_direct_claims(centre)  # issued at once, not held for an EQA (decision 29)
    return certificate_claim(registration=registration, kind=Kind.FULL, actor=admin)


def wait_while(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while condition() and time.monotonic() < deadline:
        time.sleep(0.25)


def pdf_text(certificate, tmp_path):
    path = tmp_path / "certificate.pdf"
    with certificate.file.open("rb") as stored:
        path.write_bytes(stored.read())
    run = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(run.stdout.split())


@pytest.mark.django_db(transaction=True)
def test_a_worker_renders_the_claimed_certificate(celery_worker, tmp_path):
    need(shutil.which("pdftotext"), "reading PDFs needs pdftotext (apt-get install poppler-utils)")
    certificate = claimed_certificate()

    def pending():
        certificate.refresh_from_db()
        return certificate.status == RenderStatus.PENDING

    wait_while(pending)
    assert certificate.status == RenderStatus.READY, certificate.render_error
    text = pdf_text(certificate, tmp_path)
    assert "Leo Brown" in text and certificate.number in text
    assert "SFJ Awards Level 2 Certificate in Customer Service" in text
    assert "REVOKED" not in text


@pytest.mark.django_db(transaction=True)
def test_a_worker_makes_a_revoked_certificates_pdf_again_marked_revoked(celery_worker, tmp_path):
    """Decision 36, through Redis and a real worker: revoking queues the render again after the
    commit, and the PDF made then carries the mark."""
    need(shutil.which("pdftotext"), "reading PDFs needs pdftotext (apt-get install poppler-utils)")
    certificate = claimed_certificate()

    def pending():
        certificate.refresh_from_db()
        return certificate.status == RenderStatus.PENDING

    wait_while(pending)
    assert certificate.status == RenderStatus.READY, certificate.render_error
    certificate_revoke(
        certificate=certificate, reason="Issued in error", actor=certificate.issued_by
    )
    wait_while(pending)
    assert certificate.status == RenderStatus.READY, certificate.render_error
    assert "REVOKED" in pdf_text(certificate, tmp_path)


@pytest.fixture
def stalling_worker(real_services, django_db_setup, tmp_path):
    """A real worker whose first render stalls half-way (tests/integration/stalling_worker.py);
    yields the folder where each render attempt leaves a mark named after its process."""
    marks = tmp_path / "attempts"
    marks.mkdir()
    module = "tests.integration.stalling_worker"
    with worker_process(tmp_path, module, {"STALL_DIR": str(marks)}):
        yield marks


def attempts(marks: Path) -> list[int]:
    """The process id of each render attempt, in order."""
    return [int(mark.name.split("-")[1]) for mark in sorted(marks.iterdir())]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_leaves_the_certificate_rendered(stalling_worker, tmp_path):
    need(shutil.which("pdftotext"), "reading PDFs needs pdftotext (apt-get install poppler-utils)")
    certificate = claimed_certificate("Mia Kowalski")
    wait_while(lambda: not attempts(stalling_worker))
    [first] = attempts(stalling_worker)
    certificate.refresh_from_db()
    assert certificate.status == RenderStatus.PENDING  # the PDF is made, nothing is stored yet

    os.kill(first, signal.SIGKILL)  # the pool process dies in the middle of the render

    def pending():
        certificate.refresh_from_db()
        return certificate.status == RenderStatus.PENDING

    wait_while(pending)
    # The task was not acknowledged, so the broker gave it again to a new pool process.
    assert certificate.status == RenderStatus.READY, certificate.render_error
    first_again, second = attempts(stalling_worker)
    assert first_again == first and second != first
    stored = list((Path(certificate.file.storage.location) / "certificates").glob("*.pdf"))
    assert [p.name for p in stored if certificate.number in p.name] == [f"{certificate.number}.pdf"]
    text = pdf_text(certificate, tmp_path)
    assert "Mia Kowalski" in text and certificate.number in text
