"""The audit chain holds under concurrent requests on PostgreSQL, and centres do not queue
behind each other's appends.

The first test sends real concurrent requests to gunicorn (two workers, four threads each)
serving the test database; the second holds one centre's chain open in a transaction and
watches another centre's append go through while the same centre's waits its turn.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from assessment.models import Decision
from portal.audit import Entry, audit_append, audit_append_many, audit_verify
from portal.models import AuditEntry
from qualifications.models import Criterion
from tests.factories import CentreFactory
from tests.integration.served import Browser
from tests.integration.test_repeated_requests import portfolio, server

REQUESTS = 11


def test_concurrent_decisions_through_gunicorn_keep_the_chain_intact(server, portfolio):
    assert connection.vendor == "postgresql"
    centre, assessor = portfolio.centre, portfolio.assessor
    registration, evidence = portfolio.registration, portfolio.evidence
    planned = registration.planned_units.values("unit_id")
    criteria = list(
        Criterion.objects.filter(unit__in=planned).order_by("pk").values_list("pk", flat=True)
    )[:REQUESTS]
    assert len(criteria) == REQUESTS

    browser = Browser(server)
    browser.log_in(assessor.email)
    barrier = threading.Barrier(REQUESTS)
    statuses: list[int] = []

    def decide(criterion: int) -> None:
        barrier.wait(timeout=30)
        fields = {
            "outcome": "met",
            "method": "product",
            "assessed_on": "2026-10-06",
            "feedback": "Clear evidence.",
            "criteria": str(criterion),
        }
        statuses.append(browser.post(f"/assess/evidence/{evidence.pk}/", fields))

    threads = [threading.Thread(target=decide, args=(c,)) for c in criteria]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [302] * REQUESTS  # every decision recorded, each redirected to the page
    assert Decision.objects.filter(registration=registration, current=True).count() == REQUESTS
    recorded = AuditEntry.objects.filter(centre=centre, action="decision.recorded")
    assert recorded.count() == REQUESTS
    assert audit_verify() == (AuditEntry.objects.count(), None)
    # No two entries of the centre's chain follow the same one.
    previous = list(
        AuditEntry.objects.filter(centre=centre).values_list("previous_hash", flat=True)
    )
    assert len(previous) == len(set(previous))


@pytest.mark.django_db(transaction=True)
def test_one_centres_open_transaction_holds_its_own_chain_and_no_other(real_services):
    here, there = CentreFactory.create(), CentreFactory.create()
    holding, release = threading.Event(), threading.Event()
    entries: dict[str, AuditEntry] = {}

    def append(name: str, centre_id: int) -> None:
        entries[name] = audit_append(
            actor=None, action="test.done", subject=f"thing:{name}", centre_id=centre_id
        )

    def hold_open() -> None:
        try:
            with transaction.atomic():
                append("held", here.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def in_thread(name: str, centre_id: int) -> threading.Thread:
        def run() -> None:
            try:
                append(name, centre_id)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    holder = threading.Thread(target=hold_open)
    holder.start()
    assert holding.wait(timeout=30)
    elsewhere = in_thread("elsewhere", there.pk)
    elsewhere.join(timeout=20)
    # The other centre's append went through while this centre's transaction was still open.
    assert not elsewhere.is_alive() and "elsewhere" in entries and holder.is_alive()
    same = in_thread("same", here.pk)
    same.join(timeout=2)
    assert same.is_alive(), "an append to the same chain waits for the open transaction"
    release.set()
    holder.join(timeout=30)
    same.join(timeout=30)
    assert not same.is_alive()
    # Having waited, it follows the entry the open transaction committed.
    assert entries["same"].previous_hash == entries["held"].hash
    assert audit_verify()[1] is None


@pytest.mark.django_db(transaction=True)
def test_entries_appended_many_at_once_and_one_by_one_at_the_same_time_keep_one_chain(
    real_services,
):
    centre = CentreFactory.create()
    barrier = threading.Barrier(6)
    failures: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for round_ in range(5):
                with transaction.atomic():
                    if n % 2:
                        audit_append(
                            actor=None, action="test.one", subject=f"t{n}:{round_}",
                            centre_id=centre.pk,
                        )  # fmt: skip
                    else:
                        audit_append_many(
                            [Entry(None, "test.many", f"t{n}:{round_}:{k}", centre.pk)
                             for k in range(20)]
                        )  # fmt: skip
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    chain = AuditEntry.objects.filter(centre=centre)
    assert chain.count() == 3 * 5 + 3 * 5 * 20
    # No two entries follow the same one, and the chain walks from end to end.
    previous = list(chain.values_list("previous_hash", flat=True))
    assert len(previous) == len(set(previous))
    assert audit_verify()[1] is None


__all__ = ["portfolio", "server"]  # the fixtures, shared with the repeated-requests tests
