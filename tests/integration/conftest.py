"""Real services for the integration suite: PostgreSQL, Redis and a Celery worker process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection
from kombu.exceptions import OperationalError

from portal import broker
from portal.celery import app as celery_app
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def broker_trusted_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A publish that failed pauses this process's publishing for a while (portal.broker):
    not into the next test, whose broker is up."""
    monkeypatch.setattr(broker, "_down_until", 0.0)


@pytest.fixture(scope="session")
def real_services() -> None:
    """PostgreSQL and Redis, as named by DATABASE_URL and REDIS_URL (test.sh sets both)."""
    need(
        settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql",
        "the integration suite needs PostgreSQL: set DATABASE_URL (./test.sh does)",
    )
    need(settings.REDIS_URL, "the integration suite needs Redis: set REDIS_URL (./test.sh does)")
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        need(False, f"Redis at {settings.REDIS_URL} does not answer: {error}")


def worker_database_url() -> str:
    """The URL of the database pytest-django created, for processes the tests start."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def worker_process(
    log_dir: Path, module: str = "celery", extra_env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A Celery worker process (two pool processes) on a queue of its own, reading the test
    database, while the block runs; `module` is run with `python -m` and given celery's
    command line (the tests' stalling worker wraps the real one).

    Its queue is new every time, so a worker left over from another run can never take this
    run's tasks. The test process sends to that queue by default while the worker lives.
    """
    queue = f"test-{uuid.uuid4().hex[:12]}"
    name = f"{queue}@{socket.gethostname()}"
    log = log_dir / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": queue,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **(extra_env or {}),
    }
    command = [sys.executable, "-m", module]
    command += ["-A", "portal"] if module == "celery" else []
    command += ["worker", "--hostname", name, "--queues", queue, "--concurrency", "2"]
    command += ["--loglevel", "INFO", "--without-gossip"]
    with open(log, "w") as output:
        worker = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_worker(worker, name, log, env["REDIS_URL"])
        previous = celery_app.conf.task_default_queue
        celery_app.conf.task_default_queue = queue
        try:
            yield worker, queue
        finally:
            celery_app.conf.task_default_queue = previous
    finally:
        stop(worker)


@pytest.fixture(scope="session")
def celery_worker(real_services, django_db_setup, tmp_path_factory) -> Iterator[str]:
    """The real worker the integration and browser tests share."""
    with worker_process(tmp_path_factory.mktemp("celery")) as (_, queue):
        yield queue


@contextmanager
def beat(
    log_dir: Path, broker: str, queue: str, **extra_env: str
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A real beat process sending the periodic tasks every second (SWEEP_SECONDS) to `queue`
    on `broker`, reading the test database, while the block runs; yields it and its log."""
    log = log_dir / "beat.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": broker,
        "CELERY_QUEUE": queue,
        "SWEEP_SECONDS": "1",
        **extra_env,
    }
    command = [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO"]
    command += ["--schedule", str(log_dir / "beat-schedule")]
    with open(log, "w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield process, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def wait_for_worker(worker: subprocess.Popen[bytes], name: str, log: Path, broker: str) -> None:
    # A worker on a broker of the test's own is asked through that broker, by an app that does
    # not become the current one: shared tasks sent from this process would follow it there,
    # to a broker the test then stops.
    app = (
        celery_app if broker == settings.REDIS_URL else Celery(broker=broker, set_as_current=False)
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"The Celery worker exited at start:\n{log.read_text()}")
        try:
            if app.control.ping(destination=[name], timeout=1.0):
                return
        except (redis.RedisError, OperationalError):
            time.sleep(0.5)  # a broker restarted by the test: its old connections are closed
    pytest.fail(f"The Celery worker did not answer within 60 s:\n{log.read_text()}")


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
