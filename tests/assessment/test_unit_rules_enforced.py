"""A `met` decision the unit's rules of assessment forbid is refused, quoting the rule
(decisions 48 and 51): CVQ unit U00306 allows simulation only in its elements 2 to 4, and
requires performance evidence for criteria 6.2 and 6.3."""

import datetime
from itertools import count

import pytest
from django.urls import reverse

from assessment.models import Decision, Outcome
from assessment.services import ForbiddenByRules, Judgement, decision_record
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.models import Evidence
from qualifications.models import Criterion, KnowledgeItem
from qualifications.requirements import EvidenceKindRule, SimulationRule
from tests.audit import AuditWatch
from tests.portfolios.files import pdf

DAY = datetime.date(2026, 10, 6)
MET = Judgement(Outcome.MET, "observation", DAY)
UNIT = "U00306"
FILES = count()


def add(cvq_registration, learner, setting="real_work", kind=""):
    details = EvidenceDetails("Till drill", DAY, "product", setting=setting, kind=kind)
    return evidence_add(
        registration=cvq_registration,
        details=details,
        files=[pdf(extra=str(next(FILES)).encode())],
        declared=True,
        actor=learner,
    )


def criterion(number):
    return Criterion.objects.get(unit__code=UNIT, number=number)


def decide(cvq_registration, assessor, evidence, *numbers, outcome=MET):
    return decision_record(
        registration=cvq_registration,
        targets=Targets(criteria=frozenset(criterion(n).pk for n in numbers)),
        judgement=outcome,
        evidence=[evidence],
        actor=assessor,
    )


def unit_rule():
    return SimulationRule.objects.get(unit__code=UNIT, element="")


def test_simulated_evidence_alone_cannot_meet_a_criterion_where_the_unit_forbids_it(
    cvq_registration, learner, assessor
):
    evidence = add(cvq_registration, learner, setting="simulated")
    audit = AuditWatch()
    with pytest.raises(ForbiddenByRules) as refused:
        decide(cvq_registration, assessor, evidence, "1.1")
    (message,) = refused.value.messages
    assert message.startswith("Criterion 1.1 cannot be met on simulated performance evidence")
    assert UNIT in message and "element 1" in message
    assert f"“{unit_rule().quote}”" in message
    # No decision, the evidence not marked judged; only its setting and kind kept as the
    # assessor saw them (decision 51, amended), so the learner cannot relabel it.
    assert not Decision.objects.exists()
    assert audit.actions() == ["evidence.classification_kept"]
    evidence.refresh_from_db()
    assert not evidence.is_locked


def test_simulated_evidence_meets_criteria_in_the_elements_that_allow_it(
    cvq_registration, learner, assessor
):
    evidence = add(cvq_registration, learner, setting="simulated")
    made = decide(cvq_registration, assessor, evidence, "2.1", "3.1", "4.1")
    assert len(made) == 3
    assert SimulationRule.objects.get(unit__code=UNIT, element="2").allowed


def test_one_forbidden_criterion_refuses_the_whole_decision(cvq_registration, learner, assessor):
    evidence = add(cvq_registration, learner, setting="simulated")
    with pytest.raises(ForbiddenByRules) as refused:
        decide(cvq_registration, assessor, evidence, "2.1", "5.1")
    assert [m.split(" cannot")[0] for m in refused.value.messages] == ["Criterion 5.1"]
    assert not Decision.objects.exists()


def test_real_work_and_not_yet_are_never_refused_for_simulation(
    cvq_registration, learner, assessor
):
    assert len(decide(cvq_registration, assessor, add(cvq_registration, learner), "1.1")) == 1
    simulated = add(cvq_registration, learner, setting="simulated")
    assert decide(
        cvq_registration, assessor, simulated, "1.2", outcome=Judgement("not_yet", "product", DAY)
    )


def test_criteria_requiring_performance_evidence_are_not_met_on_another_kind(
    cvq_registration, learner, assessor
):
    rule = EvidenceKindRule.objects.get(unit__code=UNIT, kind="performance", need="required")
    evidence = add(cvq_registration, learner, kind="supplementary")
    audit = AuditWatch()
    with pytest.raises(ForbiddenByRules) as refused:
        decide(cvq_registration, assessor, evidence, "6.2", "6.1")
    (message,) = refused.value.messages
    assert message.startswith("Criterion 6.2 cannot be met on this evidence alone")
    assert "performance evidence is required" in message and f"“{rule.quote}”" in message
    # Its kind kept as the assessor saw it (decision 51, amended): only they may change it now.
    assert not Decision.objects.exists() and audit.actions() == ["evidence.classification_kept"]


def test_performance_evidence_meets_them(cvq_registration, learner, assessor):
    assert decide(
        cvq_registration, assessor, add(cvq_registration, learner, kind="performance"), "6.2"
    )


def test_underpinning_knowledge_is_not_met_on_performance_evidence_alone(
    cvq_registration, learner, assessor
):
    item = KnowledgeItem.objects.filter(unit__code=UNIT).order_by("pk")[0]
    evidence = add(cvq_registration, learner, kind="performance")
    with pytest.raises(ForbiddenByRules) as refused:
        decision_record(
            registration=cvq_registration,
            targets=Targets(knowledge_items=frozenset({item.pk})),
            judgement=MET,
            evidence=[evidence],
            actor=assessor,
        )
    assert "knowledge and understanding evidence is required" in refused.value.messages[0]


def test_the_refusal_is_shown_under_the_decision_on_the_review_page(
    client, cvq_registration, learner, assessor
):
    evidence = add(cvq_registration, learner, setting="simulated")
    client.force_login(assessor)
    page = client.post(
        reverse("assessment:evidence-review", args=[evidence.pk]),
        {
            "outcome": "met",
            "method": "observation",
            "assessed_on": "2026-10-06",
            "criteria": [criterion("1.1").pk],
        },
    )
    (message,) = page.context["form"].errors["outcome"]
    assert unit_rule().quote in message
    html = page.content.decode()
    under = html.split('id="id_outcome_error"', 1)[1].split("</div>", 1)[0]
    assert "Criterion 1.1 cannot be met on simulated performance evidence" in under
    assert not Decision.objects.exists()
    assert not Evidence.objects.get().is_locked
