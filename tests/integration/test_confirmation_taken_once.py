"""One claim's confirmation sent at the same moment from several sessions of its admin (a
double click whose two requests overlap, two tabs, two logins), through gunicorn on PostgreSQL:
one claims, every other is told the confirmation was used already, and nothing is claimed twice
(decision 81). With the taken tokens kept in the session, the second of two overlapping requests
read a session the first had not written yet, claimed again, and was told only that the learner
"already has a certificate" (the seventh round's attacker's review)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from certification.models import Certificate, ConfirmationTaken
from portal.audit import audit_verify
from tests.integration.served import Browser, gunicorn
from tests.integration.test_lock_order import ready_centre

pytestmark = pytest.mark.usefixtures("real_services")

SESSIONS = 8


def alerts(page: str) -> str:
    return " | ".join(re.findall(r'<div class="alert[^"]*"[^>]*>\s*(.*?)\s*<', page, re.S))


def test_a_confirmation_sent_at_once_from_several_sessions_is_taken_once(
    real_services, transactional_db, tmp_path: Path
):
    ready = ready_centre(1)
    [registration] = ready.registrations
    with gunicorn(tmp_path) as base:
        browsers = [Browser(base) for _ in range(SESSIONS)]
        for browser in browsers:
            browser.log_in(ready.admin.email)
        status, token = browsers[0].claim_confirmation("full", [str(registration.pk)])
        assert status == 200 and token is not None
        barrier = threading.Barrier(SESSIONS)
        statuses: list[int] = [0] * SESSIONS

        def confirm(n: int) -> None:
            barrier.wait(timeout=30)
            statuses[n] = browsers[n].post("/claims/confirm/", {"token": token})

        threads = [threading.Thread(target=confirm, args=(n,)) for n in range(SESSIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        # Each is sent back to the claims page, which shows it what happened to its request.
        assert statuses == [302] * SESSIONS
        told = [alerts(browser.get("/claims/")[1]) for browser in browsers]
    claimed = [t for t in told if "1 certificate claimed." in t]
    used = [t for t in told if "That confirmation was used already: nothing more was done." in t]
    assert (len(claimed), len(used)) == (1, SESSIONS - 1), told
    assert Certificate.objects.filter(registration=registration).count() == 1
    assert ConfirmationTaken.objects.count() == 1
    assert audit_verify()[1] is None
