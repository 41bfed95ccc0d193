"""The same request sent many times at once (double clicks, two tabs, a retrying proxy), through
gunicorn on PostgreSQL: one takes effect, the others get a clear answer, never a 500, and the
audit log has one entry per real change."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assessment.models import Decision, UnitSignOff
from assessment.services import Judgement, decision_record, unit_sign_off
from portal.audit import audit_verify
from portal.models import AuditEntry, Centre, RoleKind
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Mapping, MappingStatus, Registration
from qualifications.models import Criterion, Unit
from tests.catalogue import load_test_world
from tests.factories import PASSWORD, RoleFactory, UserFactory
from tests.integration.portfolio import Portfolio, portfolio_made
from tests.integration.served import Browser, gunicorn

TIMES = 10
UNIT = "SFJ-CS2-07"


@pytest.fixture
def server(real_services, transactional_db, tmp_path: Path) -> Iterator[str]:
    with gunicorn(tmp_path) as base:
        yield base


@pytest.fixture
def portfolio(server) -> Portfolio:
    load_test_world()
    return portfolio_made()


def unit_criteria(code: str) -> list[int]:
    return list(
        Criterion.objects.filter(unit__code=code).order_by("pk").values_list("pk", flat=True)
    )


def at_once(send: Callable[[], int]) -> list[int]:
    """Send the same request TIMES times, all released together; their status codes."""
    barrier = threading.Barrier(TIMES)
    statuses: list[int] = []

    def go() -> None:
        barrier.wait(timeout=30)
        statuses.append(send())

    threads = [threading.Thread(target=go) for _ in range(TIMES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def entries(centre: Centre, action: str) -> int:
    return AuditEntry.objects.filter(centre=centre, action=action).count()


def test_the_same_decisions_posted_at_once_are_recorded_once(server, portfolio):
    chosen = unit_criteria(UNIT)[:2]
    browser = Browser(server)
    browser.log_in(portfolio.assessor.email)
    fields: dict[str, str | list[str]] = {
        "outcome": "met",
        "method": "product",
        "assessed_on": "2026-10-06",
        "feedback": "Clear evidence.",
        "criteria": [str(pk) for pk in chosen],
    }
    statuses = at_once(lambda: browser.post(f"/assess/evidence/{portfolio.evidence.pk}/", fields))
    # One is recorded and redirected; the others are shown the page again with the reason.
    assert sorted(statuses) == [200] * (TIMES - 1) + [302]
    assert Decision.objects.filter(registration=portfolio.registration).count() == 2
    assert entries(portfolio.centre, "decision.recorded") == 2
    assert audit_verify()[1] is None


def test_the_same_mapping_confirmed_at_once_is_confirmed_once(server, portfolio):
    mapping_propose(
        evidence=portfolio.evidence,
        targets=Targets(criteria=frozenset(unit_criteria(UNIT)[:1])),
        actor=portfolio.learner,
    )
    mapping = Mapping.objects.get(evidence=portfolio.evidence)
    browser = Browser(server)
    browser.log_in(portfolio.assessor.email)
    statuses = at_once(
        lambda: browser.post(f"/assess/mappings/{mapping.pk}/", {"action": "confirm"})
    )
    assert statuses == [302] * TIMES  # each is sent back to the review page, with its message
    mapping.refresh_from_db()
    assert mapping.status == MappingStatus.CONFIRMED
    assert entries(portfolio.centre, "mapping.confirmed") == 1
    assert audit_verify()[1] is None


def test_a_unit_countersigned_at_once_is_countersigned_once_with_the_signature_logged(
    server, portfolio
):
    unit = Unit.objects.get(code=UNIT)
    decision_record(
        registration=portfolio.registration,
        targets=Targets(criteria=frozenset(unit_criteria(UNIT))),
        judgement=Judgement("met", "product", datetime.date(2026, 10, 6)),
        evidence=[portfolio.evidence],
        actor=portfolio.assessor,
    )
    sign_off = unit_sign_off(
        registration=portfolio.registration,
        unit_id=unit.pk,
        signature="Samir Patel",
        password=PASSWORD,
        declared=True,
        actor=portfolio.assessor,
    )
    browser = Browser(server)
    browser.log_in(portfolio.learner.email)
    signatures = iter(f"Leo Brown {n}" for n in range(TIMES))
    lock = threading.Lock()

    def countersign() -> int:
        with lock:
            signature = next(signatures)
        fields = {"declared": "on", "signature": signature}
        return browser.post(f"/assess/sign-offs/{sign_off.pk}/countersign/", fields)

    assert at_once(countersign) == [302] * TIMES
    sign_off = UnitSignOff.objects.get(pk=sign_off.pk)
    [entry] = AuditEntry.objects.filter(
        centre=portfolio.centre, action="unit.learner_countersigned"
    )
    # The signature kept is the one the audit log says was given.
    assert entry.after == {"signature": sign_off.learner_signature}
    assert audit_verify()[1] is None


def test_a_trainees_decisions_countersigned_at_once_are_countersigned_once(server, portfolio):
    trainee = UserFactory.create(email="trainee@example.org")
    RoleFactory.create(
        user=trainee, centre=portfolio.centre, kind=RoleKind.ASSESSOR, is_trainee=True
    )
    Registration.objects.filter(pk=portfolio.registration.pk).update(assessor=trainee)
    criteria = unit_criteria(UNIT)
    decision_record(
        registration=Registration.objects.get(pk=portfolio.registration.pk),
        targets=Targets(criteria=frozenset(criteria)),
        judgement=Judgement("met", "product", datetime.date(2026, 10, 6)),
        evidence=[portfolio.evidence],
        actor=trainee,
    )
    provisional = list(
        Decision.objects.filter(registration=portfolio.registration, provisional=True)
    )
    assert len(provisional) == len(criteria)
    browser = Browser(server)
    browser.log_in(portfolio.assessor.email)
    fields = {"decisions": [str(d.pk) for d in provisional]}
    statuses = at_once(lambda: browser.post("/assess/countersign/", fields))
    # One countersigns them all; the others find nothing left to countersign and say so.
    assert 500 not in statuses and statuses.count(302) >= 1, statuses
    assert not Decision.objects.filter(
        registration=portfolio.registration, provisional=True, current=True
    ).exists()
    assert entries(portfolio.centre, "decision.countersigned") == len(provisional)
    assert audit_verify()[1] is None
