"""No malformed value answers 500, and a request turned down changes nothing: Hypothesis sends
junk (tests/junk.py) to every parameter of every URL in tests/urlmap.py, as every persona.

A few examples per URL here, for a fixed quarter of the URLs (`FAST_SHARE`), so the fast suite
stays fast; CI sends many more to every URL on PostgreSQL
(tests/integration/test_junk_on_postgresql.py), and HYPOTHESIS_PROFILE=thorough twenty times
as many again. A failure prints the junk that broke, as `Junk(...)`.
"""

from __future__ import annotations

import re
from inspect import getsource, unwrap
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.junk import junk_for, problems, send_junk
from tests.matrix import world_for_module
from tests.urlmap import URLS, Route, form_fields, routes
from tests.world import World

pytestmark = pytest.mark.django_db
EXAMPLES = max(3, settings().max_examples // 40)  # 3 by default, 75 when thorough


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


# Every FAST_SHARE-th URL by name: every URL gets junk in CI.
FAST_SHARE = 4


@pytest.mark.parametrize("name", sorted(URLS)[::FAST_SHARE])
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
    def junk_gets_an_answer(junk):
        assert not problems(junk, send_junk(world, name, junk))

    junk_gets_an_answer()


READS = re.compile(r"request\.(GET|POST)(?:\.get|\.getlist|\[|)\(?\s*[\"']([\w-]+)[\"']")
IN = re.compile(r"[\"']([\w-]+)[\"']\s+(?:not\s+)?in\s+request\.(GET|POST)")
BINDS = re.compile(r"(\w+Form)\(\s*request\.(GET|POST)")


def form_of_class_based_view(callback: Any) -> type[Any] | None:
    """The form a class-based view binds (a login view's `authentication_form` before its
    `form_class`), as given to as_view() or set on the class."""
    view_class = getattr(callback, "view_class", None)
    given = getattr(callback, "view_initkwargs", {})
    found = [
        given.get(name, getattr(view_class, name, None))
        for name in ("authentication_form", "form_class")
    ]
    return next((form for form in found if form is not None), None)


def reached() -> list[Route]:
    """The routes a request can reach: not those an earlier pattern of the same route answers
    for (django.contrib.auth.urls' own login and password reset pages, which the portal's
    replace)."""
    found: dict[str, Route] = {}
    for route in routes():
        found.setdefault(route.route, route)
    return list(found.values())


@pytest.mark.parametrize("route", reached(), ids=lambda r: r.name)
def test_every_key_a_view_reads_and_every_form_it_binds_is_in_the_table(route):
    """So that junk reaches them: the view's own source, read for request.GET and .POST, and
    a class-based view's form."""
    entry = URLS.get(route.name)
    if entry is None:  # test_every_url_has_an_entry says what to write
        return
    form = form_of_class_based_view(route.callback)
    assert form is None or form in entry.forms, f"add to URLS[{route.name!r}]: {form}"
    try:
        source = getsource(unwrap(route.callback))
    except (OSError, TypeError):  # a view with no source of its own
        return
    read = {(m, k) for m, k in READS.findall(source)} | {(m, k) for k, m in IN.findall(source)}
    declared = {("GET", k) for k in entry.get_keys} | {("POST", k) for k in entry.post_keys}
    fields = {n for form in entry.forms for n in form_fields(form)}
    missing = {(m, k) for m, k in read if (m, k) not in declared and k not in fields}
    forms = {f for f, _ in BINDS.findall(source)} - {f.__name__ for f in entry.forms}
    assert not missing and not forms, f"add to URLS[{route.name!r}]: {missing or ''} {forms or ''}"
