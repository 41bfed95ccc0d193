"""RPL and exemptions (decisions 50 and 54) are the learner's records: what they learned or
achieved before (a course, a certificate and its number) is their personal data. The retention
run redacts it and the withdrawal reasons, the audit entries about an item's RPL included; the
subject-access export and the portfolio pack hold them."""

import csv
import datetime
import io
import zipfile

from django.utils import timezone

from certification.exports.pack import pack_stream, portfolio_pack
from portal.models import AuditEntry
from portfolios.models import PriorLearning, PriorLearningItem, PriorLearningKind
from portfolios.prior_learning import PriorDetails, rpl_item_withdraw, rpl_record
from privacy.documents import ITEM_RPL, collect
from privacy.records import LearnerRecords
from privacy.redaction import REMOVED
from privacy.retention import Due
from privacy.services import learner_anonymise
from tests.portfolios.test_prior_learning_items import (
    PRIOR,
    UNIT,
    agree,
    certificate_copy,
    criteria,
    unit,
)

__all__ = ["certificate_copy"]
WHOLE = "K/503/0421"
WHOLE_RPL = PriorLearningKind.RPL.label
WHY = "Her certificate number 88123 was for another course"


def recorded(registration, assessor, certificate_copy):
    details = PriorDetails(unit(WHOLE).pk, PRIOR, datetime.date(2021, 5, 4), certificate_copy)
    rpl_record(registration=registration, details=details, actor=assessor)
    first, second, *_ = criteria()
    made = agree(
        registration,
        assessor,
        certificate_copy,
        [("criterion", first.pk), ("criterion", second.pk)],
    )
    rpl_item_withdraw(record=made[0], reason=WHY, actor=assessor)
    return made


def test_anonymising_the_learner_removes_what_their_prior_learning_was(
    registration, learner, assessor, certificate_copy
):
    recorded(registration, assessor, certificate_copy)
    later = timezone.now() + datetime.timedelta(days=365 * 8)
    done = learner_anonymise(due=Due(learner, timezone.now()), years=6, now=later, actor=None)
    assert done is not None and done.counts["prior_learning"] == 3
    for model in (PriorLearning, PriorLearningItem):
        assert set(model.objects.values_list("description", flat=True)) == {REMOVED}
    reasons = PriorLearningItem.objects.exclude(withdrawal_reason="")
    assert list(reasons.values_list("withdrawal_reason", flat=True)) == [REMOVED]
    entries = AuditEntry.objects.filter(action__startswith="prior_learning.")
    assert entries.count() == 3
    assert all(PRIOR not in f"{e.before}{e.after}" and WHY not in str(e.after) for e in entries)


def test_the_export_and_the_pack_hold_them(registration, learner, assessor, certificate_copy):
    recorded(registration, assessor, certificate_copy)
    collected = collect(LearnerRecords(learner))
    held = collected.documents["data/assessment.json"]["prior_learning"]
    assert [(r["unit"], r["kind"]) for r in held] == [(WHOLE, WHOLE_RPL)] + [(UNIT, ITEM_RPL)] * 2
    assert {r["prior_learning"] for r in held} == {PRIOR}
    assert [r["withdrawal_reason"] for r in held] == ["", WHY, ""]
    assert held[1]["item"].startswith(f"{UNIT} ")
    pack = portfolio_pack(registration)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pack_stream(pack))))
    rows = list(csv.DictReader(io.StringIO(archive.read("prior-learning.csv").decode())))
    first, second, *_ = criteria()
    assert [(r["Unit"], r["Item"]) for r in rows] == [
        (WHOLE, ""),
        (UNIT, first.number),
        (UNIT, second.number),
    ]
    assert [r["Withdrawal reason"] for r in rows] == ["", WHY, ""]
    assert [r["Kind"] for r in rows] == [WHOLE_RPL, ITEM_RPL, ITEM_RPL]
    assert {r["Prior learning"] for r in rows} == {PRIOR}
