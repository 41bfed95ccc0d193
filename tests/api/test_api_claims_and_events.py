"""What the API says of claims and certificates agrees with the claims page and the certificates
themselves: a registration with its full certificate, or closed, is ready for no claim; the feed
says a certificate is issued when it is let out (at its claim, or at the EQA's release: decision
29), and a replacement ends the old number as it issues the new one."""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from api.services import token_create
from assessment.progress import progress_of
from certification.models import Certificate, Kind
from certification.readiness import (
    FULL_CLAIMED,
    FULL_REVOKED,
    claim_reasons_now,
    claimed_of,
    listed,
    readiness_of,
)
from certification.services import certificate_claim, certificate_replace, certificate_revoke
from eqa.services import claim_release, eqa_sample_record
from iqa.models import PlanItem, SamplingPlan, Stage
from portfolios.models import ClaimList
from portfolios.prior_learning import PriorDetails, exemption_record
from portfolios.services import DROPPED_SIGNED_OFF, registration_withdraw
from qualifications.models import Unit
from tests.api.conftest import Answer
from tests.certification.conftest import achieve, achieved, registration, sfj
from tests.certification.test_prior_learning_claims import EXEMPT_UNIT, RPL_UNIT, record_rpl
from tests.eqa.conftest import eqa, window
from tests.factories import grant_direct_claims

__all__ = ["achieved", "eqa", "registration", "sfj", "window"]
pytestmark = pytest.mark.django_db


