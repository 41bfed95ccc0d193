"""Planning, sampling, locks and actions through the IQA services, on the real SFJ catalogue."""

import dataclasses
import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment.kept import fill_decided_work
from assessment.models import DecidedWork, Decision, Outcome, UnitSignOff, unit_of_item
from assessment.services import (
    ALL_SAMPLED,
    SAMPLED,
    SAMPLED_AMONG_THOSE_CHOSEN,
    DecisionRefused,
    decision_countersign,
    decision_record,
    decision_return,
    unit_sign_off,
    unit_unlock,
)
from assessment.services import Judgement as Assessed
from certification.readiness import refresh_readiness
from iqa.models import (
    Action,
    ActionStatus,
    AssessorRisk,
    PlanItem,
    Risk,
    Sample,
    SamplingPlan,
    Stage,
    Verdict,
)
from iqa.selectors import NOT_SAMPLED, OPEN_ACTION, claim_blockers, quality_assured
from iqa.services import (
    ACTIONS_NEEDED,
    AGREED_AGAINST_THE_RULES,
    ALREADY_CLOSED,
    ALREADY_RESPONDED,
    COMMENT_NEEDED,
    DUE_IN_THE_PAST,
    FEEDBACK_NEEDED,
    LOCK_ALREADY_LIFTED,
    NOT_AN_IQA,
    NOT_RESPONDED,
    NOT_YOURS_TO_SAMPLE,
    ONLY_A_CENTRE_ADMIN,
    ONLY_THE_ASSESSOR,
    ONLY_THE_SAMPLER,
    OWN_DECISIONS,
    REASON_NEEDED,
    RESPONSE_NEEDED,
    IqaRefused,
    action_close,
    action_not_accept,
    action_respond,
    plan_generate,
    plan_item_add,
    sample_lock_lift,
    sample_record,
)
from iqa.services import Judgement as Finding
from iqa.work import Piece, pieces_in_period, work_in_period
from portal.audit import audit_verify
from portal.models import AuditEntry, RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.models import ClaimReadiness
from portfolios.services import RegistrationDetails, registration_create, registration_withdraw
from qualifications.models import Criterion, KnowledgeItem, RangeItem, Unit
from tests.audit import AuditWatch
from tests.factories import PASSWORD, RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ_ENOUGH, START, cvq_registration
from tests.portfolios.files import pdf

__all__ = ["cvq_registration"]

SIGNED_UNIT = "F/506/2131"  # 9 criteria, all met and signed off: summative
BEGUN_UNIT = "A/506/2130"  # only 4.1 decided: interim
# The registration's other units, one piece of work each for the risk tests.
OTHER_UNITS = ["K/503/0421", "L/506/1788", "SFJ-CS2-03", "SFJ-CS2-07", "T/506/2126"]
ON = datetime.date(2026, 10, 6)
PERIOD_STARTS = START
PERIOD_ENDS = datetime.date(2026, 12, 31)
AFTER_THE_PERIOD = datetime.date(2027, 2, 3)
DUE = datetime.date(2026, 11, 30)
FEEDBACK = "Sound judgements, clearly recorded against the criteria."
ACTION = "Show where the learner's account covers criterion 1.2."
RESPONSE = "Added a professional discussion record covering 1.2."
REASON = "The assessor must correct a decision recorded against the wrong criterion."


def raises(exception, message):
    return pytest.raises(exception, match=re.escape(message))


def unit(code):
    return Unit.objects.get(code=code)


def criteria(code, *numbers):
    found = Criterion.objects.filter(unit__code=code)
    if numbers:
        found = found.filter(number__in=numbers)
    return frozenset(c.pk for c in found)


def person(centre, kind, email, **role):
    user = UserFactory.create(email=email)
    RoleFactory.create(user=user, centre=centre, kind=kind, **role)
    return user


def register(centre, admin, sfj, assessor, iqa, email):
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=person(centre, RoleKind.LEARNER, email),
            qualification=sfj,
            start_date=START,
            assessor=assessor,
            iqa=iqa,
        ),
        optional_units=SFJ_ENOUGH,
        actor=admin,
    )


def decide(registration, actor, code, *numbers, on=ON, evidence=()):
    return decision_record(
        registration=registration,
        targets=Targets(criteria=criteria(code, *numbers)),
        judgement=Assessed(Outcome.MET, "observation", on, "Seen at work."),
        evidence=list(evidence),
        actor=actor,
    )


def sign(registration, assessor, code=SIGNED_UNIT):
    return unit_sign_off(
        registration=registration,
        unit_id=unit(code).pk,
        signature="Samir Patel",
        password=PASSWORD,
        declared=True,
        actor=assessor,
    )


def generate(centre, sfj, actor, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS):
    return plan_generate(
        centre=centre, qualification=sfj, starts_on=starts_on, ends_on=ends_on, actor=actor
    )


def planned(plan):
    """The plan's items as (registration, unit code, stage, assessor)."""
    return {
        (i.registration_id, i.unit.code, i.stage, i.assessor_id)
        for i in PlanItem.objects.filter(plan=plan).select_related("unit")
    }


def current(registration, code):
    return list(
        Decision.objects.filter(registration=registration, current=True, criterion__unit__code=code)
    )


def finding(verdict=Verdict.AGREE, feedback=FEEDBACK):
    return Finding(
        valid=True,
        authentic=True,
        current=True,
        sufficient=verdict == Verdict.AGREE,
        reliable=True,
        verdict=verdict,
        feedback=feedback,
    )


