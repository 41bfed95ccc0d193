import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.models import Decision, Outcome
from assessment.progress import CriterionState, progress_of, unit_progress
from assessment.services import (
    NOT_IN_PLAN,
    DecisionRefused,
    Judgement,
    decision_countersign,
    decision_record,
)
from portal.audit import audit_verify
from portal.models import AuditEntry, RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.models import Evidence, MappingStatus
from qualifications.kept_units import units_rows
from qualifications.models import Criterion
from tests.assessment.conftest import rows_of
from tests.audit import AuditWatch
from tests.factories import RoleFactory
from tests.portfolios.files import pdf

MET = Judgement(Outcome.MET, "observation", datetime.date(2026, 10, 6), "Well done.")


@pytest.fixture
def evidence(registration, learner):
    details = EvidenceDetails("Call recording", datetime.date(2026, 10, 6), "product")
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def criteria(unit, *numbers):
    return frozenset(Criterion.objects.get(unit__code=unit, number=n).pk for n in numbers)


def test_an_assessor_decides_criteria_in_two_units_in_one_action(registration, assessor, evidence):
    targets = Targets(criteria=criteria("A/506/2130", "4.1", "4.2") | criteria("K/503/0421", "1.1"))
    made = decision_record(
        registration=registration,
        targets=targets,
        judgement=MET,
        evidence=[evidence],
        actor=assessor,
    )
    assert len(made) == 3 and all(d.counts for d in made)
    evidence.refresh_from_db()
    assert evidence.is_locked  # judged: the learner can no longer change it
    assert {m.status for m in evidence.mappings.all()} == {MappingStatus.CONFIRMED}


def test_the_same_evidence_given_twice_is_one_piece(registration, assessor, evidence):
    """A decision counts the pieces of evidence it cites, not how often the list names one:
    the one named twice is there, so the decision is made (not refused as gone meanwhile)."""
    made = decision_record(
        registration=registration,
        targets=Targets(criteria=criteria("A/506/2130", "4.1")),
        judgement=MET,
        evidence=[evidence, evidence],
        actor=assessor,
    )
    assert len(made) == 1 and [e.pk for e in made[0].evidence.all()] == [evidence.pk]


def test_met_criteria_show_on_the_unit_page_and_the_learners_home(registration, assessor, evidence):
    decision_record(
        registration=registration,
        targets=Targets(criteria=criteria("A/506/2130", "4.1")),
        judgement=MET,
        evidence=[evidence],
        actor=assessor,
    )
    rows = {
        r.criterion.number: r.state
        for _, rs in unit_progress(registration, rows_of("A/506/2130")).outcomes
        for r in rs
    }
    assert rows["4.1"] == CriterionState.MET and rows["4.2"] == CriterionState.NO_EVIDENCE
    assert progress_of([registration])[0].met == 1


@pytest.mark.parametrize(
    "persona", ["learner", "iqa", "centre_admin", "outsider", "trainee_assessor"]
)
def test_only_the_learners_assessor_decides(request, registration, evidence, persona):
    with pytest.raises(PermissionDenied):
        decision_record(
            registration=registration,
            targets=Targets(criteria=criteria("A/506/2130", "4.1")),
            judgement=MET,
            evidence=[evidence],
            actor=request.getfixturevalue(persona),
        )
    assert not Decision.objects.exists()


def test_an_assessor_cannot_assess_their_own_registration(registration, assessor, centre):
    RoleFactory.create(user=assessor, centre=centre, kind=RoleKind.LEARNER)
    registration.learner = assessor
    with pytest.raises(PermissionDenied, match="Nobody can assess their own registration"):
        decision_record(
            registration=registration, targets=Targets(), judgement=MET, evidence=[], actor=assessor
        )


def test_criteria_outside_the_plan_are_refused(registration, assessor, evidence):
    with pytest.raises(DecisionRefused, match=NOT_IN_PLAN):
        decision_record(
            registration=registration,
            targets=Targets(criteria=criteria("J/506/2132", "1.1")),
            judgement=MET,
            evidence=[evidence],
            actor=assessor,
        )


