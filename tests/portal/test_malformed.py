"""Ids and searches that are not what a form sends (a superscript two passes str.isdigit(), a
thirty-digit number overflows the database, NUL is refused by PostgreSQL) match nothing and
never answer 500. The integration suite runs the NUL cases on PostgreSQL."""

import datetime

import pytest
from django.urls import reverse

from portal.http import posted_id, posted_ids, posted_text, search_text
from portfolios.bulk import NOT_CSV, read_csv
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import MappingStatus
from qualifications.models import Criterion
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


def test_text_posted_without_a_form_loses_nul_characters_and_nothing_else():
    assert posted_text(" Not\x00 enough ") == " Not enough " and posted_text(None) == ""


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


def test_a_mapping_rejected_with_nul_in_the_feedback_keeps_the_feedback_without_it(
    client, evidence, learner, assessor
):
    criterion = Criterion.objects.filter(
        unit__in=evidence.registration.planned_units.values("unit")
    )
    targets = Targets(criteria=frozenset([criterion.order_by("pk")[0].pk]))
    mapping_propose(evidence=evidence, targets=targets, actor=learner)
    mapping = evidence.mappings.get()
    client.force_login(assessor)
    url = reverse("assessment:mapping-review", args=[mapping.pk])
    client.post(url, {"action": "reject", "feedback": "Not\x00 this unit"})
    mapping.refresh_from_db()
    assert (mapping.status, mapping.feedback) == (MappingStatus.REJECTED, "Not this unit")


def test_a_csv_file_with_nul_in_it_is_not_a_csv_file(centre):
    raw = "learner_email,qualification,start_date\nleo\x00@example.org,SFJ-L2-CS,2026-09-01\n"
    assert read_csv(raw.encode(), centre).errors == [NOT_CSV]
