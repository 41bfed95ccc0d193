"""The gaps a review found in the rules a `met` decision is checked against (decision 53):
simulation judged on the performance evidence, range items judged for simulation, a kind not
stated showing no required kind, required methods enforced, and the evidence read again under
the registration's lock."""

import datetime

import pytest

from assessment.models import Decision
from assessment.services import ForbiddenByRules, decision_record, evidence_classify
from assessment.unit_rules import METHOD_SHOWN_BY, methods_shown
from portfolios.evidence import EvidenceDetails
from portfolios.mapping import Targets
from portfolios.models import Evidence, EvidenceMethod
from qualifications.models import KnowledgeItem, RangeItem
from qualifications.requirements import AssessmentMethod, EvidenceKindRule, MethodRule
from tests.assessment.test_unit_rules_enforced import MET, UNIT, add, criterion, decide

DAY = datetime.date(2026, 10, 6)


def decide_on(registration, assessor, evidence, targets):
    return decision_record(
        registration=registration,
        targets=targets,
        judgement=MET,
        evidence=evidence,
        actor=assessor,
    )


def record(registration, assessor, method="questioning", kind="knowledge"):
    """The assessor's own record (questions and answers, by default) of a stated kind."""
    from assessment.services import evidence_record

    details = EvidenceDetails(
        "Questions on security", DAY, method, "Asked and answered: ...", kind=kind
    )
    return evidence_record(registration=registration, details=details, files=[], actor=assessor)


def knowledge_item():
    return KnowledgeItem.objects.filter(unit__code=UNIT).order_by("pk")[0]


# 3. Simulation is judged on the performance evidence.


def test_a_real_work_piece_of_another_kind_does_not_make_simulated_performance_evidence_real(
    cvq_registration, learner, assessor
):
    simulated = add(cvq_registration, learner, setting="simulated", kind="performance")
    statement = add(cvq_registration, learner, kind="supplementary")
    with pytest.raises(ForbiddenByRules) as refused:
        decide_on(
            cvq_registration,
            assessor,
            [simulated, statement],
            Targets(criteria=frozenset({criterion("1.1").pk})),
        )
    (message,) = refused.value.messages
    assert message.startswith("Criterion 1.1 cannot be met on simulated performance evidence")
    assert not Decision.objects.exists()


def test_simulated_evidence_of_a_kind_not_stated_counts_as_performance_evidence(
    cvq_registration, learner, assessor
):
    simulated = add(cvq_registration, learner, setting="simulated")
    statement = add(cvq_registration, learner, kind="supplementary")
    with pytest.raises(ForbiddenByRules):
        decide_on(
            cvq_registration,
            assessor,
            [simulated, statement],
            Targets(criteria=frozenset({criterion("1.1").pk})),
        )


def test_real_performance_evidence_beside_simulated_meets_it(cvq_registration, learner, assessor):
    simulated = add(cvq_registration, learner, setting="simulated", kind="performance")
    real = add(cvq_registration, learner, kind="performance")
    made = decide_on(
        cvq_registration,
        assessor,
        [simulated, real],
        Targets(criteria=frozenset({criterion("1.1").pk})),
    )
    assert len(made) == 1


def test_simulated_supplementary_evidence_alone_does_not_meet_it(
    cvq_registration, learner, assessor
):
    """Reversed after review (decision 51 amended): simulated evidence marked supplementary used
    to meet 1.1 alone, as nothing of it was performance evidence. It now only supports."""
    statement = add(cvq_registration, learner, setting="simulated", kind="supplementary")
    with pytest.raises(ForbiddenByRules) as refused:
        decide_on(
            cvq_registration,
            assessor,
            [statement],
            Targets(criteria=frozenset({criterion("1.1").pk})),
        )
    (message,) = refused.value.messages
    assert message.startswith("Criterion 1.1 cannot be met on simulated evidence alone")
    assert "does not make it real work" in message
    real = add(cvq_registration, learner, kind="performance")
    assert decide_on(
        cvq_registration,
        assessor,
        [statement, real],
        Targets(criteria=frozenset({criterion("1.1").pk})),
    )


def test_simulated_supplementary_evidence_meets_an_element_that_allows_simulation(
    cvq_registration, learner, assessor
):
    statement = add(cvq_registration, learner, setting="simulated", kind="supplementary")
    assert decide(cvq_registration, assessor, statement, "2.1")


# 5. Range items are judged for simulation, by their element.


def range_item(element):
    return RangeItem.objects.filter(unit__code=UNIT, element=element).order_by("pk")[0]


