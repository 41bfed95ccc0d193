"""On PostgreSQL the database itself keeps a signed witness testimony as signed: whatever path a
change takes (the admin site, a shell, a data migration, a bug that skips the services), it is
refused, while everything else about evidence keeps working."""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from portfolios.evidence import EvidenceDetails, evidence_add, evidence_delete, evidence_update
from portfolios.models import Evidence, EvidenceFile, Mapping, WitnessRequest
from portfolios.records import erasing_personal_data
from qualifications.models import Criterion
from tests.portfolios.conftest import registration, sfj
from tests.portfolios.files import pdf
from tests.portfolios.test_signed_testimony import STATEMENT, signed

MESSAGE = importlib.import_module("portfolios.migrations.0008_signed_testimony_is_kept").MESSAGE


@pytest.fixture
def testimony(real_services, registration, learner) -> Evidence:
    assert connection.vendor == "postgresql"
    return signed(registration, learner)


def raw(sql: str, *params: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(change: Callable[[], object]) -> None:
    with pytest.raises(IntegrityError, match=MESSAGE), transaction.atomic():
        change()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("statement", "I watched Leo calm three angry customers."),
        ("witness_name", "Someone Else"),
        ("witness_email", "someone@example.org"),
        ("witness_role", "Friend"),
        ("signed_name", "Someone Else"),
        ("signature", "Someone Else"),
        ("job_title", "Director"),
        ("relationship", "A friend"),
        ("confirmed_at", None),
        ("evidence", None),
        ("expires_at", datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)),
    ],
)
def test_nothing_of_a_signed_witness_request_changes(testimony, field, value):
    witness = WitnessRequest.objects.get(evidence=testimony)
    refused(lambda: WitnessRequest.objects.filter(pk=witness.pk).update(**{field: value}))
    # Saving the whole row, as the admin site would, is refused the same way.
    setattr(witness, field, value)
    refused(witness.save)
    witness.refresh_from_db()
    assert witness.statement == STATEMENT and witness.evidence == testimony


def test_a_signed_witness_request_cannot_be_deleted(testimony):
    witness = WitnessRequest.objects.get(evidence=testimony)
    refused(lambda: WitnessRequest.objects.filter(pk=witness.pk).delete())
    refused(lambda: raw("DELETE FROM portfolios_witnessrequest WHERE id = %s", witness.pk))
    assert WitnessRequest.objects.filter(pk=witness.pk).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Something else"),
        ("description", "On 3 October I watched Leo calm three angry customers."),
        ("method", "product"),
        ("occurred_on", datetime.date(2026, 1, 1)),
        ("declared_at", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)),
    ],
)
def test_what_the_witness_signed_cannot_change_by_any_path(testimony, field, value):
    refused(lambda: Evidence.objects.filter(pk=testimony.pk).update(**{field: value}))
    testimony.refresh_from_db()
    assert testimony.description.startswith(STATEMENT)


def test_signed_evidence_cannot_be_deleted_nor_given_files(testimony, registration, learner):
    # Django's own PROTECT stops the ORM first; below it, the database refuses too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.filter(pk=testimony.pk).delete()
    refused(lambda: raw("DELETE FROM portfolios_evidence WHERE id = %s", testimony.pk))
    refused(
        lambda: EvidenceFile.objects.create(
            evidence=testimony,
            registration=registration,
            file="evidence/planted",
            original_name="planted.pdf",
            size=1,
            content_type="application/pdf",
            sha256="0" * 64,
            uploaded_by=learner,
        )
    )
    assert Evidence.objects.filter(pk=testimony.pk).exists() and not testimony.files.exists()


def test_the_assessor_still_judges_and_the_learner_still_maps_signed_evidence(testimony, learner):
    now = timezone.now()
    Evidence.objects.filter(pk=testimony.pk).update(judged_at=now)
    criterion = Criterion.objects.filter(unit__code="SFJ-CS2-07").order_by("pk")[0]
    Mapping.objects.create(evidence=testimony, criterion=criterion, proposed_by=learner)
    testimony.refresh_from_db()
    assert testimony.judged_at == now and testimony.mappings.count() == 1


def test_an_unsigned_request_and_ordinary_evidence_change_and_go_as_before(
    real_services, registration, learner
):
    from portfolios.witness import WitnessAsk, witness_request_create

    asked = witness_request_create(
        registration=registration,
        ask=WitnessAsk("Wendy Witness", "wendy@exmaple.org", "Line manager", STATEMENT),
        actor=learner,
        link_for=lambda token: f"/witness/{token}/",
    )
    WitnessRequest.objects.filter(pk=asked.pk).update(witness_email="wendy@example.org")
    evidence = evidence_add(
        registration=registration,
        details=EvidenceDetails("Call log", datetime.date(2026, 10, 5), "product"),
        files=[pdf()],
        declared=True,
        actor=learner,
    )
    changed = EvidenceDetails("Call log, corrected", datetime.date(2026, 10, 5), "product")
    evidence_update(evidence=evidence, details=changed, actor=learner)
    evidence_delete(evidence=evidence, actor=learner)
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert not EvidenceFile.objects.filter(evidence_id=evidence.pk).exists()
    WitnessRequest.objects.filter(pk=asked.pk).delete()
    assert not WitnessRequest.objects.filter(pk=asked.pk).exists()


__all__ = ["registration", "sfj"]  # the fixtures, shared with the portfolio tests


@pytest.mark.django_db(transaction=True)
def test_erasure_reaches_signed_testimony_in_its_own_transaction_and_no_other(testimony):
    witness = WitnessRequest.objects.get(evidence=testimony)
    with transaction.atomic():
        erasing_personal_data()
        WitnessRequest.objects.filter(pk=witness.pk).update(statement="Removed")
        Evidence.objects.filter(pk=testimony.pk).update(title="Removed")
    assert WitnessRequest.objects.get(pk=witness.pk).statement == "Removed"
    # The next transaction, on the same connection, is held to the rule again.
    refused(lambda: WitnessRequest.objects.filter(pk=witness.pk).update(statement=STATEMENT))
    refused(lambda: Evidence.objects.filter(pk=testimony.pk).update(title="Changed"))


def test_erasure_is_allowed_inside_a_transaction_only(real_services):
    with pytest.raises(RuntimeError):
        erasing_personal_data()