def test_a_trainees_decision_is_provisional_until_a_qualified_assessor_countersigns(
    registration, trainee_assessor, assessor, evidence
):
    registration.assessor = trainee_assessor
    registration.save()
    [decision] = decision_record(
        registration=registration,
        targets=Targets(criteria=criteria("A/506/2130", "4.1")),
        judgement=MET,
        evidence=[evidence],
        actor=trainee_assessor,
    )
    assert decision.provisional and not decision.counts
    assert progress_of([registration])[0].met == 0
    with pytest.raises(PermissionDenied):
        decision_countersign(decisions=[decision], actor=trainee_assessor)
    decision_countersign(decisions=[decision], actor=assessor)
    decision.refresh_from_db()
    assert decision.counts and decision.countersigned_by == assessor
    assert progress_of([registration])[0].met == 1


def test_a_new_decision_supersedes_the_old_which_is_kept(registration, assessor, evidence):
    target = Targets(criteria=criteria("A/506/2130", "4.1"))
    decision_record(
        registration=registration,
        targets=target,
        judgement=Judgement(Outcome.NOT_YET, "observation", datetime.date(2026, 10, 6)),
        evidence=[evidence],
        actor=assessor,
    )
    decision_record(
        registration=registration,
        targets=target,
        judgement=MET,
        evidence=[evidence],
        actor=assessor,
    )
    history = Decision.objects.filter(registration=registration).order_by("pk")
    assert [(d.outcome, d.current) for d in history] == [
        (Outcome.NOT_YET, False),
        (Outcome.MET, True),
    ]


def test_every_decision_is_in_an_intact_audit_chain(registration, assessor, evidence, capsys):
    audit = AuditWatch()
    decision_record(
        registration=registration,
        targets=Targets(criteria=criteria("A/506/2130", "4.1", "4.2")),
        judgement=MET,
        evidence=[evidence],
        actor=assessor,
    )
    assert audit.actions() == ["decision.recorded", "decision.recorded"]
    total = AuditEntry.objects.count()  # with the registration's and the evidence's entries
    assert audit_verify() == (total, None)
    call_command("verify_audit")
    assert f"The audit chain is intact: {total} entries." in capsys.readouterr().out


def test_the_chain_names_an_edited_entry(registration, assessor, evidence, capsys):
    audit = AuditWatch()
    decision_record(
        registration=registration,
        targets=Targets(criteria=criteria("A/506/2130", "4.1", "4.2")),
        judgement=MET,
        evidence=[evidence],
        actor=assessor,
    )
    first = audit.entries()[0]
    with connection.cursor() as cursor:  # as someone editing the table directly would
        cursor.execute(
            "UPDATE portal_auditentry SET action = 'decision.tampered' WHERE id = %s",
            [first.pk],
        )
    _count, broken = audit_verify()
    assert broken is not None and broken.entry_id == first.pk and "edited" in broken.reason
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    assert f"broken at entry {first.pk}" in capsys.readouterr().out


def test_the_chain_notices_a_removed_entry(registration, assessor, evidence):
    audit = AuditWatch()
    decision_record(
        registration=registration,
        targets=Targets(criteria=criteria("A/506/2130", "4.1", "4.2", "4.3")),
        judgement=MET,
        evidence=[evidence],
        actor=assessor,
    )
    _first, second, third = audit.entries()
    AuditEntry.objects.filter(pk=second.pk).delete()
    broken = audit_verify()[1]
    assert broken is not None and broken.entry_id == third.pk


def test_judged_evidence_cannot_be_removed_by_the_learner(
    registration, assessor, learner, evidence
):
    from portfolios.evidence import EvidenceRejected, evidence_delete

    decision_record(
        registration=registration,
        targets=Targets(criteria=criteria("A/506/2130", "4.1")),
        judgement=MET,
        evidence=[evidence],
        actor=assessor,
    )
    with pytest.raises(EvidenceRejected):
        evidence_delete(evidence=Evidence.objects.get(pk=evidence.pk), actor=learner)