def call(
    secret: str, method: str, path: str, body: Any = None, query: dict | None = None
) -> Answer:
    """A call as the token (these tests' own database, not the matrix's world)."""
    if query:
        path = f"{path}?{urlencode(query)}"
    data = json.dumps(body) if body is not None else ""
    response = Client().generic(
        method, path, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    text = response.content.decode()
    return Answer(response.status_code, json.loads(text), dict(response.headers), text, [])


@pytest.fixture
def secret(centre, centre_admin) -> str:
    return token_create(
        centre=centre, name="MIS", scopes=["read", "registrations", "claims"], actor=centre_admin
    ).secret


def progress(secret: str, registration) -> dict:
    path = reverse("api:registration-progress", kwargs={"pk": registration.pk})
    answer = call(secret, "GET", path)
    assert answer.status == 200, answer.text
    return answer.body


def claims(secret: str) -> dict[int, dict]:
    return {
        row["registration"]: row for row in call(secret, "GET", "/api/v1/claims/").body["results"]
    }


def events(secret: str, after: str = "0", limit: int = 100) -> dict:
    return call(secret, "GET", reverse("api:events"), query={"after": after, "limit": limit}).body


# Claim readiness -------------------------------------------------------------------------------


def test_a_registration_whose_full_certificate_is_claimed_is_not_ready_for_another(
    achieved, centre_admin, secret
):
    grant_direct_claims(achieved.centre)
    assert progress(secret, achieved)["full_claim_ready"] is True
    certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    body = progress(secret, achieved)
    assert (body["full_claim_ready"], body["full_claim_reasons"]) == (False, [FULL_CLAIMED])
    # Nothing more to claim: the claims page lists it nowhere, nor does the API.
    assert achieved.pk not in claims(secret)
    # The claims page's rule, the one the API asks.
    ready = readiness_of(achieved)
    claimed = claimed_of([achieved])
    assert listed(ready, claimed) == ClaimList.CLAIMED
    assert claim_reasons_now(ready, claimed)[0] == body["full_claim_reasons"]


def test_a_withdrawn_registration_is_ready_for_no_claim_and_leaves_the_claims_list(
    achieved, centre_admin, secret
):
    registration_withdraw(registration=achieved, reason="Left the employer.", actor=centre_admin)
    achieved.refresh_from_db()
    body = progress(secret, achieved)
    closed = achieved.closed_because
    assert closed
    assert (body["full_claim_ready"], body["full_claim_reasons"]) == (False, [closed])
    assert (body["unit_claim_ready"], body["unit_claim_reasons"]) == (False, [closed])
    assert achieved.pk not in claims(secret)


def test_progress_judges_every_unit_achieved_as_the_registration_page_and_the_claim_apart(
    registration, assessor, iqa, secret
):
    # Both units achieved, one held back by a summative IQA sample planned and not yet taken:
    # the registration page counts both, a claim only the other.
    achieve(registration, assessor)
    held = Unit.objects.get(code="F/506/2131")
    plan = SamplingPlan.objects.create(
        centre=registration.centre, qualification=registration.qualification, iqa=iqa,
        starts_on=datetime.date(2026, 9, 1), ends_on=datetime.date(2027, 8, 31),
    )  # fmt: skip
    PlanItem.objects.create(
        plan=plan, registration=registration, unit=held, assessor=assessor,
        stage=Stage.SUMMATIVE,
    )  # fmt: skip
    body = progress(secret, registration)
    [page] = progress_of([registration], with_route=False)
    codes = [u["code"] for u in body["units_achieved"]]
    assert held.code in codes
    assert body["achieved_credits"] == page.verdict.achieved_credits
    assert body["achieved_credits"] == sum(u["credits"] or 0 for u in body["units_achieved"])
    assert [r["message"] for r in body["rules"]] == [r.message for r in page.verdict.rules]
    assert body["eligible"] is page.verdict.eligible
    claim = body["claim"]
    assert held.code not in claim["claimable_units"]
    assert claim["achieved_credits"] == body["achieved_credits"] - held.credits
    assert claim["full_ready"] is False
    assert any(held.code in reason for reason in claim["full_reasons"])
    assert (body["full_claim_ready"], body["full_claim_reasons"]) == (
        claim["full_ready"],
        claim["full_reasons"],
    )


# The events feed -------------------------------------------------------------------------------


def certificate_events(secret: str, after: str = "0") -> list[tuple]:
    return [
        (e["type"], e["certificate"], e.get("replacement"))
        for e in events(secret, after)["events"]
        if e["type"].startswith("certificate.")
    ]


def test_a_unit_achieved_through_rpl_or_exempted_is_in_the_feed(
    registration, assessor, centre_admin, secret
):
    achieve(registration, assessor, codes={"F/506/2131"})
    record_rpl(registration, assessor)
    details = PriorDetails(
        Unit.objects.get(code=EXEMPT_UNIT).pk, "Exempt by the AO", datetime.date(2021, 5, 4)
    )
    exemption_record(registration=registration, details=details, actor=centre_admin)
    units = [
        (e["type"], e["unit"], e.get("through"))
        for e in events(secret)["events"]
        if e["type"].startswith("unit.")
    ]
    assert units == [
        ("unit.achieved", "F/506/2131", "signed_off"),
        ("unit.achieved", RPL_UNIT, "rpl"),
        ("unit.exempted", EXEMPT_UNIT, None),
    ]


def test_progress_names_the_exempt_units_apart_from_those_achieved(
    registration, assessor, centre_admin, secret
):
    path = reverse("api:registration-progress", kwargs={"pk": registration.pk})
    assert call(secret, "GET", path).body["units_exempt"] == []
    record_rpl(registration, assessor)
    exempt = Unit.objects.get(code=EXEMPT_UNIT)
    details = PriorDetails(exempt.pk, "Exempt by the AO", datetime.date(2021, 5, 4))
    exemption_record(registration=registration, details=details, actor=centre_admin)
    progress = call(secret, "GET", path).body
    assert progress["units_exempt"] == [
        {"code": EXEMPT_UNIT, "title": exempt.title, "award": "Exempt by the AO"}
    ]
    assert EXEMPT_UNIT not in [u["code"] for u in progress["units_achieved"]]
    assert [u["code"] for u in progress["units_achieved"]] == [RPL_UNIT]


def test_a_claim_held_for_the_eqa_is_issued_in_the_feed_only_when_released(
    registration, assessor, centre_admin, window, secret
):
    achieve(registration, assessor, codes={"F/506/2131"})
    held = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    assert certificate_events(secret) == []
    path = reverse("api:certificate", kwargs={"pk": held.pk})
    shown = call(secret, "GET", path).body
    # Not issued while the EQA withholds it: only claimed.
    assert (shown["state"], shown["issued_at"], shown["released_at"]) == ("held", None, None)
    assert shown["claimed_at"]
    eqa_sample_record(
        access=window,
        registration=registration,
        unit=None,
        looked_at="The unit's evidence and decisions",
        finding="Sound.",
        actor=window.eqa,
    )
    claim_release(access=window, certificate=held, actor=window.eqa)
    assert certificate_events(secret) == [("certificate.issued", held.number, None)]
    shown = call(secret, "GET", path).body
    held.refresh_from_db()
    assert shown["released_at"] is not None and shown["issued_at"] == shown["released_at"]
    assert shown["issued_at"] != shown["claimed_at"]


def test_a_claim_under_direct_claims_status_is_issued_at_once(
    registration, assessor, centre_admin, secret
):
    grant_direct_claims(registration.centre)
    achieve(registration, assessor, codes={"F/506/2131"})
    issued = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    assert certificate_events(secret) == [("certificate.issued", issued.number, None)]


def test_a_replacement_ends_the_old_number_and_issues_the_new_one_under_one_cursor(
    registration, assessor, centre_admin, secret
):
    grant_direct_claims(registration.centre)
    achieve(registration, assessor, codes={"F/506/2131"})
    original = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    cursor = events(secret)["next"]
    new = certificate_replace(certificate=original, reason="Name misspelt.", actor=centre_admin)
    assert certificate_events(secret, cursor) == [
        ("certificate.replaced", original.number, new.number),
        ("certificate.issued", new.number, None),
    ]
    # A page of one still holds both: they share the entry's cursor, and nothing is lost.
    page = events(secret, cursor, limit=1)
    assert [e["type"] for e in page["events"]] == ["certificate.replaced", "certificate.issued"]
    assert {e["cursor"] for e in page["events"]} == {page["next"]}
    assert events(secret, page["next"])["events"] == []
    assert Certificate.objects.get(replaces=original) == new


def test_a_page_stops_before_a_replacement_that_would_overflow_its_limit(
    registration, assessor, centre_admin, secret
):
    grant_direct_claims(registration.centre)
    achieve(registration, assessor, codes={"F/506/2131"})
    original = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    certificate_replace(certificate=original, reason="Name misspelt.", actor=centre_admin)
    whole = events(secret)["events"]
    read, cursor = [], "0"
    for _ in range(len(whole) + 2):
        page = events(secret, cursor, limit=2)
        assert len(page["events"]) <= 2
        read += page["events"]
        cursor = page["next"]
    assert read == whole


# A unit with results stays in the plan, through the API too ------------------------------------


def test_patching_away_an_achieved_optional_unit_is_refused_naming_it(
    registration, assessor, secret
):
    achieve(registration, assessor, codes={"SFJ-CS2-07"})
    path = reverse("api:registration", kwargs={"pk": registration.pk})
    others = ["K/503/0421", "A/506/2158", "T/506/2126"]
    answer = call(secret, "PATCH", path, {"optional_units": others})
    assert answer.status == 400 and answer.body["error"]["code"] == "refused", answer.text
    unit = f"SFJ-CS2-07 {Unit.objects.get(code='SFJ-CS2-07').title}"
    assert answer.body["error"]["message"] == DROPPED_SIGNED_OFF.format(unit=unit, what="achieved")
    assert registration.planned_units.filter(unit__code="SFJ-CS2-07").exists()


# A PATCH that changes nothing is no change, and is audited as none ----------------------------


def test_a_patch_that_changes_nothing_answers_the_registration_and_audits_nothing(
    registration, secret
):
    from portal.models import AuditEntry

    path = reverse("api:registration", kwargs={"pk": registration.pk})
    optional = sorted(
        registration.planned_units.filter(mandatory=False).values_list("unit__code", flat=True)
    )
    assert optional
    before = AuditEntry.objects.count()
    for same in (
        {"optional_units": optional},
        {"optional_units": list(reversed(optional))},
        {"funding": registration.funding},
        {"optional_units": optional, "funding": registration.funding},
    ):
        answer = call(secret, "PATCH", path, same)
        assert answer.status == 200, answer.text
        assert answer.body["id"] == registration.pk
        assert AuditEntry.objects.count() == before, same
    # A change is still audited: the service's entry and the one naming the token.
    other = "funded" if registration.funding != "funded" else "non_funded"
    assert call(secret, "PATCH", path, {"funding": other}).status == 200
    assert AuditEntry.objects.filter(
        action="api.write", subject=f"registration:{registration.pk}"
    ).exists()
    assert AuditEntry.objects.count() > before


# Refusals in the API's words, and lists as the pages have them ---------------------------------


def test_a_withdrawn_registration_takes_no_change_and_an_empty_change_is_refused(
    registration, centre_admin, secret
):
    path = reverse("api:registration", kwargs={"pk": registration.pk})
    empty = call(secret, "PATCH", path, {})
    assert empty.status == 400 and empty.body["error"]["code"] == "invalid", empty.text
    assert "Nothing to change" in empty.body["error"]["fields"]["non_field_errors"][0]
    registration_withdraw(
        registration=registration, reason="Left the employer.", actor=centre_admin
    )
    registration.refresh_from_db()
    before = registration.funding
    answer = call(secret, "PATCH", path, {"funding": "non_funded" if before else "funded"})
    assert answer.status == 400 and answer.body["error"]["code"] == "refused", answer.text
    assert registration.closed_because in answer.body["error"]["message"]
    registration.refresh_from_db()
    assert registration.funding == before


def test_a_claim_with_other_units_is_refused_in_the_apis_words(achieved, secret):
    grant_direct_claims(achieved.centre)
    body = {"registration": achieved.pk, "kind": "full", "units": ["F/506/2131"]}
    answer = call(secret, "POST", "/api/v1/claims/", body)
    assert answer.status == 400 and answer.body["error"]["code"] == "refused", answer.text
    message = answer.body["error"]["message"]
    assert "after you confirmed" not in message
    assert "The units you sent are not those" in message and "nothing was claimed" in message
    assert not Certificate.objects.filter(registration=achieved).exists()


def test_claims_lists_only_whom_the_claims_page_lists_and_says_a_revoked_full_certificate_is(
    achieved, centre_admin, secret
):
    grant_direct_claims(achieved.centre)
    assert achieved.pk in claims(secret)
    full = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    # Nothing more to claim: on none of the claims page's lists, nor in the API's.
    assert listed(readiness_of(achieved), claimed_of([achieved])) == ClaimList.CLAIMED
    assert achieved.pk not in claims(secret)
    certificate_revoke(certificate=full, reason="Issued in error.", actor=centre_admin)
    reasons = progress(secret, achieved)["claim"]["unit_reasons"]
    assert reasons == [FULL_REVOKED.format(number=full.number)]


def test_the_feed_refuses_a_cursor_beyond_its_latest_entry(registration, assessor, secret):
    achieve(registration, assessor, codes={"F/506/2131"})
    page = events(secret)
    assert page["events"]
    answer = call(
        secret, "GET", reverse("api:events"), query={"after": str(int(page["next"]) + 1000)}
    )
    assert answer.status == 400 and "after" in answer.body["error"]["fields"], answer.text
    assert events(secret, page["next"]) == {"events": [], "next": page["next"]}
