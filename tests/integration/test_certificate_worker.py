"""A certificate claimed on PostgreSQL is rendered by a real Celery worker through Redis."""

import shutil
import subprocess
import time

import pytest

from certification.models import Kind, RenderStatus
from certification.services import certificate_claim
from portal.models import RoleKind
from portfolios.services import RegistrationDetails, registration_create
from qualifications.loader import catalogue_load
from qualifications.models import Qualification
from tests.certification.conftest import achieve
from tests.conftest import need
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ_ENOUGH, START


def person(centre, kind, email, name="A Person"):
    user = UserFactory.create(email=email, full_name=name)
    RoleFactory.create(user=user, centre=centre, kind=kind)
    return user


@pytest.mark.django_db(transaction=True)
def test_a_worker_renders_the_claimed_certificate(celery_worker, tmp_path):
    need(shutil.which("pdftotext"), "reading PDFs needs pdftotext (apt-get install poppler-utils)")
    catalogue_load()
    centre = CentreFactory.create(name="Riverside Skills Academy")
    admin = person(centre, RoleKind.CENTRE_ADMIN, "admin@example.org")
    assessor = person(centre, RoleKind.ASSESSOR, "assessor@example.org")
    learner = person(centre, RoleKind.LEARNER, "leo@example.org", "Leo Brown")
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
    certificate = certificate_claim(registration=registration, kind=Kind.FULL, actor=admin)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        certificate.refresh_from_db()
        if certificate.status != RenderStatus.PENDING:
            break
        time.sleep(0.25)
    assert certificate.status == RenderStatus.READY, certificate.render_error
    path = tmp_path / "certificate.pdf"
    path.write_bytes(certificate.file.read())
    text = " ".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split()
    )
    assert "Leo Brown" in text and certificate.number in text
    assert "SFJ Awards Level 2 Certificate in Customer Service" in text
