"""The same request twice (a double click, a second tab) changes nothing the second time, says
so, and writes nothing to the audit log."""

import datetime

import pytest

from assessment.models import Decision, Outcome, UnitSignOff
from assessment.services import (
    ALREADY_DECIDED,
    ALREADY_SIGNED,
    MAPPING_ALREADY,
    NOTHING_TO_COUNTERSIGN,
    NOTHING_TO_COUNTERSIGN_HERE,
    DecisionRefused,
    Judgement,
    decision_countersign,
    decision_record,
    mapping_review,
    unit_learner_countersign,
    unit_sign_off,
)
from portfolios.mapping import Targets
from tests.assessment.test_decisions import MET, criteria
from tests.assessment.test_reviews import evidence, meet, propose, sign
from tests.audit import AuditWatch
from tests.factories import PASSWORD


def decide(registration, assessor, evidence, judgement=MET, numbers=("4.1", "4.2")):
    return decision_record(
        registration=registration,
        targets=Targets(criteria=criteria("A/506/2130", *numbers)),
        judgement=judgement,
        evidence=[evidence],
        actor=assessor,
    )


def test_the_same_decisions_again_are_refused_as_already_recorded(registration, assessor, evidence):
    decide(registration, assessor, evidence)
    audit = AuditWatch()
    with pytest.raises(DecisionRefused, match=ALREADY_DECIDED):
        decide(registration, assessor, evidence)
    assert Decision.objects.filter(registration=registration).count() == 2
    assert audit.actions() == []


def test_a_changed_judgement_on_the_same_items_supersedes_the_old_one(
    registration, assessor, evidence
):
    decide(registration, assessor, evidence)
    audit = AuditWatch()
    later = Judgement(Outcome.NOT_YET, "observation", datetime.date(2026, 10, 7), "Not yet.")
    assert len(decide(registration, assessor, evidence, judgement=later)) == 2
    assert audit.actions() == ["decision.recorded", "decision.recorded"]
    assert Decision.objects.filter(registration=registration, current=True).count() == 2


def test_only_the_items_that_change_are_decided_again(registration, assessor, evidence):
    decide(registration, assessor, evidence, numbers=("4.1",))
    audit = AuditWatch()
    made = decide(registration, assessor, evidence, numbers=("4.1", "4.2"))
    assert [d.criterion.number for d in made] == ["4.2"]
    assert audit.actions() == ["decision.recorded"]


def test_a_trainees_decisions_countersigned_twice_are_refused_the_second_time(
    registration, trainee_assessor, assessor, evidence
):
    registration.assessor = trainee_assessor
    registration.save()
    made = decide(registration, trainee_assessor, evidence)
    decision_countersign(decisions=made, actor=assessor)
    audit = AuditWatch()
    with pytest.raises(DecisionRefused, match=NOTHING_TO_COUNTERSIGN):
        decision_countersign(decisions=made, actor=assessor)  # as the page had them
    assert audit.actions() == []


def test_a_mapping_confirmed_twice_is_refused_the_second_time(assessor, evidence, learner):
    mapping = propose(evidence, learner)
    mapping_review(mapping=mapping, confirm=True, feedback="", actor=assessor)
    audit = AuditWatch()
    with pytest.raises(DecisionRefused, match=MAPPING_ALREADY.format(status="confirmed")):
        mapping_review(mapping=mapping, confirm=True, feedback="", actor=assessor)
    assert audit.actions() == []


def test_a_rejected_mapping_may_be_rejected_again_with_new_feedback(assessor, evidence, learner):
    mapping = propose(evidence, learner)
    mapping_review(mapping=mapping, confirm=False, feedback="Not this.", actor=assessor)
    audit = AuditWatch()
    mapping_review(mapping=mapping, confirm=False, feedback="Not this, see 4.2.", actor=assessor)
    assert audit.actions() == ["mapping.rejected"]


def test_a_unit_signed_off_twice_from_one_page_is_refused_the_second_time(
    registration, assessor, evidence
):
    meet(registration, assessor, evidence)
    sign(registration, assessor)
    audit = AuditWatch()
    with pytest.raises(DecisionRefused, match=ALREADY_SIGNED):
        unit_sign_off(
            registration=registration,
            unit_id=UnitSignOff.objects.get().unit_id,
            signature="Samir Patel",
            password=PASSWORD,
            declared=True,
            actor=assessor,
        )
    assert audit.actions() == [] and UnitSignOff.objects.count() == 1


def test_a_learner_countersigning_from_a_stale_page_is_refused(registration, assessor, evidence):
    meet(registration, assessor, evidence)
    stale = sign(registration, assessor)  # the page as the learner opened it, twice
    unit_learner_countersign(
        sign_off=UnitSignOff.objects.get(pk=stale.pk),
        signature="Leo Brown",
        declared=True,
        actor=registration.learner,
    )
    audit = AuditWatch()
    with pytest.raises(DecisionRefused, match=NOTHING_TO_COUNTERSIGN_HERE):
        unit_learner_countersign(
            sign_off=stale, signature="Leo Brown 2", declared=True, actor=registration.learner
        )
    stale.refresh_from_db()
    assert stale.learner_signature == "Leo Brown" and audit.actions() == []


__all__ = ["evidence"]  # the fixture, shared with the review tests