def sample(registration, code, actor, verdict=Verdict.AGREE, actions=(), feedback=FEEDBACK):
    return sample_record(
        registration=registration,
        unit_id=unit(code).pk,
        decisions=current(registration, code),
        evidence=list(registration.evidence.all()),
        judgement=finding(verdict, feedback),
        actions=list(actions),
        actor=actor,
    )


def audited(action):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def nothing_sampled():
    return (
        not Sample.objects.exists() and not Action.objects.exists() and not audited("iqa.sampled")
    )


@pytest.fixture
def evidence(registration, learner):
    details = EvidenceDetails("Reflective account", ON, "reflective_account")
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


@pytest.fixture
def assessed(registration, assessor, evidence):
    """The assessor's work in the period: one unit signed off, another begun."""
    decide(registration, assessor, SIGNED_UNIT, evidence=[evidence])
    sign(registration, assessor)
    decide(registration, assessor, BEGUN_UNIT, "4.1", evidence=[evidence])
    return registration


@pytest.fixture
def other_iqa(centre):
    return person(centre, RoleKind.IQA, "second.iqa@example.org")


# Generating a plan


def test_a_generated_plan_covers_each_unit_the_assessor_decided_at_its_stage(
    centre, sfj, assessor, iqa, assessed
):
    plan = generate(centre, sfj, iqa)
    assert (plan.iqa, plan.starts_on, plan.ends_on) == (iqa, PERIOD_STARTS, PERIOD_ENDS)
    assert planned(plan) == {
        (assessed.pk, SIGNED_UNIT, Stage.SUMMATIVE, assessor.pk),
        (assessed.pk, BEGUN_UNIT, Stage.INTERIM, assessor.pk),
    }
    assert all(i.methods == ["observation"] and not i.by_hand for i in plan.items.all())
    [entry] = audited("iqa.plan_generated")
    assert entry.actor == iqa and entry.subject == f"plan:{plan.pk}"
    assert (entry.after or {})["items"] == 2
    assert audit_verify()[1] is None


def test_work_decided_outside_the_period_is_not_planned(
    centre, sfj, assessor, iqa, assessed, monkeypatch
):
    with monkeypatch.context() as later_on:  # decided on that day (a decision is not post-dated)
        later_on.setattr(timezone, "localdate", lambda *args, **kwargs: AFTER_THE_PERIOD)
        decide(assessed, assessor, OTHER_UNITS[0], "1.1", on=AFTER_THE_PERIOD)
    plan = generate(centre, sfj, iqa)
    assert {code for _, code, _, _ in planned(plan)} == {SIGNED_UNIT, BEGUN_UNIT}
    later = generate(
        centre, sfj, iqa, starts_on=datetime.date(2027, 1, 1), ends_on=AFTER_THE_PERIOD
    )
    assert planned(later) == {(assessed.pk, OTHER_UNITS[0], Stage.INTERIM, assessor.pk)}


def test_a_generated_plan_marks_stale_the_readiness_of_registrations_with_summative_items_only(
    centre, centre_admin, sfj, assessor, iqa, assessed
):
    """Only a summative item holds a unit back from a claim (`claim_blockers_of`): a learner
    planned at the interim stage alone keeps their readiness as it was worked out."""
    interim_only = register(centre, centre_admin, sfj, assessor, iqa, "i.learner@example.org")
    decide(interim_only, assessor, OTHER_UNITS[0], "1.1")
    refresh_readiness(centre)
    assert not ClaimReadiness.objects.filter(stale=True).exists()
    plan = generate(centre, sfj, iqa)
    assert {(r, stage) for r, _, stage, _ in planned(plan)} == {
        (assessed.pk, Stage.SUMMATIVE),
        (assessed.pk, Stage.INTERIM),
        (interim_only.pk, Stage.INTERIM),
    }
    stale = ClaimReadiness.objects.filter(stale=True).values_list("registration", flat=True)
    assert set(stale) == {assessed.pk}


@pytest.mark.parametrize(
    ("risk", "share"), [(Risk.EXPERIENCED, 1), (None, 2), (Risk.NEW, 3)], ids=str
)
def test_an_assessors_share_of_the_plan_follows_their_risk_and_a_trainee_has_all_work_planned(
    centre, centre_admin, sfj, iqa, trainee_assessor, risk, share
):
    colleague = person(centre, RoleKind.ASSESSOR, "colleague@example.org")
    if risk is not None:
        AssessorRisk.objects.create(centre=centre, assessor=colleague, risk=risk)
    trainees = register(centre, centre_admin, sfj, trainee_assessor, iqa, "t.learner@example.org")
    theirs = register(centre, centre_admin, sfj, colleague, iqa, "c.learner@example.org")
    for code in OTHER_UNITS:  # five pieces of work each, all in the same method
        decide(trainees, trainee_assessor, code, "1.1")
        decide(theirs, colleague, code, "1.1")
    items = PlanItem.objects.filter(plan=generate(centre, sfj, iqa))
    # A trainee is sampled in full; the colleague's share is 10%, 25% or 50% of five, rounded up.
    assert {i.unit.code for i in items.filter(assessor=trainee_assessor)} == set(OTHER_UNITS)
    assert items.filter(assessor=colleague, registration=theirs).count() == share


