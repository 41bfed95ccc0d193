"""A Redis that hangs (SIGSTOP: it takes connections but answers nothing, as a stuck broker or
one cut off by the network does) must not hang the pages that queue work: through gunicorn, a
claim of several certificates, an IQA PDF and "Forgotten your password?" answer, what they asked
for is kept (documents pending, the e-mail sent from the web process), and once Redis goes on a
real beat and worker make the documents.

Each request is given 30 seconds to answer: the liveness bound. Before the broker had timeouts
they waited for as long as Redis hung; without the pause after a failed publish, the claim
waited the broker's timeouts once per certificate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from certification.models import Certificate, RenderStatus
from iqa.models import DocumentStatus, IqaDocument, SamplingPlan
from portal.models import RoleKind
from tests.integration.conftest import beat, worker_process
from tests.integration.own_redis import OwnRedis, own_redis
from tests.integration.served import Browser, gunicorn
from tests.integration.test_certificate_worker import person
from tests.integration.test_nothing_lost import (
    PENDING_SECONDS,
    ready_learners,
    statuses,
    wait_until,
)

__all__ = ["own_redis"]  # the fixture

ANSWER_WITHIN = 30  # seconds
CLAIMED = 10  # certificates in one claim: waiting for the broker once for each would take 40 s


def answered(send, what: str) -> int:
    try:
        return send()
    except TimeoutError:
        pytest.fail(f"{what}: no answer within {ANSWER_WITHIN} s while Redis hung")


def mail_in(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


@pytest.mark.django_db(transaction=True)
def test_with_redis_hung_the_pages_answer_and_the_sweep_makes_what_was_asked_once_it_goes_on(
    real_services, own_redis: OwnRedis, tmp_path: Path
):
    admin, registrations = ready_learners(count=CLAIMED)
    centre = registrations[0].centre
    iqa = person(centre, RoleKind.IQA, "iqa@example.org", "Ivy Quinn")
    today = timezone.localdate()
    plan = SamplingPlan.objects.create(
        centre=centre, qualification=registrations[0].qualification, iqa=iqa,
        starts_on=today, ends_on=today,
    )  # fmt: skip
    extra = {"REDIS_URL": own_redis.url, "PENDING_SECONDS": PENDING_SECONDS}
    mail = tmp_path / "mail"
    web = {
        **extra,
        "TEST_EMAIL_BACKEND": "tests.mail_backends.SlowFileBackend",
        "MAIL_FOLDER": str(mail),
        "MAIL_DELAY": "0",
        "MAIL_SENDER": "web",
    }
    with gunicorn(tmp_path, web) as base:
        centre_admin, quality = Browser(base), Browser(base)
        centre_admin.log_in(admin)
        quality.log_in(iqa.email)
        stranger = Browser(base)
        stranger.get("/accounts/password_reset/")  # its CSRF cookie
        own_redis.pause()
        try:
            claimed = answered(
                lambda: centre_admin.claim(
                    "full", [str(r.pk) for r in registrations], timeout=ANSWER_WITHIN
                ),
                "the claim",
            )
            asked = answered(
                lambda: quality.post(
                    "/iqa/documents/", {"plan": str(plan.pk)}, timeout=ANSWER_WITHIN
                ),
                "the IQA PDF",
            )
            reset = answered(
                lambda: stranger.post(
                    "/accounts/password_reset/", {"email": admin}, timeout=ANSWER_WITHIN
                ),
                "the password reset",
            )
        finally:
            own_redis.resume()
    assert (claimed, asked, reset) == (302, 302, 302)
    assert statuses() == {RenderStatus.PENDING: CLAIMED}
    assert IqaDocument.objects.get(plan=plan).status == DocumentStatus.PENDING
    # The reset link was not lost: the web process sent it itself.
    [sent] = mail_in(mail)
    assert (sent["to"], sent["sender"]) == ([admin], "web") and "/accounts/reset/" in sent["body"]

    with (
        worker_process(tmp_path, extra_env=extra) as (_, queue),
        beat(tmp_path, own_redis.url, queue, PENDING_SECONDS=PENDING_SECONDS) as (_, log),
    ):
        made = wait_until(
            lambda: (
                statuses() == {RenderStatus.READY: CLAIMED}
                and IqaDocument.objects.get(plan=plan).status == DocumentStatus.READY
            ),
            180,
        )
    assert made, f"{statuses()}\n{log.read_text()}"
    assert Certificate.objects.values("registration").distinct().count() == CLAIMED
