# ruff: noqa: F811
"""The unit page as a new user meets it (issue 20's review): the requirement forms say why they
cannot be used, and their messages appear by them, where the page returns to."""

import datetime
import re

import pytest
from django.urls import reverse

from assessment.models import RequirementShown, SufficiencyRecord
from portfolios.prior_learning import PriorDetails, exemption_record, prior_learning_withdraw
from qualifications.models import Unit
from tests.assessment.test_requirements_met import UNIT, cg, piece  # noqa: F401

pytestmark = pytest.mark.django_db


def section(html: str) -> str:
    """The requirements section of the unit page."""
    found = re.search(r'data-testid="requirements-met">(.*?)</section>', html, re.S)
    assert found, "no requirements section"
    return found.group(1)


def top(html: str) -> str:
    found = re.search(r'<div id="messages"[^>]*>(.*?)</div>\s*<nav', html, re.S)
    assert found, "no message area"
    return found.group(1)


def test_with_no_evidence_to_cite_the_page_says_so_instead_of_an_empty_form(
    client,
    cg,
    assessor,
):
    unit = Unit.objects.get(code=UNIT)
    client.force_login(assessor)
    response = client.get(reverse("assessment:unit-progress", args=[cg.pk, unit.pk]))
    html = section(response.content.decode())
    assert 'data-testid="requirement-show-form"' not in html
    assert response.context["show_form"] is None
    assert 'data-testid="no-evidence-to-cite"' in html
    assert "must be mapped to one of the unit" in html
    # The judgement of the period stays open, with no select of nothing to cite.
    form = response.context["sufficiency_form"]
    assert "evidence" not in form.fields
    assert [m for m, _ in form.fields["measure"].choices] == ["period"]


def test_the_form_offers_the_evidence_once_there_is_some(client, cg, learner, assessor):
    unit = Unit.objects.get(code=UNIT)
    piece(cg, learner)
    client.force_login(assessor)
    response = client.get(reverse("assessment:unit-progress", args=[cg.pk, unit.pk]))
    html = section(response.content.decode())
    assert 'data-testid="requirement-show-form"' in html
    assert 'data-testid="no-evidence-to-cite"' not in html
    assert "evidence" in response.context["sufficiency_form"].fields


def test_a_refusal_is_shown_by_the_forms_not_at_the_top(client, cg, assessor):
    unit = Unit.objects.get(code=UNIT)
    client.force_login(assessor)
    url = reverse("assessment:sufficiency-record", args=[cg.pk, unit.pk])
    # A customer counted with no evidence: the service refuses it.
    response = client.post(url, {"measure": "customers", "description": "Mrs A"}, follow=True)
    assert SufficiencyRecord.objects.count() == 0
    html = response.content.decode()
    assert response.redirect_chain[-1][0].endswith("#requirements-heading")
    messages = re.search(r'data-testid="messages-requirements">(.*?)</div>\s*\n', html, re.S)
    assert messages and "alert-danger" in section(html)
    assert "alert" not in top(html)


def test_a_form_sent_back_says_so_by_the_form_and_a_success_too(client, cg, learner, assessor):
    unit = Unit.objects.get(code=UNIT)
    evidence = piece(cg, learner)
    client.force_login(assessor)
    url = reverse("assessment:requirement-show", args=[cg.pk, unit.pk])
    response = client.post(url, {"reference": "5a"}, follow=True)
    html = response.content.decode()
    assert "Nothing was changed" in section(html) and "Nothing was changed" not in top(html)
    # Its field's message under its field, by the form.
    assert response.context["show_form"].errors["evidence"]
    response = client.post(url, {"reference": "5a", "evidence": [evidence.pk]}, follow=True)
    assert RequirementShown.objects.count() == 1
    html = response.content.decode()
    assert "Recorded as shown." in section(html) and "Recorded as shown." not in top(html)


def test_a_unit_met_by_an_exemption_says_so_and_offers_nothing_to_record(
    client, cg, assessor, centre_admin
):
    unit = Unit.objects.get(code=UNIT)
    details = PriorDetails(unit.pk, "Exempt by the AO's letter", datetime.date(2021, 5, 4))
    exemption_record(registration=cg, details=details, actor=centre_admin)
    client.force_login(assessor)
    response = client.get(reverse("assessment:unit-progress", args=[cg.pk, unit.pk]))
    html = response.content.decode()
    banner = re.search(r'data-testid="prior-learning">(.*?)</p>', html, re.S)
    assert banner and "Met through an exemption" in banner.group(1)
    assert centre_admin.full_name in banner.group(1)
    assert "Record RPL for some of its criteria" not in html
    assert 'data-testid="requirement-show-form"' not in html
    assert 'data-testid="sufficiency-form"' not in html
    assert 'data-testid="no-evidence-to-cite"' not in html
    response = client.get(reverse("assessment:unit-sign-off", args=[cg.pk, unit.pk]))
    html = response.content.decode()
    assert 'data-testid="nothing-to-sign-off"' in html and 'data-testid="prior-learning"' in html
    assert "Not ready for sign-off" not in html
    assert "Sign the unit off" not in html


def test_once_withdrawn_the_unit_is_assessed_again(client, cg, assessor, centre_admin):
    unit = Unit.objects.get(code=UNIT)
    details = PriorDetails(unit.pk, "Exempt by the AO's letter", datetime.date(2021, 5, 4))
    prior = exemption_record(registration=cg, details=details, actor=centre_admin)
    prior_learning_withdraw(record=prior, reason="Recorded in error.", actor=centre_admin)
    client.force_login(assessor)
    html = client.get(reverse("assessment:unit-progress", args=[cg.pk, unit.pk])).content.decode()
    assert 'data-testid="prior-learning"' not in html
    assert "Record RPL for some of its criteria" in html
    html = client.get(reverse("assessment:unit-sign-off", args=[cg.pk, unit.pk])).content.decode()
    assert "Not ready for sign-off" in html and "nothing-to-sign-off" not in html


def test_the_top_of_the_page_links_to_the_sections_at_its_end(client, cg, assessor):
    unit = Unit.objects.get(code=UNIT)
    client.force_login(assessor)
    html = client.get(reverse("assessment:unit-progress", args=[cg.pk, unit.pk])).content.decode()
    nav = re.search(r'data-testid="on-this-page">(.*?)</nav>', html, re.S)
    assert nav, "no links to the sections"
    # Before the first criterion, and each to a heading the page has.
    assert html.index('data-testid="on-this-page"') < html.index('aria-labelledby="o-')
    for anchor in ("requirements-heading", "how-heading"):
        assert f'href="#{anchor}"' in nav.group(1)
        assert f'id="{anchor}"' in html
