"""Claim readiness kept on the registrations, on PostgreSQL with committed data, where the lock
order is checked (portal.audit): random runs of every kind of change, and pages refreshing while
the changes commit, never leave a stale verdict to be shown."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import close_old_connections, connection, transaction

from certification.readiness import claimable_registrations, refresh_readiness
from portfolios.models import ClaimReadiness, RegistrationStatus
from qualifications.models import RuleGroup
from tests.certification.test_readiness_kept import (
    CHANGES,
    World,
    achieve_unit,
    check_never_stale,
    facts_of,
    fresh_readiness,
    kept_facts,
    planned_units,
    world,
)
from tests.portfolios.conftest import sfj

__all__ = ["sfj", "world"]


@pytest.fixture
def committed(real_services, transactional_db) -> None:
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_run_of_changes_never_leaves_a_stale_verdict_showing(committed, world, seed):
    rng = random.Random(seed)
    check_never_stale(world, "nothing yet")
    for _ in range(80):
        registration = rng.choice(world.registrations)
        if world.fresh(registration.pk).status != RegistrationStatus.ACTIVE:
            continue
        change = rng.choice(CHANGES)
        if done := change(world, registration, rng):
            check_never_stale(world, done)
            world.done.append(done)
    assert len(world.done) > 30


def no_stale_verdict_kept(world: World) -> None:
    """Every open registration is marked out of date, or what is kept is what is true."""
    out_of_date = set(
        claimable_registrations(world.centre).readiness_out_of_date().values_list("pk", flat=True)
    )
    kept = {k.registration_id: k for k in ClaimReadiness.objects.all()}
    for r in fresh_readiness(world):
        if r.registration.pk not in out_of_date:
            assert kept_facts(kept[r.registration.pk]) == facts_of(r)


def test_pages_refreshing_while_changes_commit_keep_no_stale_verdict(committed, world):
    """Three 'pages' refresh in a loop while units are achieved and the rules change back and
    forth (the catalogue takes no centre's chain): whatever interleaving happens, nothing kept
    is out of date and unmarked, and no transaction breaks the lock order or deadlocks."""
    first = world.registrations[0]
    stop = threading.Event()
    errors: list[BaseException] = []

    def page() -> None:
        try:
            while not stop.is_set():
                refresh_readiness(world.centre)
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    def catalogue() -> None:
        try:
            for n in range(30):
                with transaction.atomic():
                    group = RuleGroup.objects.select_for_update().get(
                        qualification=world.sfj, code="B"
                    )
                    group.min_credits = 16 if n % 2 == 0 else 13
                    group.save()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    pages = [threading.Thread(target=page) for _ in range(3)]
    for thread in pages:
        thread.start()
    rules = threading.Thread(target=catalogue)
    rules.start()
    for unit in planned_units(first):
        achieve_unit(world, first, unit)
    rules.join()
    stop.set()
    for thread in pages:
        thread.join()
    assert not errors, errors
    no_stale_verdict_kept(world)
    refresh_readiness(world.centre)
    no_stale_verdict_kept(world)
    assert not claimable_registrations(world.centre).readiness_out_of_date().exists()
