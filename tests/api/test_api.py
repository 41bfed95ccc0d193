"""The API's behaviour: tokens, scopes and their refusals, the one error shape for every status,
writes through the pages' services (and seen on the pages), results made on the pages seen in
the API and its events feed, the tokens page (decision 57)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.models import ApiReads, ApiToken, Scope
from api.services import token_create, token_revoke
from assessment.progress import progress_of
from certification.models import Certificate
from certification.readiness import readiness_of
from portal.models import AuditEntry, RoleKind
from portfolios.models import Registration
from portfolios.services import RegistrationDetails, registration_create
from tests.api.conftest import Answer, call
from tests.certification.confirm import replace_on_page, revoke_on_page
from tests.portfolios.conftest import SFJ_ENOUGH
from tests.world import ADMIN, SIGNED_UNIT, World, person

pytestmark = pytest.mark.django_db


def error_of(answer: Answer, status: int, code: str) -> dict:
    """The one error shape, checked: JSON, never a page."""
    assert answer.status == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    assert set(answer.body) == {"error"}
    error = answer.body["error"]
    assert error["code"] == code and error["message"]
    assert set(error) <= {"code", "message", "fields"}
    return error


def token_with(world: World, *scopes: str) -> str:
    side = world.ours
    return token_create(
        centre=side.centre, name="narrow", scopes=scopes, actor=side.people[ADMIN]
    ).secret


# Tokens ------------------------------------------------------------------------------------


def test_a_call_without_a_token_or_with_a_wrong_one_is_refused_401(world: World):
    path = reverse("api:registrations")
    error_of(call(None, "GET", path), 401, "not_authenticated")
    assert call(None, "GET", path).headers["WWW-Authenticate"] == "Bearer"
    wrong = world.ours.api_secret[:-2] + "xx"
    assert (
        "unknown or revoked"
        in error_of(call(wrong, "GET", path), 401, "not_authenticated")["message"]
    )
    error_of(call("not-a-token", "GET", path), 401, "not_authenticated")


def test_a_revoked_token_is_refused(world: World):
    side = world.ours
    path = reverse("api:registrations")
    assert call(side.api_secret, "GET", path).status == 200
    token_revoke(token=side.api_token, actor=side.people[ADMIN])
    error_of(call(side.api_secret, "GET", path), 401, "not_authenticated")


def test_a_token_stops_when_its_maker_no_longer_administers_the_centre(world: World):
    side = world.ours
    side.people[ADMIN].roles.filter(kind=RoleKind.CENTRE_ADMIN, centre=side.centre).delete()
    error = error_of(
        call(side.api_secret, "GET", reverse("api:learners")), 401, "not_authenticated"
    )
    assert "no longer administers" in error["message"]


def test_only_the_hash_of_a_token_is_kept(world: World):
    token = world.ours.api_token
    assert token.digest == hashlib.sha256(world.ours.api_secret.encode()).hexdigest()
    assert world.ours.api_secret.startswith(f"vqp_{token.prefix}_")
    kept = ApiToken.objects.filter(pk=token.pk).values_list(flat=False).get()
    assert world.ours.api_secret not in [str(v) for v in kept]


# Scopes ------------------------------------------------------------------------------------


def test_each_scope_allows_only_its_own_calls(world: World):
    side = world.ours
    read_only = token_with(world, Scope.READ)
    writes_only = token_with(world, Scope.REGISTRATIONS)
    claims_only = token_with(world, Scope.CLAIMS)
    registration = reverse("api:registration", kwargs={"pk": side.registration.pk})
    change = {"funding": "funded"}
    claim = {"registration": side.registration.pk, "kind": "full"}
    assert call(read_only, "GET", registration).status == 200
    error = error_of(call(read_only, "PATCH", registration, change), 403, "forbidden")
    assert "'registrations' scope" in error["message"]
    error_of(call(read_only, "POST", reverse("api:claims"), claim), 403, "forbidden")
    error_of(call(writes_only, "GET", registration), 403, "forbidden")
    assert call(writes_only, "PATCH", registration, change).status == 200
    error_of(call(writes_only, "POST", reverse("api:claims"), claim), 403, "forbidden")
    error_of(call(claims_only, "PATCH", registration, change), 403, "forbidden")
    # Let through: the claim service itself then refuses (not eligible), in the same shape.
    refused = call(claims_only, "POST", reverse("api:claims"), claim)
    message = error_of(refused, 400, "refused")["message"]
    assert all(reason in message for reason in readiness_of(side.registration).full_reasons)


# The error shape for each status ---------------------------------------------------------------


def test_every_error_has_the_one_shape(world: World):
    secret = world.ours.api_secret
    error = error_of(call(secret, "POST", reverse("api:registrations"), {}), 400, "invalid")
    assert {"learner", "qualification", "start_date"} <= set(error["fields"])
    error_of(
        call(secret, "GET", reverse("api:registration", kwargs={"pk": 987654})), 404, "not_found"
    )
    error_of(call(secret, "GET", "/api/v1/no-such-thing/"), 404, "not_found")
    error_of(call(secret, "DELETE", reverse("api:registrations")), 405, "method_not_allowed")
    error_of(call(secret, "GET", reverse("api:events"), query={"after": "x"}), 400, "invalid")


@pytest.mark.parametrize(
    ("route", "parameter"),
    [("api:registrations", "page_size"), ("api:events", "after"), ("api:events", "limit")],
)
@pytest.mark.parametrize("number", ["\u00b2", "\u00b9", "\uff11", "\u0661", "1\u00b9"])
def test_a_number_that_is_not_ascii_digits_is_a_400_never_a_500(
    world: World, route: str, parameter: str, number: str
):
    # Superscripts pass str.isdigit() and fail int(); fullwidth and Arabic-Indic digits pass
    # both: none of them is a number a client means.
    answer = call(world.ours.api_secret, "GET", reverse(route), query={parameter: number})
    assert parameter in error_of(answer, 400, "invalid")["fields"]


def test_a_refusal_by_a_service_is_a_400_with_its_words(world: World):
    side = world.ours
    path = reverse("api:registration-withdraw", kwargs={"pk": side.registration.pk})
    error = error_of(call(side.api_secret, "POST", path, {"reason": "Left"}), 400, "refused")
    assert "transfer" in error["message"].lower()  # the world's transfer waits for an answer
    assert Registration.objects.get(pk=side.registration.pk).status == "active"


def test_a_qualification_gives_its_rules_of_combination_group_by_group(world: World):
    qualification = world.ours.qualification
    path = reverse("api:qualification", kwargs={"pk": qualification.pk})
    body = call(world.ours.api_secret, "GET", path).body
    groups = list(qualification.groups.all())
    assert groups, "the world's qualification has rules of combination"
    assert body["min_credits"] == qualification.min_credits
    assert [g["code"] for g in body["groups"]] == [g.code for g in groups]
    for shown, group in zip(body["groups"], groups, strict=True):
        assert (shown["mandatory"], shown["min_credits"], shown["max_credits"]) == (
            group.mandatory,
            group.min_credits,
            group.max_credits,
        )
        assert (shown["min_units"], shown["max_units"]) == (group.min_units, group.max_units)
        members = group.memberships.values_list("unit__code", flat=True)
        assert sorted(shown["units"]) == sorted(members)
    # Every unit listed is in a group of the rules.
    grouped = {code for g in body["groups"] for code in g["units"]}
    assert {u["code"] for u in body["units"]} == grouped


@override_settings(API_RATE_LIMIT="3/min")
def test_too_many_calls_get_429_in_the_error_shape(world: World):
    cache.clear()
    path = reverse("api:qualifications")
    answers = [call(world.ours.api_secret, "GET", path) for _ in range(4)]
    assert [a.status for a in answers[:3]] == [200, 200, 200]
    error_of(answers[3], 429, "rate_limited")
    assert int(answers[3].headers["Retry-After"]) > 0
    # Counted per token: the other centre's token is not slowed by ours.
    assert call(world.theirs.api_secret, "GET", path).status == 200
    cache.clear()


# Writes go through the services, and show on the pages -----------------------------------------


def test_a_registration_made_through_the_api_appears_on_the_registration_pages(world: World):
    side = world.ours
    admin = side.people[ADMIN]
    newcomer = person(side.centre, RoleKind.LEARNER, "api.newcomer@example.org", "Wilhelmina Orsk")
    body = {
        "learner": newcomer.pk,
        "qualification": side.qualification.pk,
        "start_date": "2026-10-01",
        "assessor": side.registration.assessor_id,
        "funding": "funded",
        "optional_units": SFJ_ENOUGH,
    }
    answer = call(side.api_secret, "POST", reverse("api:registrations"), body, keep=True)
    assert answer.status == 201, answer.text
    made = Registration.objects.get(pk=answer.body["id"])
    assert (made.learner, made.centre, made.funding) == (newcomer, side.centre, "funded")
    assert set(SFJ_ENOUGH) <= set(answer.body["units"])
    # Audited as the pages' service does, its actor the token's maker, and the token named.
    created = AuditEntry.objects.get(
        action="registration.created", subject=f"registration:{made.pk}"
    )
    assert created.actor == admin
    named = AuditEntry.objects.get(action="api.write", subject=f"registration:{made.pk}")
    assert named.after == {"token": side.api_token.prefix, "what": "registration created"}
    client = Client()
    client.force_login(admin)
    listing = client.get(reverse("portfolios:registration-list")).content.decode()
    assert "Wilhelmina Orsk" in listing
    page = client.get(reverse("portfolios:registration-detail", args=[made.pk]))
    assert page.status_code == 200 and "Wilhelmina Orsk" in page.content.decode()
    # And it is read back through the API.
    again = call(side.api_secret, "GET", reverse("api:registration", kwargs={"pk": made.pk}))
    assert again.body["learner"]["full_name"] == "Wilhelmina Orsk"


def test_a_change_through_the_api_goes_through_the_service_and_its_audit(world: World):
    side = world.ours
    path = reverse("api:registration", kwargs={"pk": side.registration.pk})
    answer = call(side.api_secret, "PATCH", path, {"funding": "non_funded"}, keep=True)
    assert answer.status == 200 and answer.body["funding"] == "non_funded"
    assert Registration.objects.get(pk=side.registration.pk).funding == "non_funded"
    assert AuditEntry.objects.filter(
        action="registration.funding_changed", subject=f"registration:{side.registration.pk}"
    ).exists()


def test_reads_are_counted_not_written_to_the_audit_chain(world: World):
    side = world.ours
    before = AuditEntry.objects.count()
    for _ in range(2):
        call(side.api_secret, "GET", reverse("api:learners"), keep=True)
    assert ApiReads.objects.get(token=side.api_token).count == 2
    assert AuditEntry.objects.count() == before


# Results made on the pages, seen in the API and the feed ---------------------------------------


def test_progress_gives_the_units_achieved_and_the_registration_pages_verdict(world: World):
    side = world.ours
    path = reverse("api:registration-progress", kwargs={"pk": side.registration.pk})
    body = call(side.api_secret, "GET", path).body
    assert SIGNED_UNIT in [u["code"] for u in body["units_achieved"]]
    verdict = progress_of([side.registration], with_route=False)[0].verdict
    assert [r["message"] for r in body["rules"]] == [r.message for r in verdict.rules]
    assert (
        body["eligible"] is verdict.eligible
        and body["achieved_credits"] == verdict.achieved_credits
    )


def test_a_certificate_made_on_the_pages_appears_in_the_api_and_the_events_feed(world: World):
    side = world.ours
    secret = side.api_secret
    feed = call(secret, "GET", reverse("api:events")).body
    kinds = {(e["type"], e.get("unit") or e.get("certificate")) for e in feed["events"]}
    assert ("unit.achieved", SIGNED_UNIT) in kinds
    assert ("certificate.issued", side.certificate.number) in kinds
    cursor = feed["next"]
    admin = Client()
    admin.force_login(side.people[ADMIN])
    replace_on_page(admin, side.certificate, "The name was misspelt.")
    replacement = Certificate.objects.get(replaces=side.certificate)
    revoke_on_page(admin, replacement, "Issued in error.")
    shown = call(secret, "GET", reverse("api:certificate", kwargs={"pk": replacement.pk})).body
    assert (shown["number"], shown["state"]) == (replacement.number, "revoked")
    numbers = [
        c["number"] for c in call(secret, "GET", reverse("api:certificates")).body["results"]
    ]
    assert replacement.number in numbers
    later = call(secret, "GET", reverse("api:events"), query={"after": cursor}).body
    assert [(e["type"], e["certificate"], e.get("replacement")) for e in later["events"]] == [
        ("certificate.replaced", side.certificate.number, replacement.number),
        ("certificate.issued", replacement.number, None),
        ("certificate.revoked", replacement.number, None),
    ]
    # Nothing more after the last cursor; the cursor stays where it was.
    last = call(secret, "GET", reverse("api:events"), query={"after": later["next"]}).body
    assert last == {"events": [], "next": later["next"]}


def test_the_events_feed_is_read_a_page_at_a_time_by_its_cursor(world: World):
    secret = world.ours.api_secret
    whole = call(secret, "GET", reverse("api:events")).body["events"]
    assert len(whole) >= 2
    read, cursor = [], "0"
    for _ in range(len(whole) + 5):
        page = call(secret, "GET", reverse("api:events"), query={"after": cursor, "limit": 1}).body
        if not page["events"] and page["next"] == cursor:
            break
        read += page["events"]
        cursor = page["next"]
    assert read == whole


# The tokens page -------------------------------------------------------------------------------


def test_a_centre_admin_makes_a_token_shown_once_and_revokes_it_on_the_page(world: World):
    side = world.ours
    client = Client()
    client.force_login(side.people[ADMIN])
    made = client.post(reverse("api-tokens"), {"name": "MIS nightly", "scopes": ["read"]})
    page = made.content.decode()
    token = ApiToken.objects.get(name="MIS nightly")
    assert token.centre == side.centre and token.scopes == ["read"]
    secret = page.split(f"vqp_{token.prefix}_", 1)[1].split("<", 1)[0]
    whole = f"vqp_{token.prefix}_{secret}"
    assert hashlib.sha256(whole.encode()).hexdigest() == token.digest
    assert call(whole, "GET", reverse("api:learners")).status == 200
    assert whole not in client.get(reverse("api-tokens")).content.decode()  # shown once
    client.post(reverse("api-token-revoke", args=[token.pk]))
    error_of(call(whole, "GET", reverse("api:learners")), 401, "not_authenticated")
    assert AuditEntry.objects.filter(
        action="api_token.revoked", subject=f"api_token:{token.pk}"
    ).exists()


def test_a_token_without_a_name_or_scope_is_refused_on_the_form(world: World):
    client = Client()
    client.force_login(world.ours.people[ADMIN])
    page = client.post(reverse("api-tokens"), {"name": "  ", "scopes": []})
    assert page.status_code == 200 and "This field is required." in page.content.decode()
    assert (
        not ApiToken.objects.filter(centre=world.ours.centre)
        .exclude(pk=world.ours.api_token.pk)
        .exists()
    )


def test_the_document_and_its_page_are_served_without_a_cdn():
    client = Client()
    schema = client.get(reverse("api-schema"), {"format": "json"})
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/registrations/" in document["paths"]
    page = client.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower() and "https://" not in page
    # Nothing inline, which the site's CSP would refuse: every script and style is a file.
    assert "<style" not in page and "<script>" not in page
    assert page.count("<script src=") == 3
    script = client.get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


# Lists in a fixed number of queries ------------------------------------------------------------


def queries_for(secret: str, name: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert call(secret, "GET", reverse(name)).status == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("name", ["api:registrations", "api:claims", "api:learners"])
def test_a_list_takes_as_many_queries_for_four_registrations_as_for_one(world: World, name: str):
    side = world.ours
    call(side.api_secret, "GET", reverse(name))  # the rules and settings read once, kept
    one = queries_for(side.api_secret, name)
    for n in range(3):
        learner = person(side.centre, RoleKind.LEARNER, f"api.many{n}@example.org", f"Many {n}")
        details = RegistrationDetails(
            learner=learner,
            qualification=side.qualification,
            start_date=side.registration.start_date,
        )
        registration_create(
            centre=side.centre, details=details, optional_units=SFJ_ENOUGH, actor=side.people[ADMIN]
        )
    assert Registration.objects.filter(centre=side.centre).count() == 4
    assert queries_for(side.api_secret, name) == one
