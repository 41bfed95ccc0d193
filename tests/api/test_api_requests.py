"""Requests the API answers in its error shape however odd they are: JSON nested past reading, a
body too large, fields a call does not take, an address without its final slash, calls without
a token (rate limited by address), refusals of several sentences; and OPTIONS says only what is
true."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from api.rest import ADD_THE_SLASH, NO_SUCH_ENDPOINT, TOO_BIG, TOO_DEEP
from portfolios.models import Registration
from tests.api.conftest import call
from tests.api.test_api import error_of
from tests.world import World

pytestmark = pytest.mark.django_db


def sent(secret: str, method: str, path: str, data: str) -> Any:
    """A raw body, as a client might send it."""
    return Client().generic(
        method, path, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def test_json_nested_too_deeply_is_a_400_in_the_error_shape(world: World):
    response = sent(world.ours.api_secret, "POST", reverse("api:registrations"), "[" * 60_000)
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "invalid", "message": TOO_DEEP}}


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_upload_limit_is_a_413_in_the_error_shape(world: World):
    path = reverse("api:registration", kwargs={"pk": world.ours.registration.pk})
    response = sent(world.ours.api_secret, "PATCH", path, '{"funding": "' + "x" * 2000 + '"}')
    assert response.status_code == 413
    assert response.json() == {"error": {"code": "too_large", "message": TOO_BIG.format(size=1000)}}


def test_a_patch_of_fields_it_does_not_take_is_refused_naming_them(world: World):
    side = world.ours
    path = reverse("api:registration", kwargs={"pk": side.registration.pk})
    body = {"status": "withdrawn", "learner": 1, "colour": "red", "funding": "non_funded"}
    error = error_of(call(side.api_secret, "PATCH", path, body), 400, "invalid")
    assert set(error["fields"]) == {"status", "learner", "colour"}
    assert "funding, ao_registration_number" in error["fields"]["status"][0]
    kept = Registration.objects.get(pk=side.registration.pk)
    assert (kept.status, kept.funding) == (side.registration.status, side.registration.funding)


def test_a_post_of_a_field_it_does_not_take_is_refused_naming_it(world: World):
    side = world.ours
    path = reverse("api:registration-withdraw", kwargs={"pk": side.registration.pk})
    error = error_of(
        call(side.api_secret, "POST", path, {"reason": "x", "when": 1}), 400, "invalid"
    )
    assert set(error["fields"]) == {"when"}


def test_the_document_says_request_bodies_take_no_other_fields():
    schema = Client().get("/api/v1/schema/?format=json").json()["components"]["schemas"]
    for name in (
        "PatchedRegistrationChangeRequest",
        "RegistrationCreateRequest",
        "WithdrawRequest",
        "ClaimRequest",
    ):
        assert schema[name]["additionalProperties"] is False, name
    assert "additionalProperties" not in schema["Registration"]


def test_an_endpoint_without_its_final_slash_is_named_with_it(world: World):
    secret = world.ours.api_secret
    for method in ("GET", "POST"):
        error = error_of(call(secret, method, "/api/v1/registrations", {}), 404, "not_found")
        assert error["message"] == ADD_THE_SLASH.format(path="/api/v1/registrations/")
    pk = world.ours.registration.pk
    error = error_of(call(secret, "GET", f"/api/v1/registrations/{pk}/progress"), 404, "not_found")
    assert error["message"].endswith(f"/api/v1/registrations/{pk}/progress/")
    error = error_of(call(secret, "GET", "/api/v1/no-such-thing"), 404, "not_found")
    assert error["message"] == NO_SUCH_ENDPOINT


@override_settings(API_ANON_RATE_LIMIT="3/min")
def test_calls_without_a_working_token_are_rate_limited_by_address(world: World):
    cache.clear()
    path = reverse("api:qualifications")
    wrong = world.ours.api_secret[:-2] + "xx"
    answers = [call(None, "GET", path), call(wrong, "GET", path), call(None, "GET", path)]
    assert [a.status for a in answers] == [401, 401, 401]
    error_of(call(None, "GET", path), 429, "rate_limited")
    error_of(call(wrong, "GET", path), 429, "rate_limited")
    # Another address is not slowed by this one's; a token that works is counted on its own.
    other = Client(REMOTE_ADDR="192.0.2.7").get(path)
    assert other.status_code == 401
    assert call(world.ours.api_secret, "GET", path).status == 200
    cache.clear()


def test_a_refusal_of_several_sentences_reads_as_sentences(world: World):
    side = world.ours
    path = reverse("api:registration", kwargs={"pk": side.registration.pk})
    error = error_of(call(side.api_secret, "PATCH", path, {"optional_units": []}), 400, "refused")
    message = error["message"]
    assert "needed) Total" not in message and "needed). Total" in message
    assert message.endswith(".")


def test_options_describes_no_fields_it_would_not_take(world: World):
    answer = call(world.ours.api_secret, "OPTIONS", reverse("api:registrations"))
    assert answer.status == 200
    assert "actions" not in answer.body
    assert answer.body["schema"] == reverse("api-schema")
    assert answer.body["parses"] == ["application/json"]