@pytest.mark.parametrize("persona", ["assessor", "centre_admin", "outsider", "learner"])
def test_only_an_iqa_of_the_centre_generates_a_plan(request, centre, sfj, assessed, persona):
    with raises(PermissionDenied, NOT_AN_IQA):
        generate(centre, sfj, request.getfixturevalue(persona))
    assert not SamplingPlan.objects.exists()
    assert not audited("iqa.plan_generated")


# An IQA never samples their own decisions


@pytest.fixture
def countersigned(centre, centre_admin, sfj, iqa, trainee_assessor):
    """A trainee's learner whose decision the IQA, also a qualified assessor, countersigned."""
    RoleFactory.create(user=iqa, centre=centre, kind=RoleKind.ASSESSOR)
    trainees = register(centre, centre_admin, sfj, trainee_assessor, iqa, "t.learner@example.org")
    decision_countersign(decisions=decide(trainees, trainee_assessor, BEGUN_UNIT, "4.1"), actor=iqa)
    assert all(d.countersigned_by == iqa for d in current(trainees, BEGUN_UNIT))
    return trainees


def test_a_plan_never_proposes_work_the_iqa_countersigned(
    centre, sfj, iqa, assessor, assessed, countersigned
):
    plan = generate(centre, sfj, iqa)
    assert not plan.items.filter(registration=countersigned).exists()
    assert {(r, code) for r, code, _, _ in planned(plan)} == {
        (assessed.pk, SIGNED_UNIT),
        (assessed.pk, BEGUN_UNIT),
    }


def test_the_iqa_cannot_add_work_they_countersigned_to_their_plan(
    centre, sfj, iqa, assessed, countersigned
):
    plan = generate(centre, sfj, iqa)
    [work] = [
        w
        for w in work_in_period(centre, sfj, PERIOD_STARTS, PERIOD_ENDS)
        if w.registration == countersigned.pk
    ]
    before = plan.items.count()
    with raises(IqaRefused, OWN_DECISIONS):
        plan_item_add(plan=plan, work=work, actor=iqa)
    assert plan.items.count() == before
    assert not audited("iqa.plan_item_added")


def test_the_iqa_cannot_sample_a_unit_with_a_decision_they_countersigned(iqa, countersigned):
    with raises(IqaRefused, OWN_DECISIONS):
        sample(countersigned, BEGUN_UNIT, iqa)
    assert nothing_sampled()


def test_a_plan_never_proposes_a_unit_the_iqa_countersigned_a_decision_of_before_the_period(
    centre, sfj, iqa, trainee_assessor, countersigned
):
    decide(countersigned, trainee_assessor, BEGUN_UNIT, "4.2", on=datetime.date(2026, 11, 2))
    plan = generate(centre, sfj, iqa, starts_on=datetime.date(2026, 11, 1))
    with raises(IqaRefused, OWN_DECISIONS):  # the unit, as a whole, is the IQA's own work
        sample(countersigned, BEGUN_UNIT, iqa)
    assert not plan.items.filter(registration=countersigned).exists()


# Sampling


def test_a_sample_of_a_signed_off_unit_is_summative_and_of_a_unit_in_progress_interim(
    iqa, assessor, assessed, evidence
):
    summative = sample(assessed, SIGNED_UNIT, iqa)
    interim = sample(assessed, BEGUN_UNIT, iqa)
    assert (summative.stage, interim.stage) == (Stage.SUMMATIVE, Stage.INTERIM)
    assert set(summative.decisions.all()) == set(current(assessed, SIGNED_UNIT))
    assert len(current(assessed, SIGNED_UNIT)) == 9
    assert list(interim.decisions.all()) == current(assessed, BEGUN_UNIT)
    assert list(summative.evidence.all()) == [evidence]
    assert summative.verdict == Verdict.AGREE and not summative.actions.exists()
    assert (summative.assessor, summative.sampled_by) == (assessor, iqa)
    assert [(e.after or {})["unit"] for e in audited("iqa.sampled")] == [
        unit(SIGNED_UNIT).pk,
        unit(BEGUN_UNIT).pk,
    ]


def test_a_trainees_decision_sampled_while_it_waits_holds_back_countersign_all_saying_what_to_do(
    centre, centre_admin, sfj, iqa, trainee_assessor, assessor
):
    """An IQA may sample a trainee's provisional decisions (an interim sample: the unit is not
    signed off), so countersigning them all is refused whole while the sample's lock holds. The
    refusal names the decision and its learner, and what to do: leave it out, or have a centre
    admin lift the lock. Nothing is written; one decision alone is told as before."""
    trainees = register(centre, centre_admin, sfj, trainee_assessor, iqa, "t.learner@example.org")
    [held] = decide(trainees, trainee_assessor, BEGUN_UNIT, "4.1")
    others = decide(trainees, trainee_assessor, BEGUN_UNIT, "4.2", "4.3")
    assert held.provisional and all(d.provisional for d in others)
    taken = sample_record(
        registration=trainees,
        unit_id=unit(BEGUN_UNIT).pk,
        decisions=[held],
        evidence=[],
        judgement=finding(),
        actions=[],
        actor=iqa,
    )
    audit = AuditWatch()
    with raises(
        DecisionRefused,
        SAMPLED_AMONG_THOSE_CHOSEN.format(
            asked=3, item=held.target, learner=trainees.learner.full_name
        ),
    ):
        decision_countersign(decisions=[held, *others], actor=assessor)
    with raises(DecisionRefused, SAMPLED.format(item=held.target)):
        decision_countersign(decisions=[held], actor=assessor)
    assert not audit.entries().exists()
    assert decision_countersign(decisions=others, actor=assessor) == 2  # the others, without it
    sample_lock_lift(sample=taken, reason=REASON, actor=centre_admin)
    assert decision_countersign(decisions=[held], actor=assessor) == 1