def test_a_range_item_in_an_element_without_simulation_is_not_met_on_simulated_evidence(
    cvq_registration, learner, assessor
):
    simulated = add(cvq_registration, learner, setting="simulated")
    item = range_item("1")
    with pytest.raises(ForbiddenByRules) as refused:
        decide_on(
            cvq_registration, assessor, [simulated], Targets(range_items=frozenset({item.pk}))
        )
    (message,) = refused.value.messages
    assert message.startswith(f"Range item {item.reference} cannot be met on simulated")
    assert "element 1 included" in message
    assert not Decision.objects.exists()


def test_a_range_item_in_an_element_allowing_simulation_is_met_on_simulated_evidence(
    cvq_registration, learner, assessor
):
    simulated = add(cvq_registration, learner, setting="simulated")
    item = range_item("2")
    made = decide_on(
        cvq_registration, assessor, [simulated], Targets(range_items=frozenset({item.pk}))
    )
    assert len(made) == 1


# 4. A kind not stated shows no kind the unit requires.


def test_evidence_of_a_kind_not_stated_does_not_show_a_required_kind(
    cvq_registration, learner, assessor
):
    rule = EvidenceKindRule.objects.get(unit__code=UNIT, kind="performance", need="required")
    evidence = add(cvq_registration, learner)
    with pytest.raises(ForbiddenByRules) as refused:
        decide(cvq_registration, assessor, evidence, "6.3")
    (message,) = refused.value.messages
    assert message.startswith("Criterion 6.3 cannot be met on this evidence alone")
    assert "performance evidence is required" in message
    assert "does not say what kind of evidence it is" in message
    assert "State its kind" in message and f"“{rule.quote}”" in message
    assert not Decision.objects.exists()
    # Once the assessor states its kind, the decision is made.
    evidence_classify(evidence=evidence, setting="real_work", kind="performance", actor=assessor)
    assert decide(cvq_registration, assessor, evidence, "6.3")


def test_one_piece_of_the_required_kind_among_pieces_not_stated_is_enough(
    cvq_registration, learner, assessor
):
    performance = add(cvq_registration, learner, kind="performance")
    unstated = add(cvq_registration, learner)
    made = decide_on(
        cvq_registration,
        assessor,
        [performance, unstated],
        Targets(criteria=frozenset({criterion("6.3").pk})),
    )
    assert len(made) == 1


# 2. Required methods.


def test_underpinning_knowledge_must_be_assessed_by_questioning(
    cvq_registration, learner, assessor
):
    rule = MethodRule.objects.get(unit__code=UNIT, method="questioning", need="required")
    written = add(cvq_registration, learner, kind="knowledge")  # a product of work
    item = knowledge_item()
    with pytest.raises(ForbiddenByRules) as refused:
        decide_on(
            cvq_registration, assessor, [written], Targets(knowledge_items=frozenset({item.pk}))
        )
    (message,) = refused.value.messages
    assert message.startswith(f"Knowledge item {item.number} cannot be met on this evidence")
    assert "must be assessed by questioning" in message and "product of work" in message
    assert f"“{rule.quote}”" in message
    assert not Decision.objects.exists()
    # Questions and answers of the knowledge kind meet it, alone or beside the product.
    asked = record(cvq_registration, assessor)
    made = decide_on(
        cvq_registration,
        assessor,
        [written, asked],
        Targets(knowledge_items=frozenset({item.pk})),
    )
    assert len(made) == 1


def test_a_method_required_for_knowledge_evidence_does_not_apply_to_criteria(
    cvq_registration, learner, assessor
):
    assert decide(cvq_registration, assessor, add(cvq_registration, learner), "1.1")


def test_every_method_of_evidence_is_mapped_and_a_portfolio_is_shown_by_any_evidence():
    assert set(METHOD_SHOWN_BY) == set(EvidenceMethod.values)
    for method in EvidenceMethod.values:
        shown = methods_shown([Evidence(method=method)])
        assert AssessmentMethod.PORTFOLIO in shown
    assert methods_shown([Evidence(method="reflective_account")]) == {
        AssessmentMethod.PERSONAL_STATEMENT,
        AssessmentMethod.PORTFOLIO,
    }
    assert methods_shown([Evidence(method="rpl")]) == {AssessmentMethod.PORTFOLIO}


# 6. The evidence is read again under the registration's lock.


def test_the_rules_are_checked_against_the_evidence_as_it_is_under_the_lock(
    cvq_registration, learner, assessor
):
    evidence = add(cvq_registration, learner)  # real work, as the caller read it
    # Marked simulated by another request before this one took the lock.
    Evidence.objects.filter(pk=evidence.pk).update(setting="simulated")
    assert evidence.setting == "real_work"
    with pytest.raises(ForbiddenByRules):
        decide(cvq_registration, assessor, evidence, "1.1")
    assert not Decision.objects.exists()
