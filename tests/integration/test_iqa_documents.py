"""A real Celery worker on Redis renders an IQA report PDF from the PostgreSQL test database."""

import datetime
import shutil
import subprocess
import time

import pytest

from assessment.services import Judgement as Decided
from assessment.services import decision_record
from iqa.models import DocumentStatus, IqaDocument, Verdict
from iqa.services import Judgement, document_request, sample_record
from portal.models import RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Criterion, Qualification, Unit
from tests.catalogue import load_test_world
from tests.conftest import need
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ_ENOUGH, START
from tests.portfolios.files import pdf


def person(centre, kind, email, name):
    user = UserFactory.create(email=email, full_name=name)
    RoleFactory.create(user=user, centre=centre, kind=kind)
    return user


@pytest.mark.django_db(transaction=True)
def test_a_worker_renders_the_iqa_report_and_it_reads_back(celery_worker, tmp_path):
    need(shutil.which("pdftotext"), "reading PDFs needs pdftotext (apt-get install poppler-utils)")
    load_test_world()
    centre = CentreFactory.create(name="Riverside Skills Academy")
    admin = person(centre, RoleKind.CENTRE_ADMIN, "admin@example.org", "Ada Okafor")
    assessor = person(centre, RoleKind.ASSESSOR, "samir@example.org", "Samir Patel")
    iqa = person(centre, RoleKind.IQA, "grace@example.org", "Grace Mensah")
    learner = person(centre, RoleKind.LEARNER, "leo@example.org", "Leo Brown")
    registration = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="SFJ-L2-CS"),
            start_date=START,
            assessor=assessor,
            iqa=iqa,
        ),
        optional_units=SFJ_ENOUGH,
        actor=admin,
    )
    details = EvidenceDetails("Customer profile", datetime.date(2026, 10, 5), "product")
    evidence = evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    unit = Unit.objects.get(code="F/506/2131")
    decisions = decision_record(
        registration=registration,
        targets=Targets(
            criteria=frozenset(Criterion.objects.filter(unit=unit).values_list("pk", flat=True))
        ),
        judgement=Decided("met", "product", datetime.date(2026, 10, 6)),
        evidence=[evidence],
        actor=assessor,
    )
    sample = sample_record(
        registration=registration,
        unit_id=unit.pk,
        decisions=decisions,
        evidence=[evidence],
        judgement=Judgement(True, True, True, True, True, Verdict.AGREE, "Sound judgements."),
        actions=[],
        actor=iqa,
    )
    document = document_request(sample=sample, actor=iqa)  # autocommit: queued at once

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.status != DocumentStatus.PENDING:
            break
        time.sleep(0.25)
    assert document.status == DocumentStatus.READY, document.error
    path = tmp_path / "report.pdf"
    path.write_bytes(document.file.read())
    text = " ".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split()
    )
    assert "Internal quality assurance report" in text
    assert "Leo Brown" in text and "F/506/2131" in text and "Sound judgements." in text
    assert IqaDocument.objects.count() == 1