def test_a_pages_button_countersigns_all_but_those_an_iqa_sampled_while_they_waited(
    client, centre, centre_admin, sfj, iqa, trainee_assessor, assessor
):
    """ "Countersign all of a trainee's" (or a unit's, an evidence's, all shown) names no
    decision one by one: it countersigns those it can and leaves those an IQA sampled while
    they waited, saying so; ticks name each one, and stay all or none."""
    trainees = register(centre, centre_admin, sfj, trainee_assessor, iqa, "t.learner@example.org")
    details = EvidenceDetails("Reflective account", ON, "reflective_account")
    piece = evidence_add(
        registration=trainees, details=details, files=[pdf()], declared=True,
        actor=trainees.learner,
    )  # fmt: skip
    [held] = decide(trainees, trainee_assessor, BEGUN_UNIT, "4.1", evidence=[piece])
    others = decide(trainees, trainee_assessor, BEGUN_UNIT, "4.2", "4.3", evidence=[piece])
    sample_record(
        registration=trainees, unit_id=unit(BEGUN_UNIT).pk, decisions=[held], evidence=[],
        judgement=finding(), actions=[], actor=iqa,
    )  # fmt: skip
    client.force_login(assessor)
    url = reverse("assessment:countersign")
    audit = AuditWatch()
    ticked = client.post(url, {"decisions": [held.pk, *(d.pk for d in others)]}, follow=True)
    assert SAMPLED_AMONG_THOSE_CHOSEN.format(
        asked=3, item=held.target, learner=trainees.learner.full_name
    ) in [str(m) for m in ticked.context["messages"]]
    assert not audit.entries().exists()
    newest = max(d.pk for d in [held, *others])
    sent = client.post(url, {"trainee": f"{trainee_assessor.pk}-{newest}"}, follow=True)
    said = [str(m) for m in sent.context["messages"]]
    assert said == [
        "2 decisions countersigned.",
        "1 decision left waiting: the IQA sampled it while it waited, and a sampled decision "
        "is locked until a centre admin lifts the sample's lock.",
    ]
    held.refresh_from_db()
    assert held.provisional and held.countersigned_by is None
    assert all(not d.provisional for d in Decision.objects.filter(pk__in=[d.pk for d in others]))
    assert sorted(e.subject for e in audit.entries()) == sorted(f"decision:{d.pk}" for d in others)
    assert all(e.before is not None and e.before["evidence"] == [piece.pk] for e in audit.entries())


def test_leaving_the_sampled_ones_costs_no_query_more(
    centre, centre_admin, sfj, iqa, trainee_assessor, assessor
):
    trainees = register(centre, centre_admin, sfj, trainee_assessor, iqa, "t.learner@example.org")
    [held] = decide(trainees, trainee_assessor, BEGUN_UNIT, "4.1")
    some = decide(trainees, trainee_assessor, BEGUN_UNIT, "4.2", "4.3")
    more = decide(trainees, trainee_assessor, BEGUN_UNIT, "4.4", "4.5")
    sample_record(
        registration=trainees, unit_id=unit(BEGUN_UNIT).pk, decisions=[held], evidence=[],
        judgement=finding(), actions=[], actor=iqa,
    )  # fmt: skip
    with CaptureQueriesContext(connection) as leaving:
        done = decision_countersign(decisions=[held, *some], actor=assessor, leave_sampled=True)
    with CaptureQueriesContext(connection) as plain:
        assert decision_countersign(decisions=more, actor=assessor, leave_sampled=True) == 2
    assert done == 2 and len(leaving) == len(plain)


def test_a_button_whose_decisions_were_all_sampled_countersigns_none(
    centre, centre_admin, sfj, iqa, trainee_assessor, assessor
):
    trainees = register(centre, centre_admin, sfj, trainee_assessor, iqa, "t.learner@example.org")
    both = decide(trainees, trainee_assessor, BEGUN_UNIT, "4.1", "4.2")
    sample_record(
        registration=trainees, unit_id=unit(BEGUN_UNIT).pk, decisions=both, evidence=[],
        judgement=finding(), actions=[], actor=iqa,
    )  # fmt: skip
    audit = AuditWatch()
    with raises(DecisionRefused, ALL_SAMPLED.format(asked=2)):
        decision_countersign(decisions=both, actor=assessor, leave_sampled=True)
    with raises(DecisionRefused, SAMPLED.format(item=both[0].target)):
        decision_countersign(decisions=both[:1], actor=assessor, leave_sampled=True)
    assert not audit.entries().exists()
    assert all(d.provisional for d in Decision.objects.filter(pk__in=[d.pk for d in both]))


