"""Claims and revocations pause for a confirmation that says exactly what will happen, and a
confirmation sent twice acts once (decision 36)."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from certification import confirmation
from certification.confirmation import EXPIRED, NOT_VALID, token_for
from certification.models import Certificate, Kind, Release
from certification.services import (
    ClaimRefused,
    certificate_claim,
    certificate_replace,
    certificate_revoke,
)
from certification.views import HELD_NO_CHANGE
from portal.models import AuditEntry
from tests.certification.confirm import claim_on_pages, confirmation_token, revoke_on_page
from tests.certification.conftest import achieve
from tests.factories import grant_direct_claims

CLAIMS = reverse("certification:claims")
CLAIM = reverse("certification:claim")
CONFIRM = reverse("certification:claim-confirm")
FIRST, SECOND = "F/506/2131", "K/503/0421"


def ask(client, kind, registration) -> str:
    return client.post(CLAIM, {"kind": kind, "registrations": [registration.pk]}).content.decode()


def test_no_learner_comes_ticked_on_the_claims_page(client, achieved, centre_admin):
    client.force_login(centre_admin)
    page = client.get(CLAIMS).content.decode()
    boxes = re.findall(r'<input[^>]*name="registrations"[^>]*>', page)
    assert boxes and not [b for b in boxes if "checked" in b]


def test_a_claim_says_who_what_and_which_units_and_issues_only_when_confirmed(
    client, achieved, centre_admin, centre
):
    grant_direct_claims(centre)
    client.force_login(centre_admin)
    page = ask(client, "full", achieved)
    assert not Certificate.objects.exists()  # the pause: nothing yet
    assert achieved.learner.full_name in page and "a full certificate listing" in page
    assert FIRST in page
    assert "Confirm: claim 1 full certificate" in page
    assert "will be held" not in page  # the centre holds Direct Claims Status
    token = confirmation_token(page)
    response = client.post(CONFIRM, {"token": token}, follow=True)
    assert "1 certificate claimed." in response.content.decode()
    [certificate] = Certificate.objects.all()
    assert certificate.kind == Kind.FULL and certificate.registration == achieved
    # Sent again (a double click, the back button): used, and nothing more is issued.
    again = client.post(CONFIRM, {"token": token}, follow=True).content.decode()
    assert "That confirmation was used already" in again
    assert Certificate.objects.count() == 1
    assert AuditEntry.objects.filter(action="certificate.claimed").count() == 1


def test_two_tabs_confirming_the_same_claim_issue_one_certificate(
    client, achieved, centre_admin, centre
):
    grant_direct_claims(centre)
    client.force_login(centre_admin)
    first = confirmation_token(ask(client, "full", achieved))
    second = confirmation_token(ask(client, "full", achieved))
    assert first != second
    client.post(CONFIRM, {"token": first})
    page = client.post(CONFIRM, {"token": second}, follow=True).content.decode()
    assert "already has a certificate" in page
    assert Certificate.objects.count() == 1


def test_the_confirmation_says_a_claim_is_held_for_the_eqa_without_direct_claims_status(
    client, achieved, centre_admin
):
    client.force_login(centre_admin)
    page = ask(client, "full", achieved)
    assert 'data-testid="held-on-claim"' in page
    assert "external quality assurer must release it first" in page


def test_the_confirmation_says_which_unit_certificate_a_new_one_supersedes(
    client, registration, assessor, centre_admin, centre
):
    grant_direct_claims(centre)
    achieve(registration, assessor, codes={FIRST})
    first = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    achieve(registration, assessor, codes={SECOND})
    client.force_login(centre_admin)
    page = ask(client, "unit", registration)
    assert f"It supersedes unit certificate {first.number}" in page
    assert FIRST in page and SECOND in page


def test_units_achieved_after_the_confirmation_stop_the_claim_until_seen(
    client, registration, assessor, centre_admin, centre
):
    grant_direct_claims(centre)
    achieve(registration, assessor, codes={FIRST})
    client.force_login(centre_admin)
    token = confirmation_token(ask(client, "unit", registration))
    achieve(registration, assessor, codes={SECOND})  # between the pages
    page = client.post(CONFIRM, {"token": token}, follow=True).content.decode()
    assert "units changed after you confirmed" in page
    assert not Certificate.objects.exists()
    claim_on_pages(client, "unit", [registration.pk])  # seen again, then confirmed
    [certificate] = Certificate.objects.all()
    assert len(certificate.snapshot["units"]) == 2


def test_a_confirmation_is_good_only_for_the_person_it_was_shown_to(
    client, achieved, centre_admin, centre, outsider, learner
):
    grant_direct_claims(centre)
    client.force_login(centre_admin)
    token = confirmation_token(ask(client, "full", achieved))
    client.force_login(outsider)  # a centre admin elsewhere
    page = client.post(CONFIRM, {"token": token}, follow=True).content.decode()
    assert NOT_VALID in page and "expired" not in page  # not theirs: not valid, not expired
    # Their own token naming our learner: not in their centre, so nothing.
    theirs = {"kind": "full", "centre": outsider.roles.get().centre_id}
    forged = token_for("claim", outsider.pk, {**theirs, "units": {str(achieved.pk): []}})
    client.post(CONFIRM, {"token": forged})
    client.force_login(learner)
    assert client.post(CONFIRM, {"token": token}).status_code == 403
    client.force_login(centre_admin)
    tampered = client.post(CONFIRM, {"token": token[:-2] + "xx"}, follow=True)
    assert tampered.status_code == 200
    assert NOT_VALID in tampered.content.decode() and "expired" not in tampered.content.decode()
    assert not Certificate.objects.exists()


def test_only_a_confirmation_past_its_time_is_called_expired(
    client, achieved, centre_admin, centre, monkeypatch
):
    grant_direct_claims(centre)
    client.force_login(centre_admin)
    token = confirmation_token(ask(client, "full", achieved))
    monkeypatch.setattr(confirmation, "MAX_AGE", -1)  # every token is older than that
    page = client.post(CONFIRM, {"token": token}, follow=True).content.decode()
    assert EXPIRED in page and NOT_VALID not in page
    assert not Certificate.objects.exists()


@pytest.fixture
def issued(achieved, centre_admin, centre):
    grant_direct_claims(centre)
    return certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)


def test_revoking_shows_the_number_learner_and_reason_and_waits_for_the_confirmation(
    client, issued, centre_admin
):
    url = reverse("certification:certificate-detail", args=[issued.pk])
    client.force_login(centre_admin)
    page = client.post(url, {"action": "revoke", "reason": "Claimed in error."}).content.decode()
    assert issued.number in page and issued.snapshot["learner_name"] in page
    assert "Claimed in error." in page and "Revoking cannot be undone" in page
    issued.refresh_from_db()
    assert not issued.is_revoked
    token = confirmation_token(page)
    client.post(url, {"action": "revoke-confirmed", "token": token})
    issued.refresh_from_db()
    assert issued.is_revoked and issued.revocation_reason == "Claimed in error."
    again = client.post(url, {"action": "revoke-confirmed", "token": token}, follow=True)
    assert "used already" in again.content.decode()
    assert AuditEntry.objects.filter(action="certificate.revoked").count() == 1
    # Asking to revoke a revoked certificate says so and offers nothing to confirm.
    page = client.post(url, {"action": "revoke", "reason": "Again."}, follow=True)
    assert "already revoked" in page.content.decode()
    assert 'name="token"' not in page.content.decode()


def test_a_revocation_token_is_for_its_certificate_and_person_only(
    client, issued, centre_admin, learner, achieved, assessor
):
    url = reverse("certification:certificate-detail", args=[issued.pk])
    client.force_login(centre_admin)
    other = token_for("revoke", centre_admin.pk, {"certificate": issued.pk + 999, "reason": "x"})
    client.post(url, {"action": "revoke-confirmed", "token": other})
    client.force_login(learner)
    mine = token_for("revoke", learner.pk, {"certificate": issued.pk, "reason": "x"})
    assert client.post(url, {"action": "revoke-confirmed", "token": mine}).status_code == 403
    assert client.post(url, {"action": "revoke", "reason": "x"}).status_code == 403
    issued.refresh_from_db()
    assert not issued.is_revoked
    client.force_login(centre_admin)
    revoke_on_page(client, issued, "Claimed in error.")
    issued.refresh_from_db()
    assert issued.is_revoked


@pytest.mark.parametrize("release", [Release.AWAITING, Release.HELD])
def test_a_claim_held_for_the_eqa_offers_no_revoke_or_replace_and_says_why(
    client, achieved, centre_admin, release
):
    certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    Certificate.objects.filter(pk=certificate.pk).update(release=release, hold_reason="Sampled.")
    client.force_login(centre_admin)
    url = reverse("certification:certificate-detail", args=[certificate.pk])
    said = escape(HELD_NO_CHANGE)
    page = client.get(url).content.decode()
    assert said in page and 'value="revoke"' not in page and 'value="replace"' not in page
    for action in ("revoke", "replace"):
        for reason in ("Issued in error.", ""):  # a refused form is not shown again either
            answer = client.post(url, {"action": action, "reason": reason}, follow=True)
            page = answer.content.decode()
            assert "Confirm: revoke" not in page and "Confirm: replace" not in page
            assert said in page and 'value="revoke"' not in page
    # The service still refuses, whatever a page offers.
    with pytest.raises(ClaimRefused, match="nothing to revoke"):
        certificate_revoke(certificate=certificate, reason="Issued in error.", actor=centre_admin)
    with pytest.raises(ClaimRefused, match="nothing to replace"):
        certificate_replace(certificate=certificate, reason="Issued in error.", actor=centre_admin)
    certificate.refresh_from_db()
    assert not certificate.is_revoked and not Certificate.objects.filter(replaces=certificate)
