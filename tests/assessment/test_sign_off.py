import datetime

import pytest
from django.core.exceptions import PermissionDenied

from assessment.models import Outcome
from assessment.progress import progress_of
from assessment.services import (
    GAP_NO_DECISION,
    WRONG_PASSWORD,
    DecisionRefused,
    Judgement,
    decision_record,
    unit_gaps,
    unit_learner_countersign,
    unit_missing,
    unit_sign_off,
)
from portal.audit import audit_verify
from portal.models import AuditEntry, Notification, NotificationKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from qualifications.models import Criterion, Unit
from tests.factories import PASSWORD
from tests.portfolios.files import pdf

UNIT = "F/506/2131"  # Understand customers: 9 criteria, 2 credits


@pytest.fixture
def evidence(registration, learner):
    details = EvidenceDetails(
        "Reflective account", datetime.date(2026, 10, 6), "reflective_account"
    )
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def meet(registration, assessor, evidence, numbers=None):
    criteria = Criterion.objects.filter(unit__code=UNIT)
    if numbers:
        criteria = criteria.filter(number__in=numbers)
    decision_record(
        registration=registration,
        targets=Targets(criteria=frozenset(c.pk for c in criteria)),
        judgement=Judgement(Outcome.MET, "reflective_account", datetime.date(2026, 10, 6)),
        evidence=[evidence],
        actor=assessor,
    )


def sign(registration, assessor, password=PASSWORD):
    return unit_sign_off(
        registration=registration,
        unit_id=Unit.objects.get(code=UNIT).pk,
        signature="Samir Patel",
        password=password,
        declared=True,
        actor=assessor,
    )


def test_a_unit_with_criteria_unmet_cannot_be_signed_off_and_says_which(
    registration, assessor, evidence
):
    meet(registration, assessor, evidence, numbers=["1.1", "1.2"])
    with pytest.raises(DecisionRefused) as refused:
        sign(registration, assessor)
    # Counted, as the sign-off page groups them (which lists each): not every item in a sentence.
    assert "7 items have no decision" in str(refused.value)
    assert "criterion 1.1" not in str(refused.value)
    gaps = unit_gaps(registration, Unit.objects.get(code=UNIT).pk)
    assert "criterion 1.3" in gaps.named(GAP_NO_DECISION)


def test_sign_off_needs_the_assessors_own_password(registration, assessor, evidence):
    meet(registration, assessor, evidence)
    with pytest.raises(DecisionRefused, match=WRONG_PASSWORD):
        sign(registration, assessor, password="not-mine")


def test_signed_off_and_countersigned_the_unit_is_achieved_and_its_credits_count(
    registration, assessor, learner, evidence
):
    meet(registration, assessor, evidence)
    sign_off = sign(registration, assessor)
    [before] = progress_of([registration])
    assert before.units_achieved == 0 and before.verdict.counted_credits == 0
    with pytest.raises(PermissionDenied):
        unit_learner_countersign(sign_off=sign_off, signature="x", declared=True, actor=assessor)
    unit_learner_countersign(sign_off=sign_off, signature="Leo Brown", declared=True, actor=learner)
    [after] = progress_of([registration])
    assert after.units_achieved == 1
    assert after.verdict.counted_credits == 2  # F/506/2131's credits now count
    assert [e.action for e in AuditEntry.objects.order_by("pk")][-2:] == [
        "unit.signed_off",
        "unit.learner_countersigned",
    ]
    assert audit_verify()[1] is None


def test_countersigning_marks_read_the_learners_notice_asking_for_it_and_no_other(
    registration, assessor, learner, evidence
):
    meet(registration, assessor, evidence)
    sign_off = sign(registration, assessor)
    asked = Notification.objects.get(recipient=learner, kind=NotificationKind.UNIT_SIGNED_OFF)
    judged = Notification.objects.get(recipient=learner, kind=NotificationKind.EVIDENCE_JUDGED)
    assert asked.read_at is None and judged.read_at is None
    unit_learner_countersign(sign_off=sign_off, signature="Leo Brown", declared=True, actor=learner)
    asked.refresh_from_db()
    judged.refresh_from_db()
    assert asked.read_at is not None and judged.read_at is None
    told = Notification.objects.get(recipient=assessor, kind=NotificationKind.UNIT_COUNTERSIGNED)
    assert told.read_at is None  # the assessor's news of it is theirs to read


def test_decisions_of_a_signed_off_unit_are_locked(registration, assessor, evidence):
    meet(registration, assessor, evidence)
    sign(registration, assessor)
    with pytest.raises(DecisionRefused) as refused:
        meet(registration, assessor, evidence, numbers=["1.1"])
    unit = Unit.objects.get(code=UNIT)
    assert str(refused.value) == f"{unit} is signed off: its decisions are locked."


def test_what_is_missing_names_each_item_by_its_current_decision_in_this_unit_only(
    registration, assessor, trainee_assessor, evidence
):
    """Met items are not missing; a not-yet or provisional current decision is named as such;
    a decision on another unit's items counts for nothing here."""
    meet(registration, assessor, evidence, numbers=["1.1", "1.2", "1.3"])
    [one, two] = Criterion.objects.filter(unit__code=UNIT, number__in=["1.2", "1.3"]).order_by(
        "number"
    )
    decision_record(
        registration=registration,
        targets=Targets(criteria=frozenset({one.pk})),
        judgement=Judgement(Outcome.NOT_YET, "observation", datetime.date(2026, 10, 7), "More."),
        evidence=[evidence],
        actor=assessor,
    )
    registration.assessor = trainee_assessor
    registration.save()
    decision_record(
        registration=registration,
        targets=Targets(criteria=frozenset({two.pk})),
        judgement=Judgement(Outcome.MET, "observation", datetime.date(2026, 10, 7)),
        evidence=[evidence],
        actor=trainee_assessor,
    )
    other = Criterion.objects.filter(unit__code="A/506/2130").order_by("position")[0]
    meet_other = Targets(criteria=frozenset({other.pk}))
    decision_record(
        registration=registration,
        targets=meet_other,
        judgement=Judgement(Outcome.NOT_YET, "observation", datetime.date(2026, 10, 7), "No."),
        evidence=[evidence],
        actor=trainee_assessor,
    )
    numbers = list(
        Criterion.objects.filter(unit__code=UNIT)
        .order_by("position")
        .values_list("number", flat=True)
    )
    assert unit_missing(registration, Unit.objects.get(code=UNIT).pk) == [
        "criterion 1.2 is not yet met",
        "criterion 1.3 awaits countersignature",
        *[f"criterion {n} has no decision" for n in numbers[3:]],
    ]
