"""One confirmation sent at the same moment from several sessions of its admin (a double click
whose two requests overlap, two tabs, two logins), through gunicorn on PostgreSQL: one acts,
every other is told the confirmation was used already, and nothing is done twice (decision 82).

With the taken tokens kept in the session, the second of two overlapping requests read a
session the first had not written yet and went on: the services' locks still issued one
certificate (revoked it once), but the admin was told only that the learner "already has a
certificate" (that it is "already revoked"), not that the confirmation was used (the seventh
round's attacker's review). A session of its own for each request is what each of two
overlapping requests of one session saw; each reads its own messages afterwards."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pytest
from django.urls import reverse

from certification.confirmation import ALREADY_USED
from certification.models import Certificate, ConfirmationTaken, Kind
from certification.services import certificate_claim
from portal.audit import audit_verify
from portal.models import AuditEntry
from tests.factories import grant_direct_claims
from tests.integration.served import Browser, gunicorn
from tests.integration.test_lock_order import ready_centre
from tests.integration.test_sqlite_default import together

pytestmark = pytest.mark.usefixtures("real_services")

SESSIONS = 8  # gunicorn's two workers of four threads each: all eight are served at once
TOKEN = re.compile(r'name="token" value="([^"]+)"')


def alerts(page: str) -> str:
    return " | ".join(re.findall(r'<div class="alert[^"]*"[^>]*>\s*(.*?)\s*<', page, re.S))


def sessions(base: str, email: str) -> list[Browser]:
    browsers = [Browser(base) for _ in range(SESSIONS)]
    for browser in browsers:
        browser.log_in(email)
    return browsers


def test_a_claims_confirmation_sent_at_once_from_several_sessions_claims_once(
    real_services, transactional_db, tmp_path: Path
):
    ready = ready_centre(1)
    [registration] = ready.registrations
    with gunicorn(tmp_path) as base:  # the lock-order check on: the token's row after the chain
        browsers = sessions(base, ready.admin.email)
        status, token = browsers[0].claim_confirmation("full", [str(registration.pk)])
        assert status == 200 and token is not None
        statuses = together(
            [partial(b.post, "/claims/confirm/", {"token": token}) for b in browsers]
        )
        # Each is sent back to the claims page, which shows it what happened to its request.
        assert statuses == [302] * SESSIONS
        told = [alerts(browser.get("/claims/")[1]) for browser in browsers]
    claimed = [t for t in told if t.startswith("1 certificate claimed.")]  # then: held for the EQA
    used = [t for t in told if t == ALREADY_USED]
    assert (len(claimed), len(used)) == (1, SESSIONS - 1), told
    assert Certificate.objects.filter(registration=registration).count() == 1
    assert AuditEntry.objects.filter(action="certificate.claimed").count() == 1
    assert ConfirmationTaken.objects.count() == 1
    assert audit_verify()[1] is None


def test_a_revocations_confirmation_sent_at_once_from_several_sessions_revokes_once(
    real_services, transactional_db, tmp_path: Path
):
    ready = ready_centre(1)
    [registration] = ready.registrations
    grant_direct_claims(ready.centre)  # issued, not held for the EQA: so it can be revoked
    certificate = certificate_claim(registration=registration, kind=Kind.FULL, actor=ready.admin)
    url = reverse("certification:certificate-detail", args=[certificate.pk])
    with gunicorn(tmp_path) as base:
        browsers = sessions(base, ready.admin.email)
        status, page = browsers[0].post_page(url, {"action": "revoke", "reason": "In error."})
        found = TOKEN.search(page)
        assert status == 200 and found, alerts(page)
        fields = {"action": "revoke-confirmed", "token": found[1]}
        assert together([partial(b.post, url, fields) for b in browsers]) == [302] * SESSIONS
        told = [alerts(browser.get(url)[1]) for browser in browsers]
    revoked = [t for t in told if t == f"{certificate.number} is revoked."]
    used = [t for t in told if t == ALREADY_USED]
    assert (len(revoked), len(used)) == (1, SESSIONS - 1), told
    certificate.refresh_from_db()
    assert certificate.is_revoked
    assert AuditEntry.objects.filter(action="certificate.revoked").count() == 1
    assert ConfirmationTaken.objects.count() == 1
    assert audit_verify()[1] is None
