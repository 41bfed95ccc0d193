"""The assessor's review of mappings and own records, unlocking a signed-off unit, and who
oversees a trainee assessor's learners."""

import datetime
import io
import wave

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from assessment.models import Decision, Outcome, UnitSignOff
from assessment.progress import CriterionState, progress_of, unit_progress
from assessment.services import (
    FEEDBACK_NEEDED,
    NOT_AN_ASSESSOR_METHOD,
    NOT_LOCKED,
    NOTHING_TO_COUNTERSIGN_HERE,
    REASON_NEEDED,
    RECORD_NEEDED,
    DecisionRefused,
    Judgement,
    decision_record,
    evidence_record,
    mapping_review,
    unit_learner_countersign,
    unit_sign_off,
    unit_unlock,
)
from portal.audit import audit_verify
from portal.models import AuditEntry, Role, RoleKind
from portfolios.evidence import EvidenceDetails, EvidenceRejected, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Evidence, Mapping, MappingStatus, Registration
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Criterion, Unit
from tests.assessment.conftest import rows_of
from tests.audit import AuditWatch
from tests.factories import PASSWORD, RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ_ENOUGH, START
from tests.portfolios.files import pdf

UNIT = "F/506/2131"  # Understand customers: 9 criteria, 2 credits
OTHER_UNIT = "A/506/2130"
ON = datetime.date(2026, 10, 6)
MET = Judgement(Outcome.MET, "observation", ON, "Well done.")
REASON = "The IQA sample found criterion 1.2 rests on another learner's work."


def criteria(unit, *numbers):
    found = Criterion.objects.filter(unit__code=unit)
    if numbers:
        found = found.filter(number__in=numbers)
    return frozenset(c.pk for c in found)


def learner_evidence(registration, learner, title="Reflective account", extra=b""):
    details = EvidenceDetails(title, ON, "reflective_account")
    return evidence_add(
        registration=registration,
        details=details,
        files=[pdf(extra=extra)],
        declared=True,
        actor=learner,
    )


def propose(evidence, learner, unit=OTHER_UNIT, number="4.1"):
    mapping_propose(
        evidence=evidence, targets=Targets(criteria=criteria(unit, number)), actor=learner
    )
    return Mapping.objects.get(
        evidence=evidence, criterion__number=number, criterion__unit__code=unit
    )