def test_sampled_decisions_are_locked_until_a_centre_admin_lifts_the_lock_with_a_reason(
    iqa, assessor, centre_admin, assessed
):
    [decision] = current(assessed, BEGUN_UNIT)
    taken = sample(assessed, BEGUN_UNIT, iqa)
    with raises(DecisionRefused, SAMPLED.format(item=decision.target)) as refused:
        decide(assessed, assessor, BEGUN_UNIT, "4.1")
    assert "was sampled by the IQA" in str(refused.value)
    assert current(assessed, BEGUN_UNIT) == [decision]
    # Other criteria of the unit were not sampled: they can still be decided.
    decide(assessed, assessor, BEGUN_UNIT, "4.2")
    sample_lock_lift(sample=taken, reason=REASON, actor=centre_admin)
    taken.refresh_from_db()
    assert (taken.lock_lifted_by, taken.lock_lift_reason) == (centre_admin, REASON)
    [again] = decide(assessed, assessor, BEGUN_UNIT, "4.1")
    decision.refresh_from_db()
    assert again.current and not decision.current
    assert list(taken.decisions.all()) == [decision]  # the sample keeps what it saw
    [entry] = audited("iqa.lock_lifted")
    assert entry.actor == centre_admin and (entry.after or {})["reason"] == REASON


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_lock_is_not_lifted_without_a_reason(iqa, assessor, centre_admin, assessed, reason):
    taken = sample(assessed, BEGUN_UNIT, iqa)
    with raises(IqaRefused, REASON_NEEDED):
        sample_lock_lift(sample=taken, reason=reason, actor=centre_admin)
    taken.refresh_from_db()
    assert taken.lock_lifted_at is None and not audited("iqa.lock_lifted")
    with pytest.raises(DecisionRefused, match="was sampled by the IQA"):
        decide(assessed, assessor, BEGUN_UNIT, "4.1")


@pytest.mark.parametrize("persona", ["assessor", "outsider", "iqa", "learner"])
def test_only_a_centre_admin_of_the_learners_centre_lifts_a_lock(request, iqa, assessed, persona):
    taken = sample(assessed, BEGUN_UNIT, iqa)
    with raises(PermissionDenied, ONLY_A_CENTRE_ADMIN):
        sample_lock_lift(sample=taken, reason=REASON, actor=request.getfixturevalue(persona))
    taken.refresh_from_db()
    assert taken.lock_lifted_at is None and not audited("iqa.lock_lifted")


@pytest.mark.parametrize(
    ("verdict", "actions", "feedback", "message"),
    [
        (Verdict.ACTION_REQUIRED, [], FEEDBACK, ACTIONS_NEEDED),
        (Verdict.ACTION_REQUIRED, [("   ", DUE)], FEEDBACK, ACTIONS_NEEDED),
        (Verdict.AGREE, [], "", FEEDBACK_NEEDED),
        (Verdict.ACTION_REQUIRED, [(ACTION, DUE)], "  \n", FEEDBACK_NEEDED),
    ],
    ids=["no action", "a blank action", "no feedback", "blank feedback"],
)
def test_a_sample_needs_feedback_and_an_action_when_action_is_required(
    iqa, assessor, assessed, verdict, actions, feedback, message
):
    with raises(IqaRefused, message):
        sample(assessed, SIGNED_UNIT, iqa, verdict=verdict, actions=actions, feedback=feedback)
    assert nothing_sampled()


@pytest.mark.parametrize("unmet", Sample.RULES_OF_EVIDENCE)
def test_an_iqa_agrees_only_when_the_evidence_meets_every_rule_of_evidence(
    iqa, assessor, assessed, unmet
):
    """'Agree' with a rule of evidence not met contradicts itself (the EQA reads the sample):
    refused, and nothing written; with every rule met, the same sample is recorded."""
    every_rule = finding(Verdict.AGREE)
    with raises(IqaRefused, AGREED_AGAINST_THE_RULES):
        sample_record(
            registration=assessed,
            unit_id=unit(SIGNED_UNIT).pk,
            decisions=current(assessed, SIGNED_UNIT),
            evidence=list(assessed.evidence.all()),
            judgement=dataclasses.replace(every_rule, **{unmet: False}),
            actions=[],
            actor=iqa,
        )
    assert nothing_sampled()
    taken = sample(assessed, SIGNED_UNIT, iqa)
    assert taken.verdict == Verdict.AGREE
    assert all(getattr(taken, rule) for rule in Sample.RULES_OF_EVIDENCE)


def test_an_iqa_neither_assigned_the_learner_nor_planning_them_cannot_sample_them(
    assessed, other_iqa
):
    with raises(PermissionDenied, NOT_YOURS_TO_SAMPLE):
        sample(assessed, SIGNED_UNIT, other_iqa)
    assert nothing_sampled()


def test_an_iqa_who_planned_the_learner_may_sample_them(centre, sfj, assessed, other_iqa):
    generate(centre, sfj, other_iqa)
    taken = sample(assessed, SIGNED_UNIT, other_iqa)
    assert taken.sampled_by == other_iqa and taken.stage == Stage.SUMMATIVE


@pytest.mark.parametrize("persona", ["assessor", "centre_admin", "outsider"])
def test_only_an_iqa_of_the_centre_samples(request, assessed, persona):
    with raises(PermissionDenied, NOT_AN_IQA):
        sample(assessed, SIGNED_UNIT, request.getfixturevalue(persona))
    assert nothing_sampled()


# Actions


@pytest.fixture
def action(iqa, assessed):
    taken = sample(assessed, SIGNED_UNIT, iqa, Verdict.ACTION_REQUIRED, [(f"  {ACTION} ", DUE)])
    [raised] = taken.actions.all()
    assert (raised.text, raised.due_on, raised.status) == (ACTION, DUE, ActionStatus.OPEN)
    return raised


def test_an_open_action_stops_the_claim_of_its_unit(assessed, action):
    assert claim_blockers(assessed) == {unit(SIGNED_UNIT).pk: OPEN_ACTION.format(unit=SIGNED_UNIT)}
    assert quality_assured(assessed) == set()


