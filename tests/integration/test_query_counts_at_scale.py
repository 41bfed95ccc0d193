"""Every main page makes as many queries at a 1,000-learner centre as at a 5-learner one.

The population is made once for the module by `manage.py generate_load_data` (one centre of
1,000 learners and a small centre of 5), in a transaction rolled back when the module is done.
For each page of scripts/main_pages.py, the busiest person of the page's role at each centre
opens it (a write is sent and rolled back), once to warm up and once counted: the counts must be
equal. Every main page is compared: the small centre has a qualified assessor and a trainee
whose decisions wait for them, as the big one has. A page whose queries grow with the centre
today is marked as an expected failure naming why (strictly: once it is fixed, the mark must
go).

The time those pages take is measured by scripts/bench_pages.py, never asserted here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from portal.models import Centre, RoleKind
from scripts.main_pages import (
    MAIN_PAGES,
    PAGES_BY_NAME,
    answered,
    centres_by_learners,
    client_for,
    prepare,
    send,
)

pytestmark = pytest.mark.django_db

SMALL, BIG = 5, 1000

# Pages whose query counts differ between the two centres, and why. Fixing one turns its
# expected failure into a failure: then remove it from here. (The pages that grew with the
# centre before issue 17's fixes are all off this list now.)
GROWING: dict[str, str] = {}


@dataclass(frozen=True)
class Population:
    small: Centre
    big: Centre


@pytest.fixture(scope="module")
def population(real_services, django_db_setup, django_db_blocker) -> Iterator[Population]:
    """A 5-learner and a 1,000-learner centre, made once and rolled back after the module.

    The writes the tests send happen inside this one transaction, which has written already:
    the lock-order check cannot tell anything here and stands aside (as in tests/matrix.py)."""
    assert connection.vendor == "postgresql"
    unchecked = override_settings(AUDIT_CHECK_LOCK_ORDER=False)
    with django_db_blocker.unblock(), transaction.atomic(), unchecked:
        call_command(
            "generate_load_data",
            *("--centres", "1", "--learners", str(BIG), "--assessors", "20"),
            *("--small-centre-learners", str(SMALL), "--seed", "1"),
        )
        centres = centres_by_learners()
        try:
            yield Population(small=centres[0][0], big=centres[-1][0])
        finally:
            transaction.set_rollback(True)


def test_the_population_has_a_small_and_a_big_centre(population: Population):
    learners = {
        size: centre.roles.filter(kind=RoleKind.LEARNER).count()
        for size, centre in (("small", population.small), ("big", population.big))
    }
    assert learners == {"small": SMALL, "big": BIG}


def queries_at(centre: Centre, name: str) -> int:
    """The page's queries for the busiest person of its role at the centre, warmed up."""
    page = PAGES_BY_NAME[name]
    person = page.person_at(centre)
    assert person is not None, f"the population has no {page.role} at {centre}"
    where = page.find(person)
    assert where is not None, f"{name}: nothing of the kind for {person}"
    client = client_for(person)
    send(client, where, prepare(page, person))  # caches filled, the role switch's message shown
    fetched = send(client, where, prepare(page, person), count=True)
    assert answered(page, fetched.response), (
        f"{name} ({page.method} {where}) answered {fetched.response.status_code}"
    )
    assert fetched.queries is not None
    return fetched.queries


def params() -> list[object]:
    return [
        pytest.param(
            page.name,
            marks=[pytest.mark.xfail(strict=True, reason=f"{page.name}: {GROWING[page.name]}")]
            if page.name in GROWING
            else [],
            id=page.name,
        )
        for page in MAIN_PAGES
    ]


@pytest.mark.parametrize("name", params())
def test_a_main_page_makes_as_many_queries_for_1000_learners_as_for_5(
    population: Population, name: str
):
    small = queries_at(population.small, name)
    big = queries_at(population.big, name)
    assert big == small, f"{name}: {small} queries at {SMALL} learners, {big} at {BIG}"
