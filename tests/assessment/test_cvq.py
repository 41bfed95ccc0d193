"""A CVQ unit is complete only when its range and underpinning knowledge are met too."""

import datetime

import pytest
from django.urls import reverse

from assessment.services import (
    GAP_NO_DECISION,
    DecisionRefused,
    Judgement,
    decision_record,
    unit_gaps,
    unit_sign_off,
)
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from qualifications.models import Criterion, KnowledgeItem, RangeItem, Unit
from tests.factories import PASSWORD
from tests.portfolios.files import pdf


def test_range_and_knowledge_show_on_the_unit_page_and_hold_back_sign_off(
    client, cvq_registration, learner, assessor
):
    unit = Unit.objects.get(code="U09602")
    angry = RangeItem.objects.get(unit=unit, element="1", category="A", number="ii")
    rights = KnowledgeItem.objects.get(unit=unit, number="1")
    details = EvidenceDetails("Angry customer", datetime.date(2026, 10, 5), "product")
    evidence = evidence_add(
        registration=cvq_registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    mapping_propose(
        evidence=evidence,
        targets=Targets(range_items=frozenset({angry.pk}), knowledge_items=frozenset({rights.pk})),
        actor=learner,
    )
    every_criterion = frozenset(Criterion.objects.filter(unit=unit).values_list("pk", flat=True))
    decision_record(
        registration=cvq_registration,
        targets=Targets(criteria=every_criterion, range_items=frozenset({angry.pk})),
        judgement=Judgement("met", "observation", datetime.date(2026, 10, 5)),
        evidence=[evidence],
        actor=assessor,
    )
    client.force_login(learner)
    url = reverse("assessment:unit-progress", args=[cvq_registration.pk, unit.pk])
    rows = client.get(url).context["other_items"]
    states = {row.label: row.state for row in rows}
    assert states[f"Range {angry.reference}"] == "Met"
    assert states["K1"] == "Evidence proposed"
    assert len(rows) == unit.range_items.count() + unit.knowledge_items.count()

    with pytest.raises(DecisionRefused) as refused:
        unit_sign_off(
            registration=cvq_registration,
            unit_id=unit.pk,
            signature="Samir Patel",
            password=PASSWORD,
            declared=True,
            actor=assessor,
        )
    # Counted as the page groups them; the page names K1 among them.
    assert "items have no decision" in str(refused.value)
    assert "knowledge K1" in unit_gaps(cvq_registration, unit.pk).named(GAP_NO_DECISION)
    assert f"range {angry.reference} " not in str(refused.value)
    assert "criterion" not in str(refused.value)


def test_a_cvq_units_range_items_show_with_their_heading_state_and_history(
    client,
    cvq_registration,
    learner,
    assessor,
):
    unit = Unit.objects.get(code="U09602")
    angry = RangeItem.objects.get(unit=unit, element="1", category="A", number="ii")
    decision_record(
        registration=cvq_registration,
        targets=Targets(range_items=frozenset({angry.pk})),
        judgement=Judgement("not_yet", "observation", datetime.date(2026, 10, 5), "Again."),
        evidence=[],
        actor=assessor,
    )
    client.force_login(learner)
    url = reverse("assessment:unit-progress", args=[cvq_registration.pk, unit.pk])
    html = client.get(url).content.decode()
    history = reverse("assessment:item-history", args=[cvq_registration.pk, "range_item", angry.pk])
    assert (
        f'<span class="fw-semibold">Range {angry.reference}</span> {angry.heading}: {angry.text}'
        # The decision's feedback to the learner, under the item's words.
        '<div class="small mt-1">Assessor\'s feedback: Again.</div>\n'
        f'<a class="small d-block" href="{history}">History'
        f'<span class="visually-hidden"> of Range {angry.reference}</span></a></td>'
        '<td class="text-nowrap" data-label="State">'
        '<span class="badge text-bg-danger">Not yet met</span></td></tr>'
    ) in html
