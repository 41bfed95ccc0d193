"""A refused decision on the evidence review page is said where the page returns to (its
message area at the top), as well as under the field it is about (issue 20's review)."""

import re

from django.urls import reverse

from assessment.models import Decision
from tests.assessment.test_unit_rules_enforced import add, criterion


def top(html: str) -> str:
    found = re.search(r'<div id="messages"[^>]*>(.*?)</div>\s*<nav', html, re.S)
    assert found, "no message area"
    return found.group(1)


def post(client, evidence, **data):
    sent = {"outcome": "met", "method": "observation", "assessed_on": "2026-10-06", **data}
    return client.post(reverse("assessment:evidence-review", args=[evidence.pk]), sent)


def test_a_refused_met_is_said_at_the_top_too(client, cvq_registration, learner, assessor):
    evidence = add(cvq_registration, learner, setting="simulated")
    client.force_login(assessor)
    page = post(client, evidence, criteria=[criterion("1.1").pk])
    html = page.content.decode()
    said = top(html)
    assert "Criterion 1.1 cannot be met on simulated performance evidence" in said
    assert "alert-danger" in said
    assert page.context["form"].errors["outcome"]  # and still under the radios
    assert not Decision.objects.exists()


def test_a_form_sent_with_nothing_ticked_says_so_at_the_top(
    client, cvq_registration, learner, assessor
):
    evidence = add(cvq_registration, learner)
    client.force_login(assessor)
    html = post(client, evidence).content.decode()
    assert "Nothing was recorded" in top(html)
    assert not Decision.objects.exists()


def test_a_decision_recorded_says_so_and_nothing_more(client, cvq_registration, learner, assessor):
    evidence = add(cvq_registration, learner)
    client.force_login(assessor)
    page = post(client, evidence, criteria=[criterion("1.1").pk])
    assert page.status_code == 302
    html = client.get(page.url).content.decode()
    assert "Nothing was recorded" not in html and "1 decision recorded." in top(html)
