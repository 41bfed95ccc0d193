"""An item met through RPL in force takes no decision (decision 54, amended): the decision is
refused naming the item, and the review page shows it met through RPL, never ticked and not
to be ticked. Withdrawn, it is decided as any other."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from assessment.models import Decision
from assessment.progress import CriterionState
from assessment.services import MET_BY_RPL, DecisionRefused
from portfolios.models import Mapping
from portfolios.prior_learning import rpl_item_withdraw
from tests.portfolios.test_prior_learning_items import (
    agree,
    certificate_copy,
    criteria,
    decide,
)

__all__ = ["certificate_copy"]


def test_a_decision_on_a_criterion_met_through_rpl_is_refused_and_nothing_is_recorded(
    registration, assessor, certificate_copy
):
    first, second, *_ = criteria()
    [made] = agree(registration, assessor, certificate_copy, [("criterion", first.pk)])
    with pytest.raises(DecisionRefused) as refused:
        decide(registration, assessor, certificate_copy, [first.pk, second.pk])
    assert refused.value.messages == [
        MET_BY_RPL.format(items=f"Criterion {first.number}", are="is")
    ]
    assert not Decision.objects.exists()
    # Withdrawn, the criterion is assessed as any other.
    rpl_item_withdraw(record=made, reason="The course did not cover it", actor=assessor)
    decide(registration, assessor, certificate_copy, [first.pk, second.pk])
    assert Decision.objects.filter(criterion=first, current=True).exists()


def test_the_review_page_shows_an_rpl_criterion_met_and_offers_no_box_to_tick(
    registration, assessor, learner, certificate_copy
):
    first, second, *_ = criteria()
    for c in (first, second):
        Mapping.objects.create(evidence=certificate_copy, criterion=c, proposed_by=learner)
    agree(registration, assessor, certificate_copy, [("criterion", first.pk)])
    client = Client()
    client.force_login(assessor)
    page = client.get(reverse("assessment:evidence-review", args=[certificate_copy.pk]))
    text = page.content.decode()
    box = f'value="{first.pk}" id="c-{first.pk}"'
    assert f"{box} disabled>" in text
    assert f'value="{second.pk}" id="c-{second.pk}" checked>' in text  # mapped, undecided
    assert first.pk not in page.context["chosen"]["criteria"]
    assert page.context["states"]["criteria"][first.pk] == CriterionState.RPL
    # Sent anyway (a stale page), the decision is refused with the reason.
    response = client.post(
        reverse("assessment:evidence-review", args=[certificate_copy.pk]),
        {
            "criteria": [first.pk],
            "outcome": "met",
            "method": "product",
            "assessed_on": datetime.date(2026, 10, 6).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "met through RPL" in response.content.decode()
    assert not Decision.objects.exists()


def test_a_withdrawn_criterion_rpl_is_no_longer_listed_as_met_on_the_registration_page(
    registration, assessor, learner, certificate_copy
):
    first, second, *_ = criteria()
    made = agree(
        registration,
        assessor,
        certificate_copy,
        [("criterion", first.pk), ("criterion", second.pk)],
    )
    rpl_item_withdraw(record=made[0], reason="The course did not cover it", actor=assessor)
    client = Client()
    client.force_login(learner)
    page = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    met = [r.pk for r in page.context["prior_learning_items"]]
    assert met == [made[1].pk]
    assert [r.pk for r in page.context["prior_learning_items_withdrawn"]] == [made[0].pk]
    text = page.content.decode()
    listed_as_met = text.split('data-testid="prior-items"')[1].split("</ul>")[0]
    assert f"criterion {second.number}" in listed_as_met
    assert f"criterion {first.number}<" not in listed_as_met
    withdrawn = text.split('data-testid="prior-items-withdrawn"')[1].split("</ul>")[0]
    assert f"criterion {first.number}" in withdrawn and "The course did not cover it" in withdrawn
