"""Ids and searches that are not what a form sends (a superscript two passes str.isdigit(), a
thirty-digit number overflows the database, NUL is refused by PostgreSQL) match nothing and
never answer 500. The integration suite runs the NUL cases on PostgreSQL."""

import datetime

import pytest
from django.urls import reverse

from portal.http import posted_id, posted_ids, search_text
from portfolios.evidence import EvidenceDetails, evidence_add
from tests.portfolios.conftest import registration, sfj
from tests.portfolios.files import pdf

__all__ = ["registration", "sfj"]
JUNK = ["²", "١٢", "abc", "-1", "1.5", " 7", "9" * 30, "", "a\x00b"]


@pytest.mark.parametrize("value", JUNK)
def test_anything_but_a_plain_id_is_no_id(value):
    assert posted_id(value) == 0 and posted_ids([value, "12"]) == {12}


def test_a_plain_id_is_read_as_one():
    assert posted_id("42") == 42 and posted_id(None) == 0


def test_a_search_loses_nul_characters_and_is_capped():
    assert search_text("  Leo\x00 Brown ") == "Leo Brown" and len(search_text("x" * 500)) == 100


@pytest.fixture
def evidence(registration, learner):
    details = EvidenceDetails("Call recording", datetime.date(2026, 10, 6), "product")
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def posts(request, evidence):
    """(persona, URL, form) for every form that posts ids, with each id field set to JUNK."""
    registration = evidence.registration
    unit = registration.planned_units.first().unit_id
    return [
        ("learner", reverse("switch-role"), "role"),
        ("learner", reverse("portfolios:evidence-map", args=[evidence.pk]), "criteria"),
        ("assessor", reverse("assessment:evidence-review", args=[evidence.pk]), "criteria"),
        ("assessor", reverse("assessment:countersign"), "decisions"),
        ("centre_admin", reverse("certification:claim"), "registrations"),
        ("iqa", reverse("iqa:document-request"), "sample"),
        ("iqa", reverse("iqa:document-request"), "plan"),
        ("iqa", reverse("iqa:sample-new", args=[registration.pk, unit]), "decisions"),
    ]


@pytest.mark.parametrize("value", ["²", "9" * 30, "abc"])
def test_junk_ids_in_every_form_get_an_answer_not_an_error(request, client, evidence, value):
    for persona, url, field in posts(request, evidence):
        client.force_login(request.getfixturevalue(persona))
        data = {field: value, "kind": "full", "outcome": "met", "method": "observation"}
        response = client.post(url, data)
        assert response.status_code in (200, 302, 403, 404), (url, field, response.status_code)


@pytest.mark.parametrize("value", ["²", "9" * 30])
def test_a_junk_plan_item_on_the_sample_page_is_no_item(request, client, evidence, iqa, value):
    registration = evidence.registration
    unit = registration.planned_units.first().unit_id
    client.force_login(iqa)
    url = reverse("iqa:sample-new", args=[registration.pk, unit])
    assert client.get(url, {"item": value}).status_code in (200, 403, 404)
