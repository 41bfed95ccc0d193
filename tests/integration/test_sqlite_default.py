"""The local default under concurrent requests: `./run.sh`'s own server (Django's threaded
development server) on its SQLite file, with tasks in-process. Twenty decisions posted at once
must all be recorded, the same decisions posted ten times at once recorded once, with no
"database is locked" 500 and the audit chain intact.

It needs no PostgreSQL or Redis, but it migrates a database and starts a server in
subprocesses, so it is slow and lives in the integration suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT
from tests.integration.served import Browser, free_port, wait_until_serving

AT_ONCE = 20
REPEATS = 10


@dataclass
class Local:
    base: str
    env: dict[str, str]
    evidence: int
    registration: int
    assessor: str
    criteria: list[int]

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    def count(self, model: str, **where: object) -> int:
        app, name = model.split(".")
        code = (
            f"from django.apps import apps; "
            f"print(apps.get_model({app!r}, {name!r}).objects.filter(**{where!r}).count())"
        )
        done = self.manage("shell", "-v", "0", "-c", code)
        assert done.returncode == 0, done.stderr
        return int(done.stdout.strip())


def local_env(var_dir: Path) -> dict[str, str]:
    """The environment of a newcomer's `./run.sh`: nothing set but where its files go."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.pop("MEDIA_ROOT", None)
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", PORTAL_VAR_DIR=str(var_dir))
    return env


def run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Local]:
    env = local_env(tmp_path / "var")
    python = sys.executable
    run([python, "manage.py", "migrate", "--no-input", "-v", "0"], env)
    run([python, "manage.py", "load_qualifications"], env)
    ids = json.loads(run([python, "-m", "tests.integration.sqlite_portfolio"], env))
    port = free_port()
    log = tmp_path / "runserver.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, server, log, "runserver")
        yield Local(base=base, env=env, **ids)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "database is locked" not in log.read_text()


def together(sends: list[Callable[[], int]]) -> list[int]:
    """Send every request at the same moment, each from its own thread; their status codes."""
    barrier = threading.Barrier(len(sends))
    statuses: list[int] = []

    def go(send: Callable[[], int]) -> None:
        barrier.wait(timeout=30)
        statuses.append(send())

    threads = [threading.Thread(target=go, args=(send,)) for send in sends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return statuses


def decision(criteria: list[int]) -> dict[str, str | list[str]]:
    return {
        "outcome": "met",
        "method": "product",
        "assessed_on": "2026-10-06",
        "feedback": "Clear evidence.",
        "criteria": [str(pk) for pk in criteria],
    }


def test_twenty_decisions_at_once_on_the_sqlite_default_are_all_recorded(local):
    assert len(local.criteria) >= AT_ONCE + 2
    browser = Browser(local.base)
    browser.log_in(local.assessor)
    path = f"/assess/evidence/{local.evidence}/"

    def deciding(criterion: int) -> Callable[[], int]:
        return lambda: browser.post(path, decision([criterion]))

    statuses = together([deciding(c) for c in local.criteria[:AT_ONCE]])

    # Every one is recorded and redirected back to the page: none is "database is locked".
    assert statuses == [302] * AT_ONCE
    assert local.count("assessment.Decision", registration_id=local.registration) == AT_ONCE
    assert local.count("portal.AuditEntry", action="decision.recorded") == AT_ONCE
    verified = local.manage("verify_audit")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # The same two decisions sent ten times at once: one records them, the others are told.
    repeat = decision(local.criteria[AT_ONCE : AT_ONCE + 2])
    statuses = together([lambda: browser.post(path, repeat)] * REPEATS)
    assert sorted(statuses) == [200] * (REPEATS - 1) + [302]
    assert local.count("assessment.Decision", registration_id=local.registration) == AT_ONCE + 2
    assert local.manage("verify_audit").returncode == 0