def test_deciding_many_items_takes_as_many_queries_as_deciding_one(
    registration, assessor, evidence
):
    def queries(targets):
        with CaptureQueriesContext(connection) as done:
            decision_record(
                registration=registration,
                targets=targets,
                judgement=MET,
                evidence=[evidence],
                actor=assessor,
            )
        return len(done)

    # The catalogue's rows of the plan's units, as any earlier request would have kept them.
    units_rows(
        registration.qualification, registration.planned_units.values_list("unit", flat=True)
    )
    one = queries(Targets(criteria=criteria("A/506/2130", "1.1")))
    many = queries(
        Targets(
            criteria=criteria("A/506/2130", "2.1", "2.2", "3.1") | criteria("K/503/0421", "1.1")
        )
    )
    assert many == one


def test_each_decision_superseding_another_is_logged_with_both(registration, assessor, evidence):
    first, second = sorted(criteria("A/506/2130", "4.1", "4.2"))
    not_yet = Judgement(Outcome.NOT_YET, "observation", datetime.date(2026, 10, 6), "Again.")
    [old] = decision_record(
        registration=registration,
        targets=Targets(criteria=frozenset({first})),
        judgement=not_yet,
        evidence=[evidence],
        actor=assessor,
    )
    made = decision_record(
        registration=registration,
        targets=Targets(criteria=frozenset({first, second})),
        judgement=MET,
        evidence=[evidence],
        actor=assessor,
    )
    entries = AuditEntry.objects.filter(action="decision.recorded").order_by("pk")
    assert [e.subject for e in entries] == [f"decision:{d.pk}" for d in [old, *made]]
    befores: list = [e.before for e in entries]
    afters: list = [e.after for e in entries]
    assert [b and b["criterion"] for b in befores] == [None, first, None]
    assert befores[1]["outcome"] == Outcome.NOT_YET
    assert [a["criterion"] for a in afters[1:]] == [first, second]
    assert all(a["evidence"] == [evidence.pk] for a in afters)
    old.refresh_from_db()
    assert not old.current and all(d.current for d in made)
    assert set(evidence.mappings.values_list("criterion", "status")) == {
        (first, MappingStatus.CONFIRMED),
        (second, MappingStatus.CONFIRMED),
    }
    assert audit_verify()[1] is None


def test_roles_given_by_the_caller_must_be_the_actors_own(
    registration, assessor, learner, evidence
):
    with pytest.raises(ValueError, match="is not a role of"):
        decision_record(
            registration=registration,
            targets=Targets(criteria=criteria("A/506/2130", "1.1")),
            judgement=MET,
            evidence=[evidence],
            actor=assessor,
            roles=list(learner.roles.all()),
        )
    assert not Decision.objects.filter(registration=registration).exists()


def test_an_assessor_without_the_role_at_the_centre_is_refused_whatever_roles_are_given(
    registration, assessor, evidence
):
    elsewhere = [r for r in assessor.roles.all() if r.centre_id != registration.centre_id]
    with pytest.raises(PermissionDenied):
        decision_record(
            registration=registration,
            targets=Targets(criteria=criteria("A/506/2130", "1.1")),
            judgement=MET,
            evidence=[evidence],
            actor=assessor,
            roles=elsewhere,
        )


def test_evidence_is_marked_judged_at_its_first_decision_and_not_by_a_refused_one(
    registration, assessor, evidence
):
    with pytest.raises(DecisionRefused, match=NOT_IN_PLAN):
        decision_record(
            registration=registration,
            targets=Targets(criteria=frozenset({10**9})),
            judgement=MET,
            evidence=[evidence],
            actor=assessor,
        )
    assert Evidence.objects.get(pk=evidence.pk).judged_at is None
    decide = Targets(criteria=criteria("A/506/2130", "1.1"))
    decision_record(
        registration=registration, targets=decide, judgement=MET, evidence=[evidence],
        actor=assessor,
    )  # fmt: skip
    first = Evidence.objects.get(pk=evidence.pk).judged_at
    assert first is not None
    again = Targets(criteria=criteria("A/506/2130", "1.2"))
    decision_record(
        registration=registration, targets=again, judgement=MET, evidence=[evidence],
        actor=assessor,
    )  # fmt: skip
    assert Evidence.objects.get(pk=evidence.pk).judged_at == first
