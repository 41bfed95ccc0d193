"""The junk of tests/junk.py on PostgreSQL, which refuses NUL in text and overflows a bigint
where SQLite does not: no malformed value answers 500, and a refusal changes nothing.

Many more examples than the fast suite sends, and first, every sharp value (tests/junk.py:
SHARP) in every parameter of every URL at once, sent by someone allowed to use it.
"""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings

from tests.junk import Junk, junk_for, problems, send_junk, sharp_junk
from tests.matrix import world_for_module
from tests.urlmap import URLS
from tests.world import World

pytestmark = pytest.mark.django_db
EXAMPLES = max(10, settings().max_examples // 6)  # 25 by default, 500 when thorough


@pytest.fixture(scope="module")
def world(real_services, django_db_setup, django_db_blocker):
    assert connection.vendor == "postgresql"
    yield from world_for_module(django_db_blocker)


@pytest.mark.parametrize("name", sorted(URLS))
def test_each_sharp_value_in_every_parameter_at_once_gets_an_answer(world: World, name: str):
    wrong = {}
    for junk in sharp_junk(name):
        if found := problems(junk, send_junk(world, name, junk)):
            wrong[repr(junk)] = found
    assert not wrong


@pytest.mark.parametrize("name", sorted(URLS))
def test_junk_in_any_parameter_gets_an_answer_and_a_refusal_changes_nothing(
    world: World, name: str
):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(junk=junk_for(name))
    def junk_gets_an_answer(junk: Junk) -> None:
        assert not problems(junk, send_junk(world, name, junk))

    junk_gets_an_answer()