def wav(name="discussion.wav"):
    """A short, valid WAV recording of silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(b"\x00\x00" * 800)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="audio/wav")


def meet(registration, assessor, evidence, numbers=(), judgement=MET):
    return decision_record(
        registration=registration,
        targets=Targets(criteria=criteria(UNIT, *numbers)),
        judgement=judgement,
        evidence=[evidence],
        actor=assessor,
    )


def sign(registration, assessor):
    return unit_sign_off(
        registration=registration,
        unit_id=Unit.objects.get(code=UNIT).pk,
        signature="Samir Patel",
        password=PASSWORD,
        declared=True,
        actor=assessor,
    )


def countersign(sign_off, learner):
    return unit_learner_countersign(
        sign_off=sign_off, signature="Leo Brown", declared=True, actor=learner
    )


def actions():
    return [e.action for e in AuditEntry.objects.order_by("pk")]


def state_of(registration, unit, number):
    rows = {
        r.criterion.number: r.state
        for _, rs in unit_progress(registration, rows_of(unit)).outcomes
        for r in rs
    }
    return rows[number]


@pytest.fixture
def evidence(registration, learner):
    return learner_evidence(registration, learner)


@pytest.fixture
def mapping(evidence, learner):
    return propose(evidence, learner)


@pytest.fixture
def signed_off(registration, assessor, evidence):
    meet(registration, assessor, evidence)
    return sign(registration, assessor)


# Reviewing a learner's mappings


def test_the_assessor_confirms_a_proposed_mapping_and_the_evidence_is_locked(
    registration, assessor, evidence, mapping
):
    assert mapping.status == MappingStatus.PROPOSED and not evidence.is_locked
    audit = AuditWatch()
    mapping_review(mapping=mapping, confirm=True, feedback="", actor=assessor)
    mapping.refresh_from_db()
    evidence.refresh_from_db()
    assert mapping.status == MappingStatus.CONFIRMED
    assert mapping.reviewed_by == assessor and mapping.reviewed_at is not None
    assert evidence.is_locked  # judged: the learner can no longer change it
    assert audit.actions() == ["mapping.confirmed"]
    entry = audit.entries().get()
    assert entry.subject == f"mapping:{mapping.pk}" and entry.actor == assessor
    assert (entry.before or {})["status"] == MappingStatus.PROPOSED
    assert (entry.after or {})["status"] == MappingStatus.CONFIRMED
    # Confirming the evidence is not deciding the criterion.
    assert not Decision.objects.exists()
    assert state_of(registration, OTHER_UNIT, "4.1") == CriterionState.CONFIRMED


def test_rejecting_a_mapping_needs_feedback_and_without_it_nothing_changes(
    assessor, evidence, mapping
):
    audit = AuditWatch()
    with pytest.raises(DecisionRefused, match=FEEDBACK_NEEDED):
        mapping_review(mapping=mapping, confirm=False, feedback="  \n ", actor=assessor)
    mapping.refresh_from_db()
    evidence.refresh_from_db()
    assert mapping.status == MappingStatus.PROPOSED and mapping.reviewed_by is None
    assert not evidence.is_locked
    assert not audit.entries().exists()


def test_a_rejected_mapping_keeps_its_feedback_and_decides_nothing(
    registration, assessor, evidence, mapping
):
    assert state_of(registration, OTHER_UNIT, "4.1") == CriterionState.PROPOSED
    audit = AuditWatch()
    mapping_review(
        mapping=mapping,
        confirm=False,
        feedback="  This shows a complaint, not how you greeted the customer.  ",
        actor=assessor,
    )
    mapping.refresh_from_db()
    assert mapping.status == MappingStatus.REJECTED
    assert mapping.feedback == "This shows a complaint, not how you greeted the customer."
    assert mapping.reviewed_by == assessor
    assert not Decision.objects.exists()
    # The criterion is back to having no evidence, not judged "not yet met".
    assert state_of(registration, OTHER_UNIT, "4.1") == CriterionState.NO_EVIDENCE
    assert progress_of([registration])[0].met == 0
    assert audit.actions() == ["mapping.rejected"]


@pytest.mark.parametrize(
    "persona", ["learner", "iqa", "centre_admin", "outsider", "trainee_assessor"]
)
def test_only_the_learners_assessor_reviews_their_mappings(request, evidence, mapping, persona):
    audit = AuditWatch()
    with pytest.raises(PermissionDenied):
        mapping_review(
            mapping=mapping, confirm=True, feedback="", actor=request.getfixturevalue(persona)
        )
    mapping.refresh_from_db()
    evidence.refresh_from_db()
    assert mapping.status == MappingStatus.PROPOSED and mapping.reviewed_by is None
    assert not evidence.is_locked
    assert not audit.entries().exists()


def test_a_mapping_to_a_criterion_of_a_signed_off_unit_cannot_be_reviewed(
    registration, assessor, learner, signed_off
):
    later = learner_evidence(registration, learner, title="Later account", extra=b"later")
    mapping = propose(later, learner, unit=UNIT, number="1.1")
    for confirm, feedback in [(True, ""), (False, "Not needed: the unit is done.")]:
        with pytest.raises(DecisionRefused, match="is signed off"):
            mapping_review(mapping=mapping, confirm=confirm, feedback=feedback, actor=assessor)
    mapping.refresh_from_db()
    later.refresh_from_db()
    assert mapping.status == MappingStatus.PROPOSED and mapping.reviewed_by is None
    assert not later.is_locked


# The assessor's own records


def test_the_assessor_records_an_observation_with_no_file(registration, assessor):
    details = EvidenceDetails(
        "Observed greeting customers",
        ON,
        "observation",
        "Leo greeted each of four customers within a minute and asked how he could help.",
    )
    audit = AuditWatch()
    record = evidence_record(registration=registration, details=details, files=[], actor=assessor)
    record.refresh_from_db()
    assert record.registration == registration and record.method == "observation"
    assert record.description.startswith("Leo greeted each of four customers")
    assert record.created_by == assessor
    assert not record.files.exists()
    entry = audit.entries().get()
    assert entry.action == "evidence.recorded" and entry.subject == f"evidence:{record.pk}"
    assert entry.actor == assessor and (entry.after or {})["files"] == 0


def test_the_assessor_records_a_professional_discussion_with_its_recording(registration, assessor):
    details = EvidenceDetails(
        "Discussion about complaints",
        ON,
        "professional_discussion",
        "We discussed how Leo handles a complaint he cannot resolve himself.",
    )
    audit = AuditWatch()
    record = evidence_record(
        registration=registration, details=details, files=[wav()], actor=assessor
    )
    [stored] = record.files.all()
    assert stored.original_name == "discussion.wav" and stored.content_type == "audio/x-wav"
    assert stored.uploaded_by == assessor and record.created_by == assessor
    assert audit.actions() == ["evidence.recorded"]
    assert (audit.entries().get().after or {})["files"] == 1


def test_an_assessor_cannot_record_a_method_that_is_the_learners(registration, assessor):
    details = EvidenceDetails("My reflections", ON, "reflective_account", "What I learnt.")
    audit = AuditWatch()
    with pytest.raises(EvidenceRejected) as rejected:
        evidence_record(registration=registration, details=details, files=[], actor=assessor)
    assert rejected.value.messages == [NOT_AN_ASSESSOR_METHOD]
    assert not Evidence.objects.exists()
    assert not audit.entries().exists()


def test_an_assessors_record_needs_its_description(registration, assessor):
    details = EvidenceDetails("Observed greeting customers", ON, "observation", "   ")
    audit = AuditWatch()
    with pytest.raises(EvidenceRejected) as rejected:
        evidence_record(registration=registration, details=details, files=[wav()], actor=assessor)
    assert rejected.value.messages == [RECORD_NEEDED]
    assert not Evidence.objects.exists()
    assert not audit.entries().exists()


@pytest.mark.parametrize(
    "persona", ["learner", "outsider", "iqa", "centre_admin", "trainee_assessor"]
)
def test_only_the_learners_assessor_adds_records_to_their_portfolio(request, registration, persona):
    details = EvidenceDetails("Observed greeting customers", ON, "observation", "Seen.")
    audit = AuditWatch()
    with pytest.raises(PermissionDenied):
        evidence_record(
            registration=registration,
            details=details,
            files=[],
            actor=request.getfixturevalue(persona),
        )
    assert not Evidence.objects.exists()
    assert not audit.entries().exists()


def test_an_assessors_record_is_decided_on_like_any_evidence(registration, assessor):
    details = EvidenceDetails(
        "Questions on customer needs", ON, "questioning", "Q: What do customers expect? A: ..."
    )
    record = evidence_record(registration=registration, details=details, files=[], actor=assessor)
    made = decision_record(
        registration=registration,
        targets=Targets(criteria=criteria(OTHER_UNIT, "4.1", "4.2")),
        judgement=Judgement(Outcome.MET, "questioning", ON),
        evidence=[record],
        actor=assessor,
    )
    assert len(made) == 2 and all(d.counts for d in made)
    assert all(list(d.evidence.all()) == [record] for d in made)
    record.refresh_from_db()
    assert record.is_locked
    assert {m.status for m in record.mappings.all()} == {MappingStatus.CONFIRMED}
    assert progress_of([registration])[0].met == 2


@pytest.mark.parametrize(
    "day, said",
    [
        (datetime.date(9999, 12, 31), "The date cannot be in the future"),
        (datetime.date(1, 1, 1), "The date is before the registration started"),
    ],
)
def test_a_decision_dated_outside_the_registration_is_refused_and_nothing_is_written(
    registration, assessor, evidence, day, said
):
    decisions, entries = Decision.objects.count(), AuditEntry.objects.count()
    judgement = Judgement(Outcome.MET, "observation", day, "Well done.")
    with pytest.raises(DecisionRefused, match=said):
        meet(registration, assessor, evidence, ("1.1",), judgement=judgement)
    assert (Decision.objects.count(), AuditEntry.objects.count()) == (decisions, entries)
    assert not Evidence.objects.get(pk=evidence.pk).is_locked


# Unlocking a signed-off unit


def test_a_centre_admin_unlocks_a_unit_and_the_sign_off_is_kept_with_the_reason(
    registration, centre_admin, signed_off
):
    unit_unlock(sign_off=signed_off, reason=f"  {REASON}  ", actor=centre_admin)
    kept = UnitSignOff.objects.get(pk=signed_off.pk)
    assert kept.unlocked_at is not None and kept.unlocked_by == centre_admin
    assert kept.unlock_reason == REASON
    assert kept.signed_by_id == registration.assessor_id and kept.signature == "Samir Patel"
    assert not UnitSignOff.objects.in_force().filter(registration=registration).exists()
    entry = AuditEntry.objects.order_by("pk").reverse()[0]
    assert entry.action == "unit.unlocked" and entry.subject == f"sign_off:{signed_off.pk}"
    assert entry.actor == centre_admin and (entry.after or {})["reason"] == REASON
    assert audit_verify()[1] is None


def test_an_unlocked_unit_takes_decisions_again_and_is_signed_off_anew(
    registration, assessor, learner, centre_admin, evidence, signed_off
):
    unit_unlock(sign_off=signed_off, reason=REASON, actor=centre_admin)
    reassessed = Judgement(Outcome.MET, "observation", ON, "Re-assessed after the IQA sample.")
    [again] = meet(registration, assessor, evidence, numbers=["1.2"], judgement=reassessed)
    assert again.counts
    second = sign(registration, assessor)
    assert second.pk != signed_off.pk
    history = UnitSignOff.objects.filter(registration=registration).order_by("pk")
    assert [(s.pk, s.unlocked_at is None) for s in history] == [
        (signed_off.pk, False),
        (second.pk, True),
    ]
    countersign(second, learner)
    assert progress_of([registration])[0].units_achieved == 1
    assert actions()[-4:] == [
        "unit.unlocked",
        "decision.recorded",
        "unit.signed_off",
        "unit.learner_countersigned",
    ]
    assert audit_verify()[1] is None


def test_an_unlocked_unit_no_longer_counts_as_achieved(
    registration, learner, centre_admin, signed_off
):
    countersign(signed_off, learner)
    [before] = progress_of([registration])
    assert before.units_achieved == 1 and before.verdict.counted_credits == 2
    unit_unlock(sign_off=signed_off, reason=REASON, actor=centre_admin)
    [after] = progress_of([registration])
    assert after.units_achieved == 0 and after.verdict.counted_credits == 0
    kept = UnitSignOff.objects.get(pk=signed_off.pk)
    assert kept.learner_signed_at is not None and not kept.achieved


def test_unlocking_needs_a_reason_and_without_one_nothing_changes(
    registration, assessor, evidence, centre_admin, signed_off
):
    with pytest.raises(DecisionRefused, match=REASON_NEEDED):
        unit_unlock(sign_off=signed_off, reason=" \n ", actor=centre_admin)
    kept = UnitSignOff.objects.get(pk=signed_off.pk)
    assert kept.unlocked_at is None and kept.unlocked_by is None and kept.unlock_reason == ""
    assert "unit.unlocked" not in actions()
    with pytest.raises(DecisionRefused, match="is signed off"):
        meet(registration, assessor, evidence, numbers=["1.1"])


@pytest.mark.parametrize("persona", ["assessor", "learner", "outsider"])
def test_only_a_centre_admin_of_the_learners_centre_unlocks_a_unit(request, signed_off, persona):
    with pytest.raises(PermissionDenied):
        unit_unlock(sign_off=signed_off, reason=REASON, actor=request.getfixturevalue(persona))
    kept = UnitSignOff.objects.get(pk=signed_off.pk)
    assert kept.unlocked_at is None and kept.unlock_reason == ""
    assert "unit.unlocked" not in actions()


def test_a_unit_cannot_be_unlocked_twice(centre_admin, signed_off):
    unlocked = unit_unlock(sign_off=signed_off, reason=REASON, actor=centre_admin)
    for stale_or_fresh in (signed_off, unlocked):
        with pytest.raises(DecisionRefused, match=NOT_LOCKED):
            unit_unlock(sign_off=stale_or_fresh, reason="Again.", actor=centre_admin)
    assert UnitSignOff.objects.get(pk=signed_off.pk).unlock_reason == REASON
    assert actions().count("unit.unlocked") == 1


# The learner's countersignature


def test_a_learner_cannot_countersign_a_unit_twice(learner, signed_off):
    first = countersign(signed_off, learner)
    signed_at = first.learner_signed_at
    with pytest.raises(DecisionRefused, match=NOTHING_TO_COUNTERSIGN_HERE):
        unit_learner_countersign(
            sign_off=first, signature="Someone Else", declared=True, actor=learner
        )
    kept = UnitSignOff.objects.get(pk=signed_off.pk)
    assert kept.learner_signature == "Leo Brown" and kept.learner_signed_at == signed_at
    assert actions().count("unit.learner_countersigned") == 1


def test_a_learner_cannot_countersign_an_unlocked_sign_off(learner, centre_admin, signed_off):
    unlocked = unit_unlock(sign_off=signed_off, reason=REASON, actor=centre_admin)
    with pytest.raises(DecisionRefused, match=NOTHING_TO_COUNTERSIGN_HERE):
        countersign(unlocked, learner)
    assert UnitSignOff.objects.get(pk=signed_off.pk).learner_signed_at is None


# Who sees a trainee assessor's learners


def person(centre, kind, email, **role):
    user = UserFactory.create(email=email)
    RoleFactory.create(user=user, centre=centre, kind=kind, **role)
    return user


def register(centre, admin, assessor, sfj, email):
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=person(centre, RoleKind.LEARNER, email),
            qualification=sfj,
            start_date=START,
            assessor=assessor,
        ),
        optional_units=SFJ_ENOUGH,
        actor=admin,
    )


def visible(user):
    return set(Registration.objects.visible_to(user))


@pytest.fixture
def trainees_learner(centre, centre_admin, trainee_assessor, sfj):
    return register(centre, centre_admin, trainee_assessor, sfj, "trainees.learner@example.org")


def test_a_qualified_assessor_sees_the_learners_of_the_centres_trainee_assessors(
    assessor, trainees_learner
):
    assert trainees_learner in visible(assessor)


def test_a_qualified_assessor_does_not_see_another_qualified_assessors_learners(
    centre, centre_admin, assessor, sfj, trainees_learner
):
    colleague = person(centre, RoleKind.ASSESSOR, "colleague@example.org")
    theirs = register(centre, centre_admin, colleague, sfj, "colleagues.learner@example.org")
    assert theirs not in visible(assessor)
    assert visible(assessor) == {trainees_learner}


def test_a_trainee_assessor_does_not_see_another_trainees_learners(
    centre, centre_admin, trainee_assessor, sfj, trainees_learner
):
    other = person(centre, RoleKind.ASSESSOR, "trainee2@example.org", is_trainee=True)
    theirs = register(centre, centre_admin, other, sfj, "trainee2s.learner@example.org")
    assert visible(trainee_assessor) == {trainees_learner}
    assert visible(other) == {theirs}


def test_a_qualified_assessor_at_another_centre_does_not_see_a_trainees_learners(
    other_centre, trainee_assessor, trainees_learner
):
    distant = person(other_centre, RoleKind.ASSESSOR, "distant@example.org")
    assert trainees_learner not in visible(distant)
    # Not even where the trainee is also a trainee at that other centre.
    RoleFactory.create(
        user=trainee_assessor, centre=other_centre, kind=RoleKind.ASSESSOR, is_trainee=True
    )
    assert trainees_learner not in visible(distant)


def test_an_assessor_who_is_a_trainee_only_elsewhere_is_not_overseen_here(
    centre, other_centre, centre_admin, assessor, sfj
):
    elsewhere = person(centre, RoleKind.ASSESSOR, "half-trained@example.org")
    RoleFactory.create(user=elsewhere, centre=other_centre, kind=RoleKind.ASSESSOR, is_trainee=True)
    theirs = register(centre, centre_admin, elsewhere, sfj, "halfs.learner@example.org")
    assert theirs not in visible(assessor)


def test_once_the_trainee_qualifies_their_colleague_no_longer_sees_their_learners(
    assessor, trainee_assessor, trainees_learner
):
    Role.objects.filter(user=trainee_assessor, kind=RoleKind.ASSESSOR).update(is_trainee=False)
    assert trainees_learner not in visible(assessor)
    assert trainees_learner in visible(trainee_assessor)
