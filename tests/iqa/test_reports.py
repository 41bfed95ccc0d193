"""IQA reports: the sampling record as rows and CSV, and PDFs made by the task."""

import csv
import datetime
import io
import shutil
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from assessment.services import Judgement as Decided
from assessment.services import decision_record, unit_sign_off
from iqa import tasks as iqa_tasks
from iqa.models import DocumentStatus, IqaDocument, Verdict
from iqa.reports import HEADER, document_render
from iqa.services import Judgement, plan_generate, sample_record
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from qualifications.models import Criterion, Unit
from tests.conftest import need
from tests.factories import PASSWORD
from tests.portfolios.files import pdf

UNIT = "F/506/2131"
AGREE = Judgement(True, True, True, True, True, Verdict.ACTION_REQUIRED, "Date every record.")


@pytest.fixture
def sampled(registration, learner, assessor, iqa):
    details = EvidenceDetails("Customer profile", datetime.date(2026, 10, 5), "product")
    evidence = evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    unit = Unit.objects.get(code=UNIT)
    decisions = decision_record(
        registration=registration,
        targets=Targets(
            criteria=frozenset(Criterion.objects.filter(unit=unit).values_list("pk", flat=True))
        ),
        judgement=Decided("met", "product", datetime.date(2026, 10, 6), "Thorough."),
        evidence=[evidence],
        actor=assessor,
    )
    unit_sign_off(
        registration=registration,
        unit_id=unit.pk,
        signature="Samir Patel",
        password=PASSWORD,
        declared=True,
        actor=assessor,
    )
    plan = plan_generate(
        centre=registration.centre,
        qualification=registration.qualification,
        starts_on=datetime.date(2026, 9, 1),
        ends_on=datetime.date(2026, 12, 31),
        actor=iqa,
    )
    sample = sample_record(
        registration=registration,
        unit_id=unit.pk,
        decisions=decisions,
        evidence=[evidence],
        judgement=AGREE,
        actions=[("Date every observation record.", datetime.date(2026, 12, 15))],
        actor=iqa,
        plan_item=plan.items.get(unit=unit),
    )
    return plan, sample


def test_the_sampling_record_csv_has_a_row_per_planned_item_with_what_was_done(
    client, sampled, iqa
):
    plan, _ = sampled
    client.force_login(iqa)
    response = client.get(reverse("iqa:plan-csv", args=[plan.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == HEADER
    assert len(rows) == 1 + plan.items.count()
    done = [r for r in rows[1:] if r[2] == UNIT]
    assert done[0][6] == timezone.now().date().isoformat()
    assert (done[0][7], done[0][8], done[0][9]) == ("Action required", "1", "0")


def ready_document(iqa, **of):
    document = IqaDocument.objects.create(requested_by=iqa, status=DocumentStatus.READY, **of)
    document.file.save("stored-name.pdf", ContentFile(b"%PDF-1.4 test"))
    return document


def test_downloads_are_named_by_the_report_or_record_clicked_not_by_a_number(client, sampled, iqa):
    plan, sample = sampled
    ready_document(iqa, plan=plan)  # takes the first number, so the report's is not the sample's
    report = ready_document(iqa, sample=sample)
    client.force_login(iqa)
    response = client.get(reverse("iqa:document-download", args=[report.pk]))
    learner, day = sample.registration.learner.full_name, timezone.localdate().isoformat()
    expected = f"IQA report {UNIT.replace('/', '-')} {learner} {day}.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'
    record = IqaDocument.objects.get(plan=plan)
    response = client.get(reverse("iqa:document-download", args=[record.pk]))
    period = f"{plan.starts_on:%Y-%m-%d} to {plan.ends_on:%Y-%m-%d}"
    name = f"Sampling record {plan.qualification.title} {period}"
    assert response["Content-Disposition"] == f'attachment; filename="{name}.pdf"'
    response = client.get(reverse("iqa:plan-csv", args=[plan.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="{name}.csv"'


def test_an_outsider_cannot_read_the_sampling_record(client, sampled, outsider, learner):
    plan, _ = sampled
    for person in (outsider, learner):
        client.force_login(person)
        assert client.get(reverse("iqa:plan-csv", args=[plan.pk])).status_code == 404


def pdf_text(content: bytes, tmp_path) -> str:
    need(shutil.which("pdftotext"), "reading PDFs needs pdftotext (apt-get install poppler-utils)")
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())  # table cells wrap: compare words, not lines


def test_a_sample_report_pdf_is_made_once_and_says_what_the_iqa_found(
    client, sampled, iqa, tmp_path, django_capture_on_commit_callbacks
):
    _, sample = sampled
    client.force_login(iqa)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("iqa:document-request"), {"sample": sample.pk})
    document = IqaDocument.objects.get(sample=sample)
    assert document.status == DocumentStatus.READY  # tasks run in-process in the fast suite
    first = document.file.name
    document_render(document.pk)  # a second run changes nothing
    document.refresh_from_db()
    assert document.file.name == first
    response = client.get(reverse("iqa:document-download", args=[document.pk]))
    text = pdf_text(b"".join(response.streaming_content), tmp_path)
    assert "Internal quality assurance report" in text
    assert sample.registration.learner.full_name in text
    assert "Date every observation record." in text and "Action required" in text
    client.force_login(sample.registration.learner)
    assert client.get(reverse("iqa:document-download", args=[document.pk])).status_code == 404


def test_the_sampling_record_pdf_counts_planned_against_done(
    client, sampled, iqa, tmp_path, django_capture_on_commit_callbacks
):
    plan, _ = sampled
    client.force_login(iqa)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("iqa:document-request"), {"plan": plan.pk})
    document = IqaDocument.objects.get(plan=plan)
    text = pdf_text(document.file.read(), tmp_path)
    assert f"1 of {plan.items.count()} planned item" in text
    assert UNIT in text


def test_a_pdf_asked_for_while_the_broker_is_down_stays_pending_and_the_sweep_makes_it(
    client, sampled, iqa, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    _, sample = sampled
    client.force_login(iqa)
    monkeypatch.setattr(iqa_tasks.render_iqa_document, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("iqa:document-request"), {"sample": sample.pk})
    assert response.status_code == 302  # asked for, not an error page
    document = IqaDocument.objects.get(sample=sample)
    assert document.status == DocumentStatus.PENDING

    monkeypatch.undo()  # the broker is back
    assert iqa_tasks.requeue_pending_iqa_documents() == 0  # too recent: it may be on its way
    IqaDocument.objects.filter(pk=document.pk).update(
        requested_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    assert iqa_tasks.requeue_pending_iqa_documents() == 1
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY and document.file.name
