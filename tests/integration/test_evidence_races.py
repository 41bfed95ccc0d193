"""A learner's evidence removed twice at once, or removed while another tab edits or maps it,
through gunicorn on PostgreSQL: one removal, and every other request is told the evidence is
gone (or finds no such page), never a 500 (Evidence.DoesNotExist used to escape)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator

from portal.audit import audit_verify
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import Evidence
from tests.integration.served import Browser
from tests.integration.test_repeated_requests import (
    TIMES,
    UNIT,
    Portfolio,
    at_once,
    entries,
    portfolio,
    server,
    unit_criteria,
)
from tests.portfolios.files import pdf

__all__ = ["portfolio", "server"]
ROUNDS = 4


def new_evidence(portfolio: Portfolio, n: int) -> Evidence:
    return evidence_add(
        registration=portfolio.registration,
        details=EvidenceDetails(f"Two tabs {n}", datetime.date(2026, 10, 5), "product"),
        files=[pdf(extra=f"round {n}".encode())],
        declared=True,
        actor=portfolio.learner,
    )


def test_evidence_removed_many_times_at_once_is_removed_once(server, portfolio):
    learner = Browser(server)
    learner.log_in(portfolio.learner.email)
    path = f"/evidence/{portfolio.evidence.pk}/remove/"
    statuses = at_once(lambda: learner.post(path, {}))
    # The first removes it; the others, already past the page's check, are told it is gone
    # (a redirect to the portfolio); any later finds no such evidence.
    assert 500 not in statuses and statuses.count(302) >= 1, statuses
    assert set(statuses) <= {302, 404}, statuses
    assert not Evidence.objects.filter(pk=portfolio.evidence.pk).exists()
    assert entries(portfolio.centre, "evidence.removed") == 1
    assert audit_verify()[1] is None


def test_evidence_edited_and_mapped_in_other_tabs_while_removed_never_answers_500(
    server, portfolio
):
    learner = Browser(server)
    learner.log_in(portfolio.learner.email)
    criterion = str(unit_criteria(UNIT)[0])
    answers = []
    lock = threading.Lock()
    for n in range(ROUNDS):
        evidence = new_evidence(portfolio, n)
        kinds = iter(range(TIMES))

        def send(pk: int = evidence.pk, n: int = n, kinds: Iterator[int] = kinds) -> int:
            with lock:  # each thread takes the next kind of request
                kind = next(kinds) % 3
            if kind == 0:
                return learner.post(f"/evidence/{pk}/remove/", {})
            if kind == 1:
                fields = {"title": f"Edited {n}", "occurred_on": "2026-10-06", "method": "product"}
                return learner.post(f"/evidence/{pk}/edit/", fields)
            return learner.post(f"/evidence/{pk}/map/", {"criteria": [criterion]})

        answers.append(at_once(send))
        assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert not [a for a in answers if 500 in a], answers
    assert entries(portfolio.centre, "evidence.removed") == ROUNDS
    assert audit_verify()[1] is None
