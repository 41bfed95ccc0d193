"""Simulated evidence called supplementary or knowledge evidence does not escape the simulation
rule (review of issue 20, decision 51 amended): where simulation is forbidden, a `met` decision
or criterion RPL resting on it alone is refused, quoting the rule; beside a piece from real work
it supports and is accepted. The attack: Zara's C&G unit D/601/0936 ("Simulation is not allowed
for any performance evidence within this Unit."), simulated evidence marked supplementary,
mapped to criteria 1.2 and 1.3, met on the review page."""

import datetime
import html

import pytest
from django.test import Client
from django.urls import reverse

from assessment.models import Decision
from assessment.services import DecisionRefused, Judgement, decision_record
from assessment.unit_rules import SIMULATION_SUPPORT_ONLY
from portal.models import AuditEntry
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Evidence, PriorLearningItem
from portfolios.prior_learning import PriorDetails, PriorLearningRefused, rpl_items_record
from qualifications.models import Criterion, Unit
from tests.assessment.test_requirements_met import OTHER, cg  # noqa: F401
from tests.portfolios.files import pdf

ON = datetime.date(2026, 10, 6)


def criterion(number: str, code: str = OTHER) -> Criterion:
    return Criterion.objects.get(unit__code=code, number=number)


def refusal(numbers: str, code: str = OTHER) -> str:
    unit = Unit.objects.get(code=code)
    rule = unit.simulation_rules.get(element="")
    assert rule.quote.endswith(
        "Simulation is not allowed for any performance evidence within this Unit."
    )
    return SIMULATION_SUPPORT_ONLY.format(
        item=f"Criteria {numbers}",
        unit=f"{unit.code} {unit.title}",
        where="the unit (element 1 included)",
        quote=rule.quote,
    )


def uploaded(client: Client, registration, title: str, setting: str, kind: str) -> Evidence:
    """The learner uploads through the page and maps to criteria 1.2 and 1.3."""
    answer = client.post(
        reverse("portfolios:evidence-new", args=[registration.pk]),
        {
            "title": title,
            "occurred_on": "2026-10-05",
            "method": "product",
            "setting": setting,
            "kind": kind,
            "evidence_files": [pdf(f"{title}.pdf", title.encode())],
            "declaration": "on",
        },
    )
    assert answer.status_code == 302, answer.context["form"].errors
    evidence = Evidence.objects.get(title=title)
    assert (evidence.setting, evidence.kind) == (setting, kind)
    mapped = client.post(
        reverse("portfolios:evidence-map", args=[evidence.pk]),
        {"criteria": [criterion("1.2").pk, criterion("1.3").pk]},
    )
    assert mapped.status_code == 302
    return evidence


def review(client: Client, evidence: Evidence):
    return client.post(
        reverse("assessment:evidence-review", args=[evidence.pk]),
        {
            "outcome": "met",
            "method": "observation",
            "assessed_on": ON.isoformat(),
            "criteria": [criterion("1.2").pk, criterion("1.3").pk],
        },
    )


@pytest.mark.parametrize("kind", ["supplementary", "knowledge"])
def test_the_attack_through_the_pages_is_refused_with_the_rule_quoted(
    cg,  # noqa: F811
    learner,
    assessor,
    kind,
):
    learner_client, assessor_client = Client(), Client()
    learner_client.force_login(learner)
    assessor_client.force_login(assessor)
    evidence = uploaded(learner_client, cg, "Role play at college", "simulated", kind)
    page = review(assessor_client, evidence)
    assert page.status_code == 200
    assert page.context["form"].errors["outcome"] == [refusal("1.2, 1.3")]
    assert refusal("1.2, 1.3") in html.unescape(page.content.decode())
    assert not Decision.objects.exists()


def test_real_work_beside_simulated_supplementary_evidence_is_accepted(
    cg,  # noqa: F811
    learner,
    assessor,
):
    learner_client, assessor_client = Client(), Client()
    learner_client.force_login(learner)
    assessor_client.force_login(assessor)
    role_play = uploaded(learner_client, cg, "Role play at college", "simulated", "supplementary")
    real = uploaded(learner_client, cg, "Busy Saturday at the desk", "real_work", "performance")
    with pytest.raises(DecisionRefused):  # alone, through the service too
        decision_record(
            registration=cg,
            targets=Targets(criteria=frozenset({criterion("1.2").pk, criterion("1.3").pk})),
            judgement=Judgement("met", "observation", ON),
            evidence=[role_play],
            actor=assessor,
        )
    made = decision_record(
        registration=cg,
        targets=Targets(criteria=frozenset({criterion("1.2").pk, criterion("1.3").pk})),
        judgement=Judgement("met", "observation", ON),
        evidence=[role_play, real],
        actor=assessor,
    )
    assert len(made) == 2
    assert Decision.objects.filter(outcome="met", provisional=False).count() == 2


