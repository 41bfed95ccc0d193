"""The whole permission matrix on PostgreSQL: every method (GET, HEAD, POST, PUT, PATCH,
DELETE, OPTIONS) by every persona on both centres' things, where the fast suite
(tests/test_permission_matrix.py, which says what each cell must answer) sends only what it
can afford. About 4,400 requests."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.matrix import cells_of, check_cell, world_for_module
from tests.urlmap import URLS
from tests.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(real_services, django_db_setup, django_db_blocker):
    assert connection.vendor == "postgresql"
    yield from world_for_module(django_db_blocker)


@pytest.mark.parametrize("name", sorted(URLS))
def test_every_method_by_every_persona_gets_what_the_table_allows(world: World, name: str):
    cells = cells_of(name, every=True)
    wrong = [problem for cell in cells if (problem := check_cell(world, cell))]
    assert not wrong, f"{name}: {len(wrong)} cells answer otherwise than the table says:\n" + (
        "\n".join(wrong)
    )
