"""The suites are told apart by marker: the fast suite leaves out the slow modules, the second
suite runs them with their tasks in-process, as they were written (decision 67)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from portal.celery import app as celery_app
from tests import conftest
from tests.conftest import FAST_SUITE, SLOW_MODULES

ROOT = Path(__file__).resolve().parent.parent


def test_every_slow_module_is_a_test_module_that_exists():
    missing = [name for name in SLOW_MODULES if not (ROOT / name).is_file()]
    assert not missing, f"SLOW_MODULES names files that are not there: {missing}"
    assert all(Path(name).name.startswith("test_") for name in SLOW_MODULES)


def test_test_sh_runs_the_fast_suite_without_the_slow_modules_and_the_second_suite_with_them():
    script = (ROOT / "test.sh").read_text()
    expressions = re.findall(r'run_pytest -m "([^"]+)"', script)
    assert expressions == [FAST_SUITE, "integration or browser or slow"]
    assert "slow:" in (ROOT / "pyproject.toml").read_text()


def item(*markers: str) -> pytest.Item:
    """A stand-in for a collected test with these markers, as the hook reads it."""
    found = SimpleNamespace(get_closest_marker=lambda name: object() if name in markers else None)
    return cast(pytest.Item, found)


@pytest.fixture
def second_suite(monkeypatch, settings):
    """As in the second suite: a broker named, so tasks are queued, not run in-process."""
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    monkeypatch.setattr(conftest, "django_settings", settings)
    monkeypatch.setitem(conftest._tasks_queued, "task_always_eager", False)
    monkeypatch.setitem(conftest._tasks_queued, "task_eager_propagates", False)
    for key in ("task_always_eager", "task_eager_propagates"):
        monkeypatch.setitem(celery_app.conf, key, False)


def test_in_the_second_suite_a_slow_test_runs_its_tasks_in_process_and_the_next_queues_them(
    second_suite,
):
    conftest.pytest_runtest_setup(item("slow"))
    assert celery_app.conf.task_always_eager and celery_app.conf.task_eager_propagates
    conftest.pytest_runtest_setup(item("integration"))
    assert not celery_app.conf.task_always_eager
    assert not celery_app.conf.task_eager_propagates


def test_without_a_broker_the_fast_suites_in_process_tasks_are_left_alone(monkeypatch, settings):
    settings.REDIS_URL = ""
    monkeypatch.setattr(conftest, "django_settings", settings)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    conftest.pytest_runtest_setup(item("integration"))
    assert celery_app.conf.task_always_eager
