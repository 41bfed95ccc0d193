"""A confirmation is taken once, whichever session sends it (found by attacking the running
portal over HTTP, round 7): the one-time token was marked used in the session, and each request
reads the session when it starts and writes it when it ends, so the second of a double click,
started before the first ended, did not find it used and claimed again. The services' locks kept
the certificates right (one issued), but the person was told only that the learner "already has
a certificate", and over HTTP the first answer's "claimed" was lost with it. Taken tokens are
kept in the database now (decision 81).

A second login of the same admin is a session that never saw the first request's write: what
the second request of an overlapping double click saw (tests/integration/
test_repeated_requests.py sends ten at once through gunicorn)."""

import datetime
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certification.confirmation import ALREADY_USED, MAX_AGE
from certification.models import Certificate, ConfirmationTaken
from tests.certification.confirm import confirmation_token
from tests.factories import grant_direct_claims

CLAIM = reverse("certification:claim")
CONFIRM = reverse("certification:claim-confirm")


def alerts(page: str) -> list[str]:
    return re.findall(r'<div class="alert[^"]*"[^>]*>\s*(.*?)\s*<', page, re.S)


def test_a_token_taken_in_one_session_is_used_in_every_other(
    client, achieved, centre_admin, centre
):
    grant_direct_claims(centre)
    client.force_login(centre_admin)
    page = client.post(CLAIM, {"kind": "full", "registrations": [achieved.pk]}).content.decode()
    token = confirmation_token(page)
    first = client.post(CONFIRM, {"token": token}, follow=True).content.decode()
    assert "1 certificate claimed." in first
    other = Client()
    other.force_login(centre_admin)  # the second click, in a session without the first's write
    again = other.post(CONFIRM, {"token": token}, follow=True).content.decode()
    assert Certificate.objects.count() == 1
    assert ALREADY_USED.replace("'", "&#x27;") in again, f"told instead: {alerts(again)}"
    assert ConfirmationTaken.objects.count() == 1


def test_taken_tokens_are_forgotten_once_no_token_could_still_be_good(
    client, achieved, centre_admin, centre
):
    """Kept no longer than a confirmation is good for: the table does not grow for ever."""
    long_ago = timezone.now() - datetime.timedelta(seconds=MAX_AGE + 60)
    ConfirmationTaken.objects.create(nonce="old", taken_at=long_ago)
    recent = timezone.now() - datetime.timedelta(seconds=MAX_AGE - 60)
    ConfirmationTaken.objects.create(nonce="recent", taken_at=recent)
    grant_direct_claims(centre)
    client.force_login(centre_admin)
    page = client.post(CLAIM, {"kind": "full", "registrations": [achieved.pk]}).content.decode()
    client.post(CONFIRM, {"token": confirmation_token(page)})
    kept = set(ConfirmationTaken.objects.values_list("nonce", flat=True))
    assert "old" not in kept and "recent" in kept and len(kept) == 2