@pytest.mark.parametrize(("setting", "kind"), [("real_work", "supplementary"), ("realistic", "")])
def test_supplementary_evidence_from_real_work_or_an_accepted_environment_stands(
    cg,  # noqa: F811
    learner,
    assessor,
    setting,
    kind,
):
    """Unit 209 accepts a realistic working environment: there it is real work; and real-work
    supplementary evidence is not simulated. (Its kind rules are another matter: none apply.)"""
    learner_client, assessor_client = Client(), Client()
    learner_client.force_login(learner)
    assessor_client.force_login(assessor)
    evidence = uploaded(learner_client, cg, "Placement notes", setting, kind or "supplementary")
    answer = review(assessor_client, evidence)
    assert answer.status_code == 302
    assert Decision.objects.filter(outcome="met").count() == 2


@pytest.mark.parametrize("kind", ["supplementary", "knowledge"])
def test_criterion_rpl_on_simulated_supplementary_evidence_alone_is_refused(
    cg,  # noqa: F811
    learner,
    assessor,
    kind,
):
    details = EvidenceDetails("Role play at college", ON, "product", setting="simulated", kind=kind)
    evidence = evidence_add(
        registration=cg, details=details, files=[pdf()], declared=True, actor=learner
    )
    mapping_propose(
        evidence=evidence,
        targets=Targets(criteria=frozenset({criterion("1.2").pk, criterion("1.3").pk})),
        actor=learner,
    )
    prior = PriorDetails(Unit.objects.get(code=OTHER).pk, "College course", ON, evidence)
    with pytest.raises(PriorLearningRefused) as refused:
        rpl_items_record(
            registration=cg,
            details=prior,
            items=[("criterion", criterion("1.2").pk), ("criterion", criterion("1.3").pk)],
            actor=assessor,
        )
    assert refused.value.messages == [refusal("1.2, 1.3")]
    assert refused.value.fields == {refusal("1.2, 1.3"): "evidence"}
    assert not PriorLearningItem.objects.exists()


def test_criterion_rpl_on_real_work_supplementary_evidence_is_agreed(
    cg,  # noqa: F811
    learner,
    assessor,
):
    details = EvidenceDetails("Old job's appraisal", ON, "product", kind="supplementary")
    evidence = evidence_add(
        registration=cg, details=details, files=[pdf()], declared=True, actor=learner
    )
    prior = PriorDetails(Unit.objects.get(code=OTHER).pk, "Previous job", ON, evidence)
    rpl_items_record(
        registration=cg,
        details=prior,
        items=[("criterion", criterion("1.2").pk)],
        actor=assessor,
    )
    assert PriorLearningItem.objects.count() == 1


def test_after_a_refusal_the_learner_cannot_relabel_the_evidence_as_real_work(
    cg,  # noqa: F811
    learner,
    assessor,
):
    """The re-check review's attack: the decision refused on simulated evidence, the learner
    saved the same evidence again as real work and the next `met` was accepted. A refusal by the
    unit's rules now keeps what the evidence was said to be, as the assessor saw it."""
    learner_client, assessor_client = Client(), Client()
    learner_client.force_login(learner)
    assessor_client.force_login(assessor)
    evidence = uploaded(learner_client, cg, "Role play at college", "simulated", "supplementary")
    assert review(assessor_client, evidence).context["form"].errors["outcome"]
    evidence.refresh_from_db()
    assert evidence.classified_by == assessor and evidence.classified_at is not None
    entry = AuditEntry.objects.get(action="evidence.classification_kept")
    assert entry.subject == f"evidence:{evidence.pk}"
    assert entry.after == {"setting": "simulated", "kind": "supplementary"}
    relabelled = learner_client.post(
        reverse("portfolios:evidence-edit", args=[evidence.pk]),
        {
            "title": evidence.title,
            "occurred_on": "2026-10-05",
            "method": "product",
            "description": "",
            "setting": "real_work",
            "kind": "performance",
        },
    )
    assert relabelled.status_code in (200, 302)
    evidence.refresh_from_db()
    assert (evidence.setting, evidence.kind) == ("simulated", "supplementary")
    assert review(assessor_client, evidence).context["form"].errors["outcome"]
    assert not Decision.objects.exists()
