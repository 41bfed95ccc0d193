"""Evidence requirements shown and sufficiency records (decision 52) are the learner's records:
their descriptions name customers and what happened to them, third parties' personal data. The
retention run redacts them as it does the other free text, recording them is activity that
keeps the clock, and the learner's subject-access export and the portfolio pack hold them."""

import csv
import datetime
import io
import zipfile

import pytest
from django.utils import timezone

from assessment.models import RequirementShown, SufficiencyRecord
from assessment.services import requirement_show, requirement_withdraw, sufficiency_record
from certification.exports.pack import pack_stream, portfolio_pack
from portal.models import AuditEntry
from privacy.documents import collect
from privacy.records import LearnerRecords
from privacy.redaction import REMOVED
from privacy.retention import Due, last_activity
from privacy.services import learner_anonymise
from qualifications.models import Unit
from tests.assessment.test_requirements_met import UNIT, cg, piece

__all__ = ["cg"]
CUSTOMER = "Mrs Achebe, a complaint about her late husband's billing"
WHY = "Recorded on the wrong evidence: Mr Obi's call was another day"


@pytest.fixture
def recorded(cg, learner, assessor):
    """A customer and a requirement item recorded, each also once more and withdrawn."""
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    other = piece(cg, learner, title="Quiet Monday")

    def customer(on, description):
        return sufficiency_record(
            registration=cg,
            unit_id=unit.pk,
            measure="customers",
            evidence=on.pk,
            description=description,
            actor=assessor,
        )

    kept = customer(evidence, CUSTOMER)
    gone = customer(other, "Mr Obi, who rang about a refund")
    requirement_withdraw(record=gone, reason=WHY, actor=assessor)
    shown = requirement_show(
        registration=cg, unit_id=unit.pk, reference="5b", evidence=[evidence.pk], actor=assessor
    )
    requirement_withdraw(record=shown, reason=WHY, actor=assessor)
    requirement_show(
        registration=cg, unit_id=unit.pk, reference="5a", evidence=[evidence.pk], actor=assessor
    )
    return kept, gone


def test_anonymising_the_learner_removes_what_was_written_of_customers_and_withdrawals(
    cg, learner, recorded
):
    later = timezone.now() + datetime.timedelta(days=365 * 8)
    anonymised = learner_anonymise(due=Due(learner, timezone.now()), years=6, now=later, actor=None)
    assert anonymised is not None
    assert anonymised.counts["sufficiency_records"] == 2
    assert set(SufficiencyRecord.objects.values_list("description", flat=True)) == {REMOVED}
    for model in (SufficiencyRecord, RequirementShown):
        reasons = set(model.objects.exclude(withdraw_reason="").values_list("withdraw_reason"))
        assert reasons == {(REMOVED,)}
    # What the records are about stays: the measure, the item, the dates.
    assert set(RequirementShown.objects.values_list("reference", flat=True)) == {"5a", "5b"}
    assert set(SufficiencyRecord.objects.values_list("measure", flat=True)) == {"customers"}
    entries = AuditEntry.objects.filter(action__startswith="sufficiency.")
    assert entries.count() == 3
    assert all(CUSTOMER not in str(e.after) and WHY not in str(e.after) for e in entries)


def test_recording_toward_sufficiency_is_activity_that_keeps_the_clock(cg, learner, recorded):
    kept, _ = recorded
    latest = timezone.now() + datetime.timedelta(days=30)
    SufficiencyRecord.objects.filter(pk=kept.pk).update(recorded_at=latest)
    assert last_activity(LearnerRecords(learner)) == latest


def test_the_subject_access_export_holds_them_with_what_was_written(cg, learner, recorded):
    collected = collect(LearnerRecords(learner))
    assessed = collected.documents["data/assessment.json"]
    described = {r["description"]: r for r in assessed["sufficiency_records"]}
    assert described[CUSTOMER]["withdrawn_at"] is None
    assert [r["withdraw_reason"] for r in described.values() if r["withdrawn_at"]] == [WHY]
    shown = {r["requirement_item"]: r for r in assessed["requirements_shown"]}
    assert set(shown) == {"5a", "5b"} and shown["5b"]["withdraw_reason"] == WHY
    assert all(r["unit"] == UNIT and r["evidence"] for r in shown.values())
    assert collected.counts["sufficiency_records"] == 2
    assert collected.counts["requirements_shown"] == 2


def test_the_portfolio_pack_lists_them(cg, assessor, recorded):
    pack = portfolio_pack(cg)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pack_stream(pack))))

    def table(path):
        return list(csv.DictReader(io.StringIO(archive.read(path).decode())))

    customers = table("sufficiency.csv")
    assert [r["Description"] for r in customers] == [CUSTOMER, "Mr Obi, who rang about a refund"]
    assert [r["Withdrawal reason"] for r in customers] == ["", WHY]
    assert {r["Recorded by"] for r in customers} == {assessor.full_name}
    shown = table("requirements-shown.csv")
    assert [r["Evidence requirement item"] for r in shown] == ["5b", "5a"]
    assert shown[0]["Withdrawal reason"] == WHY and shown[1]["Withdrawn at"] == ""
    assert "sufficiency.csv" in archive.read("README.txt").decode()