@pytest.mark.parametrize(
    "persona", ["iqa", "learner", "centre_admin", "outsider", "trainee_assessor"]
)
def test_only_the_assessor_whose_decisions_were_sampled_responds(request, action, persona):
    with raises(PermissionDenied, ONLY_THE_ASSESSOR):
        action_respond(action=action, response=RESPONSE, actor=request.getfixturevalue(persona))
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN and action.response == ""


@pytest.mark.parametrize("response", ["", "  \n "])
def test_a_response_says_what_was_done(assessor, action, response):
    with raises(IqaRefused, RESPONSE_NEEDED):
        action_respond(action=action, response=response, actor=assessor)
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN and not audited("iqa.action_responded")


def test_an_action_is_not_closed_before_the_assessor_responds(iqa, action):
    with raises(IqaRefused, NOT_RESPONDED):
        action_close(action=action, actor=iqa)
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN and action.closed_by is None


@pytest.mark.parametrize("persona", ["assessor", "centre_admin", "other_iqa"])
def test_only_the_iqa_who_raised_an_action_closes_it(request, assessor, action, persona):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    with raises(PermissionDenied, ONLY_THE_SAMPLER):
        action_close(action=action, actor=request.getfixturevalue(persona))
    action.refresh_from_db()
    assert action.status == ActionStatus.RESPONDED and action.closed_by is None


def test_a_closed_action_no_longer_stops_the_claim_and_the_unit_is_quality_assured(
    iqa, assessor, assessed, action
):
    action_respond(action=action, response=f" {RESPONSE} ", actor=assessor)
    action.refresh_from_db()
    assert (action.status, action.response) == (ActionStatus.RESPONDED, RESPONSE)
    assert action.responded_at is not None
    # Responded is not closed: the IQA has still to accept the response.
    assert unit(SIGNED_UNIT).pk in claim_blockers(assessed)
    action_close(action=action, actor=iqa)
    action.refresh_from_db()
    assert (action.status, action.closed_by) == (ActionStatus.CLOSED, iqa)
    assert claim_blockers(assessed) == {}
    assert quality_assured(assessed) == {unit(SIGNED_UNIT).pk}
    [responded] = audited("iqa.action_responded")
    [closed] = audited("iqa.action_closed")
    assert (responded.actor, responded.subject) == (assessor, f"action:{action.pk}")
    assert (responded.after or {})["response"] == RESPONSE
    assert (closed.actor, closed.subject) == (iqa, f"action:{action.pk}")
    assert (closed.after or {})["status"] == ActionStatus.CLOSED
    assert audit_verify()[1] is None


# Not accepted: the IQA sends an answer back with a comment

COMMENT = "Name the customer in each entry, not only the date."


def test_the_iqa_does_not_accept_an_answer_and_the_assessor_answers_again(
    iqa, assessor, assessed, action
):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    later = datetime.date.today() + datetime.timedelta(days=30)
    action_not_accept(action=action, comment=f" {COMMENT} ", due_on=later, actor=iqa)
    action.refresh_from_db()
    assert (action.status, action.iqa_comment, action.due_on) == (ActionStatus.OPEN, COMMENT, later)
    assert action.not_accepted_at is not None and action.closed_by is None
    assert unit(SIGNED_UNIT).pk in claim_blockers(assessed)  # still stops the claim
    [entry] = audited("iqa.action_not_accepted")
    assert (entry.actor, entry.subject) == (iqa, f"action:{action.pk}")
    assert entry.before == {"status": ActionStatus.RESPONDED, "due_on": DUE.isoformat()}
    assert (entry.after or {})["comment"] == COMMENT
    # The assessor answers again, the same words if they stand by them, and the IQA closes it.
    action_respond(action=action, response=RESPONSE, actor=assessor)
    action_close(action=action, actor=iqa)
    action.refresh_from_db()
    assert action.status == ActionStatus.CLOSED and action.iqa_comment == COMMENT
    assert audit_verify()[1] is None


def test_without_a_new_date_the_action_keeps_its_target_date(iqa, assessor, action):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    action_not_accept(action=action, comment=COMMENT, actor=iqa)
    action.refresh_from_db()
    assert (action.status, action.due_on) == (ActionStatus.OPEN, DUE)


@pytest.mark.parametrize("comment", ["", "  \n "])
def test_an_answer_is_not_sent_back_without_a_comment(iqa, assessor, action, comment):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    with raises(IqaRefused, COMMENT_NEEDED):
        action_not_accept(action=action, comment=comment, actor=iqa)
    action.refresh_from_db()
    assert action.status == ActionStatus.RESPONDED and not audited("iqa.action_not_accepted")


def test_a_new_target_date_in_the_past_is_refused(iqa, assessor, action):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    past = datetime.date.today() - datetime.timedelta(days=1)
    with raises(IqaRefused, DUE_IN_THE_PAST):
        action_not_accept(action=action, comment=COMMENT, due_on=past, actor=iqa)
    action.refresh_from_db()
    assert action.status == ActionStatus.RESPONDED


def test_only_an_answered_action_is_sent_back(iqa, assessor, action):
    with raises(IqaRefused, NOT_RESPONDED):  # not answered yet
        action_not_accept(action=action, comment=COMMENT, actor=iqa)
    action_respond(action=action, response=RESPONSE, actor=assessor)
    action_close(action=action, actor=iqa)
    with raises(IqaRefused, ALREADY_CLOSED):
        action_not_accept(action=action, comment=COMMENT, actor=iqa)
    assert not audited("iqa.action_not_accepted")


