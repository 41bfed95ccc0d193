"""Evidence from a realistic working environment (decision 51, amended on 7 December 2026):
real work for the units whose specification accepts it (C&G 3412 units 208 to 219, seed 003
line 185: "However, for this Unit, evidence collected in a realistic working environment or a
work placement is permissible."; CVQ U09602, seed 004 line 193: "in a realistic working
environment;"), simulated for every other unit (e.g. CVQ U12902, seed 004 line 329: "You must
supply all the evidence from work you have carried out with customers in your workplace.")."""

import datetime

import pytest

from assessment.models import Decision, SufficiencyRecord
from assessment.services import DecisionRefused, Judgement, decision_record, sufficiency_record
from portfolios.mapping import Targets
from portfolios.models import PriorLearning
from portfolios.prior_learning import PriorDetails, PriorLearningRefused, rpl_record
from qualifications import catalogue_files
from qualifications.models import Criterion, Unit
from qualifications.requirements import EnvironmentRule
from tests.assessment.test_requirements_met import UNIT, cg, piece  # noqa: F401

ON = datetime.date(2026, 10, 6)
CVQ_ACCEPTS, CVQ_REFUSES = "U09602", "U12902"


def criteria(code):
    return frozenset(Criterion.objects.filter(unit__code=code).values_list("pk", flat=True))


def decide(registration, assessor, evidence, code):
    decision_record(
        registration=registration,
        targets=Targets(criteria=criteria(code)),
        judgement=Judgement("met", "observation", ON),
        evidence=[evidence],
        actor=assessor,
    )


def test_the_catalogue_says_which_units_accept_a_realistic_working_environment(catalogue_db):
    accepting = set(EnvironmentRule.objects.values_list("unit__code", flat=True))
    assert UNIT in accepting and CVQ_ACCEPTS in accepting
    assert CVQ_REFUSES not in accepting and "U00306" not in accepting
    assert len(accepting) == 13  # C&G units 208 to 219, and U09602
    texts = " ".join(
        " ".join(path.read_text().split()) for path in catalogue_files.SEEDS_DIR.glob("00[34]_*")
    )
    for rule in EnvironmentRule.objects.all():
        assert " ".join(rule.quote.split()) in texts


def test_it_is_real_work_where_the_unit_accepts_it(cg, learner, assessor):  # noqa: F811
    unit = Unit.objects.get(code=UNIT)  # simulation is not allowed, a realistic environment is
    evidence = piece(cg, learner, "Placement at the helpdesk", setting="realistic")
    decide(cg, assessor, evidence, UNIT)
    assert Decision.objects.filter(outcome="met").count() == len(criteria(UNIT))
    sufficiency_record(
        registration=cg,
        unit_id=unit.pk,
        measure="customers",
        evidence=evidence.pk,
        description="Mrs Achebe",
        actor=assessor,
    )
    assert SufficiencyRecord.objects.count() == 1


def test_it_is_simulated_where_the_unit_does_not_accept_it(cvq_registration, learner, assessor):
    unit = Unit.objects.get(code=CVQ_REFUSES)
    evidence = piece(
        cvq_registration, learner, "Training room", unit_code=CVQ_REFUSES, setting="realistic"
    )
    with pytest.raises(DecisionRefused) as refused:
        decide(cvq_registration, assessor, evidence, CVQ_REFUSES)
    assert any(
        "cannot be met on simulated performance evidence" in m and f"in {CVQ_REFUSES}" in m
        for m in refused.value.messages
    )
    rule = unit.sufficiency_rules.get(measure="occasions")
    with pytest.raises(DecisionRefused) as refused:
        sufficiency_record(
            registration=cvq_registration,
            unit_id=unit.pk,
            measure="occasions",
            evidence=evidence.pk,
            description="Tuesday",
            actor=assessor,
        )
    assert refused.value.messages == [
        "“Training room” is from a realistic working environment, which this unit does not "
        f"accept as real work: only real work counts toward different occasions. The "
        f"specification says: “{rule.quote}”"
    ]
    assert not Decision.objects.exists() and not SufficiencyRecord.objects.exists()


def test_a_cvq_unit_that_names_it_accepts_it(cvq_registration, learner, assessor):
    evidence = piece(
        cvq_registration, learner, "Work placement", unit_code=CVQ_ACCEPTS, setting="realistic"
    )
    try:
        decide(cvq_registration, assessor, evidence, CVQ_ACCEPTS)
    except DecisionRefused as refused:
        # Whatever else its rules ask (a kind of evidence), simulation is not what refuses it.
        assert not [m for m in refused.messages if "simulated performance evidence" in m]
    else:
        assert Decision.objects.filter(outcome="met").count() == len(criteria(CVQ_ACCEPTS))


def test_rpl_on_it_is_agreed_only_where_the_unit_accepts_it(cvq_registration, learner, assessor):
    for code, agreed in ((CVQ_REFUSES, False), (CVQ_ACCEPTS, True)):
        evidence = piece(
            cvq_registration, learner, f"Placement for {code}", unit_code=code, setting="realistic"
        )
        details = PriorDetails(
            Unit.objects.get(code=code).pk, "A placement", datetime.date(2026, 5, 4), evidence
        )
        if agreed:
            assert rpl_record(registration=cvq_registration, details=details, actor=assessor)
            continue
        with pytest.raises(PriorLearningRefused) as refused:
            rpl_record(registration=cvq_registration, details=details, actor=assessor)
        assert all(
            "cannot be met on simulated performance evidence" in m for m in refused.value.messages
        )
    assert list(PriorLearning.objects.values_list("unit__code", flat=True)) == [CVQ_ACCEPTS]