@pytest.mark.parametrize("persona", ["assessor", "centre_admin", "other_iqa"])
def test_only_the_iqa_who_raised_an_action_sends_an_answer_back(request, assessor, action, persona):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    with raises(PermissionDenied, ONLY_THE_SAMPLER):
        action_not_accept(action=action, comment=COMMENT, actor=request.getfixturevalue(persona))
    action.refresh_from_db()
    assert action.status == ActionStatus.RESPONDED and action.iqa_comment == ""


# Planned summative sampling


def test_a_unit_planned_for_summative_sampling_stops_the_claim_until_it_is_sampled(
    centre, sfj, iqa, assessed
):
    assert claim_blockers(assessed) == {}
    generate(centre, sfj, iqa)
    # The interim item of the unit in progress stops nothing; the signed-off unit waits.
    assert claim_blockers(assessed) == {unit(SIGNED_UNIT).pk: NOT_SAMPLED.format(unit=SIGNED_UNIT)}
    assert quality_assured(assessed) == set()
    sample(assessed, SIGNED_UNIT, iqa)
    assert claim_blockers(assessed) == {}
    assert quality_assured(assessed) == {unit(SIGNED_UNIT).pk}


def test_a_decision_the_iqa_sampled_cannot_be_countersigned_while_locked(
    registration, trainee_assessor, assessor, iqa
):
    # Review found that countersigning went round the lock: a sampled decision stays as sampled.
    registration.assessor = trainee_assessor
    registration.save()
    [decision] = decide(registration, trainee_assessor, BEGUN_UNIT, "4.1")
    sample(registration, BEGUN_UNIT, iqa)
    with pytest.raises(DecisionRefused, match="was sampled by the IQA"):
        decision_countersign(decisions=[decision], actor=assessor)
    decision.refresh_from_db()
    assert decision.provisional


def test_an_iqa_sees_the_registrations_in_their_plan_and_no_others(
    centre, sfj, registration, assessor
):
    from portfolios.models import Registration

    decide(registration, assessor, BEGUN_UNIT, "4.1")
    planner = person(centre, RoleKind.IQA, "planner@example.org")
    bystander = person(centre, RoleKind.IQA, "bystander@example.org")
    assert not Registration.objects.visible_to(planner).filter(pk=registration.pk).exists()
    generate(centre, sfj, planner)
    assert Registration.objects.visible_to(planner).filter(pk=registration.pk).exists()
    assert not Registration.objects.visible_to(bystander).filter(pk=registration.pk).exists()


# The same request twice (a double click, a second tab): the second changes nothing.


def test_the_same_response_sent_twice_is_refused_the_second_time(assessor, action):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    audit = AuditWatch()
    with raises(IqaRefused, ALREADY_RESPONDED):
        action_respond(action=action, response=RESPONSE, actor=assessor)
    assert audit.actions() == []


def test_an_action_closed_from_a_stale_page_is_refused_as_already_closed(iqa, assessor, action):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    stale = Action.objects.get(pk=action.pk)  # the page as the IQA opened it, in two tabs
    action_close(action=Action.objects.get(pk=action.pk), actor=iqa)
    audit = AuditWatch()
    with raises(IqaRefused, ALREADY_CLOSED):
        action_close(action=stale, actor=iqa)
    assert audit.actions() == []


def test_an_answer_to_an_action_closed_meanwhile_is_refused(iqa, assessor, action):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    stale = Action.objects.get(pk=action.pk)
    action_close(action=Action.objects.get(pk=action.pk), actor=iqa)
    with raises(IqaRefused, ALREADY_CLOSED):
        action_respond(action=stale, response="Something more.", actor=assessor)
    assert Action.objects.get(pk=action.pk).status == ActionStatus.CLOSED


def test_a_lock_lifted_from_a_stale_page_is_refused_as_already_lifted(iqa, centre_admin, assessed):
    taken = sample(assessed, BEGUN_UNIT, iqa)
    stale = Sample.objects.get(pk=taken.pk)
    sample_lock_lift(sample=taken, reason=REASON, actor=centre_admin)
    audit = AuditWatch()
    with raises(IqaRefused, LOCK_ALREADY_LIFTED):
        sample_lock_lift(sample=stale, reason="Again.", actor=centre_admin)
    assert audit.actions() == []


def test_range_and_knowledge_decisions_are_work_on_their_unit_with_their_methods(
    centre, assessor, cvq_registration
):
    cvq_unit = Unit.objects.get(code="U09602")
    angry = RangeItem.objects.get(unit=cvq_unit, element="1", category="A", number="ii")
    rights = KnowledgeItem.objects.get(unit=cvq_unit, number="1")
    for targets, method in (
        (Targets(range_items=frozenset({angry.pk})), "observation"),
        (Targets(knowledge_items=frozenset({rights.pk})), "professional_discussion"),
    ):
        decision_record(
            registration=cvq_registration,
            targets=targets,
            judgement=Assessed(Outcome.MET, method, ON),
            evidence=[],
            actor=assessor,
        )
    cvq = cvq_registration.qualification
    [work] = work_in_period(centre, cvq, PERIOD_STARTS, PERIOD_ENDS)
    assert (work.registration, work.unit, work.assessor) == (
        cvq_registration.pk,
        cvq_unit.pk,
        assessor.pk,
    )
    assert work.methods == {"observation", "professional_discussion"}
    assert work.deciders == {assessor.pk} and work.stage == Stage.INTERIM
    assert work_in_period(centre, cvq, ON + datetime.timedelta(days=1), PERIOD_ENDS) == []


# The decided work kept for the IQA (assessment.DecidedWork), written by the services that
# change current decisions


def kept():
    return set(
        DecidedWork.objects.values_list(
            "registration", "unit", "decided_by", "countersigned_by", "method", "assessed_on"
        )
    )


def afresh():
    """What the kept work would be, worked out from the current decisions now."""
    return set(
        Decision.objects.filter(current=True)
        .annotate(unit=unit_of_item())
        .values_list(
            "registration", "unit", "decided_by", "countersigned_by", "method", "assessed_on"
        )
        .distinct()
    )


def test_a_decision_recorded_is_in_the_work_kept_at_once(centre, sfj, assessor, assessed):
    period = (centre, sfj, PERIOD_STARTS, PERIOD_ENDS)
    decide(assessed, assessor, OTHER_UNITS[0])
    assert kept() == afresh() != set()
    assert unit(OTHER_UNITS[0]).pk in {w.unit for w in work_in_period(*period)}


def test_a_decision_superseded_leaves_the_work_kept_at_once(centre, sfj, assessor, assessed):
    later = ON + datetime.timedelta(days=20)
    decide(assessed, assessor, BEGUN_UNIT, "4.1", on=later)
    assert kept() == afresh()
    days = DecidedWork.objects.filter(registration=assessed, unit=unit(BEGUN_UNIT))
    assert list(days.values_list("assessed_on", flat=True)) == [later]
    # Out of a period that ends before it, as its decision is.
    period = (centre, sfj, PERIOD_STARTS, later - datetime.timedelta(days=1))
    assert unit(BEGUN_UNIT).pk not in {w.unit for w in work_in_period(*period)}


def test_a_countersignature_makes_its_countersigner_a_decider_of_the_work_kept_at_once(
    centre, centre_admin, sfj, iqa, trainee_assessor
):
    RoleFactory.create(user=iqa, centre=centre, kind=RoleKind.ASSESSOR)
    trainees = register(centre, centre_admin, sfj, trainee_assessor, iqa, "t.learner@example.org")
    decisions = decide(trainees, trainee_assessor, BEGUN_UNIT, "4.1")
    period = (centre, sfj, PERIOD_STARTS, PERIOD_ENDS)
    assert all(iqa.pk not in w.deciders for w in work_in_period(*period))
    decision_countersign(decisions=decisions, actor=iqa)
    assert kept() == afresh()
    assert [iqa.pk in w.deciders for w in work_in_period(*period)] == [True]


def test_a_decision_returned_to_the_trainee_leaves_the_work_kept_at_once(
    centre, centre_admin, sfj, iqa, assessor, trainee_assessor
):
    trainees = register(centre, centre_admin, sfj, trainee_assessor, iqa, "t.learner@example.org")
    [decision] = decide(trainees, trainee_assessor, BEGUN_UNIT, "4.1")
    period = (centre, sfj, PERIOD_STARTS, PERIOD_ENDS)
    assert [w.registration for w in work_in_period(*period)] == [trainees.pk]
    decision_return(decision=decision, reason="Not the criterion seen.", actor=assessor)
    assert kept() == afresh()
    assert work_in_period(*period) == []


def test_an_unlocked_unit_is_interim_work_again_and_a_withdrawn_learners_work_goes(
    centre, sfj, assessor, centre_admin, assessed
):
    period = (centre, sfj, PERIOD_STARTS, PERIOD_ENDS)

    def stages():
        return {unit_id: stage for _, unit_id, stage in (w.key for w in work_in_period(*period))}

    assert stages()[unit(SIGNED_UNIT).pk] == Stage.SUMMATIVE
    sign_off = UnitSignOff.objects.get(registration=assessed, unit=unit(SIGNED_UNIT))
    unit_unlock(sign_off=sign_off, reason="Signed off too soon.", actor=centre_admin)
    assert stages()[unit(SIGNED_UNIT).pk] == Stage.INTERIM
    registration_withdraw(registration=assessed, reason="Left the employer.", actor=centre_admin)
    assert work_in_period(*period) == []
    assert kept() == afresh()


def test_the_migration_and_the_load_data_fill_the_work_kept_as_the_services_keep_it(
    assessed, countersigned
):
    written = kept()
    fill_decided_work()
    assert kept() == written == afresh()


def test_the_plan_pages_pieces_are_the_planners_work_without_learners_and_deciders(
    centre, sfj, assessor, assessed, countersigned
):
    decide(assessed, assessor, OTHER_UNITS[0], on=ON + datetime.timedelta(days=30))
    for starts_on, ends_on in (
        (PERIOD_STARTS, PERIOD_ENDS),
        (ON + datetime.timedelta(days=1), PERIOD_ENDS),
        (PERIOD_STARTS, ON),
    ):
        period = (centre, sfj, starts_on, ends_on)
        work = work_in_period(*period)
        assert pieces_in_period(*period) == [
            Piece(w.registration, w.unit, w.assessor, w.methods, w.stage) for w in work
        ]
    assert len(work_in_period(centre, sfj, PERIOD_STARTS, PERIOD_ENDS)) == 4
