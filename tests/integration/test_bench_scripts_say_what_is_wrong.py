"""The benchmark scripts and manage.py, pointed at a database that is not there, not migrated or
holding no load population, say so and how to make one, and exit; they printed Django's
traceback (found by the new users' trials of the sixth and seventh rounds)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg2
import pytest
from django.db import connection

from tests.integration.conftest import ROOT, worker_database_url

pytestmark = pytest.mark.usefixtures("real_services")


def other_database(name: str) -> str:
    return worker_database_url().rsplit("/", 1)[0] + "/" + name


def bench(script: str, database: str, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BENCH_DATABASE_URL": database, "BENCH_REDIS_URL": os.environ["REDIS_URL"]}
    return subprocess.run(
        [sys.executable, f"scripts/{script}", *flags],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def said(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    assert "scripts/bench_pages.py --generate" in run.stderr
    return run.stderr


def connected(name: str):
    """A connection of its own to the named database of the test server, autocommitting."""
    settings = connection.settings_dict
    made = psycopg2.connect(
        dbname=name, user=settings["USER"], password=settings["PASSWORD"] or None,
        host=settings["HOST"] or "localhost", port=settings["PORT"] or 5432,
    )  # fmt: skip
    made.autocommit = True
    return made


@pytest.fixture
def empty_database():
    """A database with no tables (made and dropped outside the test's transaction)."""
    name = f"portal_empty_{uuid.uuid4().hex[:10]}"
    admin = connected("postgres")
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield other_database(name)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def test_a_database_that_is_not_there_is_named_with_how_to_make_it(db):
    missing = other_database(f"portal_missing_{uuid.uuid4().hex[:10]}")
    message = said(bench("bench_pages.py", missing, "--rounds", "1"))
    assert f"Cannot read a load population in {missing}" in message
    assert "does not exist" in message


def test_a_database_not_migrated_is_named_by_every_script(empty_database):
    # bench_load.py reads the population through the same check (`the_population`), after
    # making sure locust is installed, which CI does not install (the "bench" extra).
    for script, flags in (
        ("bench_pages.py", ["--rounds", "1"]),
        ("profile_page.py", ["IQA plan", "--rounds", "1"]),
    ):
        message = said(bench(script, empty_database, *flags))
        assert f"Cannot read a load population in {empty_database}" in message, script
        assert 'relation "portal_centre" does not exist' in message, script


def test_a_migrated_database_without_learners_says_there_are_none(transactional_db):
    message = said(bench("bench_pages.py", worker_database_url(), "--rounds", "1"))
    assert f"No centre with learners in {worker_database_url()}." in message


# manage.py, and so every management command, says the same in a sentence (the new users'
# trials found a traceback for a database not there or not migrated).


def manage(database: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_command_on_a_database_that_is_not_there_names_it(db):
    run = manage(other_database(f"portal_missing_{uuid.uuid4().hex[:10]}"), "eligibility_report",
                 "--centre", "Load centre 01")  # fmt: skip
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.stderr.startswith("Cannot reach the database portal_missing_"), run.stderr
    assert "does not exist" in run.stderr


def test_a_command_on_a_database_not_migrated_says_to_migrate(empty_database):
    run = manage(empty_database, "eligibility_report", "--centre", "Load centre 01")
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    name = empty_database.rsplit("/", 1)[1]
    assert f"The database {name} is not migrated" in run.stderr
    assert "Run `python manage.py migrate` to make its tables." in run.stderr


def test_another_database_error_keeps_its_traceback(db):
    """On a sound database a failing query is a mistake to see in full, not hidden behind a
    sentence about the database (the test database here is migrated and reachable)."""
    code = "from django.db import connection; connection.cursor().execute('SELECT no_such_column')"
    run = manage(worker_database_url(), "shell", "-c", code)
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "Traceback" in run.stderr and "no_such_column" in run.stderr, run.stderr
    assert "Cannot reach" not in run.stderr and "not migrated" not in run.stderr


def test_a_failing_migration_keeps_its_traceback(empty_database):
    """Migrating, the migrations are not applied by definition: a migration that fails is not
    told to migrate. Here the migrations of a database someone else is migrating (a table there
    already, made by hand) fail on their first CREATE."""
    from psycopg2 import connect

    made = connect(empty_database)
    try:
        with made, made.cursor() as cursor:
            cursor.execute("CREATE TABLE django_content_type (id integer)")
    finally:
        made.close()
    run = manage(empty_database, "migrate", "--verbosity", "0")
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "Traceback" in run.stderr and "already exists" in run.stderr, run.stderr
    assert "Run `python manage.py migrate`" not in run.stderr


def test_a_command_whose_cursor_fails_after_its_query_still_says_to_migrate(empty_database):
    """verify_audit reads through a server-side cursor: its query fails, then closing the
    cursor raises the driver's own error, the query's error only in its context."""
    run = manage(empty_database, "verify_audit")
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    assert "is not migrated" in run.stderr and 'relation "portal_auditentry"' in run.stderr


def test_the_health_check_is_not_ready_while_a_migration_is_not_applied(db, client, monkeypatch):
    """A server started on a database not migrated answered every page with a 500 while its
    health check said "ok" (run.sh and the containers' healthchecks wait on it)."""
    from django.db import connection

    from portal import views

    monkeypatch.setattr(views, "MIGRATED", [])
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute(
            "DELETE FROM django_migrations WHERE id = (SELECT max(id) FROM django_migrations)"
        )
    response = client.get("/healthz")
    assert response.status_code == 503
    said = response.content.decode()
    assert said == "not ready: 1 migration not applied (python manage.py migrate)"
    assert views.MIGRATED == []


def test_the_health_check_is_ready_once_every_migration_is_applied(db, client, monkeypatch):
    from portal import views

    monkeypatch.setattr(views, "MIGRATED", [])
    assert client.get("/healthz").content == b"ok"
    assert views.MIGRATED == [True]  # asked once a process, then kept


# The benchmarks drop their database before making a population: only one a benchmark made
# (marked so) or one holding no tables, never a portal's own by a mistaken BENCH_DATABASE_URL.


def admin_connection():
    return connected("postgres")


def rows_in(name: str) -> list[tuple[int]]:
    other = connected(name)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT to_regclass('kept') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return []
            cursor.execute("SELECT x FROM kept ORDER BY x")
            return cursor.fetchall()
    finally:
        other.close()


def fill(name: str, statement: str = "CREATE TABLE kept (x integer)") -> None:
    other = connected(name)
    with other.cursor() as cursor:
        cursor.execute(statement)
        if statement.startswith("CREATE TABLE kept"):
            cursor.execute("INSERT INTO kept VALUES (1), (2)")
    other.close()


@pytest.fixture
def database_name():
    """A database name of the test's own, dropped afterwards whatever the test made of it."""
    name = f"portal_keep_{uuid.uuid4().hex[:10]}"
    yield name
    admin = admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_generate_leaves_a_database_it_did_not_make(db, database_name):
    admin = admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database_name}"')
    admin.close()
    fill(database_name)
    run = bench("bench_pages.py", other_database(database_name), "--generate", "--centres", "1",
                "--learners", "5", "--assessors", "2", "--small-centre-learners", "5")  # fmt: skip
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    assert f"The database {database_name} holds 1 thing (tables, views, sequences or large " \
        "objects) and was not made by a benchmark, so it is not dropped." in run.stderr  # fmt: skip
    assert "Making the population" not in run.stdout  # said only once it is being made
    assert rows_in(database_name) == [(1,), (2,)]


def test_a_database_a_benchmark_made_or_an_empty_one_is_made_afresh(db, database_name):
    from scripts.bench_database import recreate

    settings = {**connection.settings_dict, "NAME": database_name}
    assert recreate(settings) is None  # not there: made, and marked as the benchmarks'
    fill(database_name)
    assert recreate(settings) is None  # the benchmarks' own: dropped whatever it holds
    assert rows_in(database_name) == []
    admin = admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'COMMENT ON DATABASE "{database_name}" IS NULL')
    admin.close()
    assert recreate(settings) is None  # not marked, but holding no tables: nothing is lost
    admin = admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'COMMENT ON DATABASE "{database_name}" IS NULL')
    admin.close()
    fill(database_name)
    refusal = recreate(settings)
    assert refusal is not None and "not dropped" in refusal
    assert rows_in(database_name) == [(1,), (2,)]


def test_a_sequence_alone_is_something_to_keep_and_odd_names_are_quoted(db):
    from scripts.bench_database import recreate

    name = f"portal_keep_{uuid.uuid4().hex[:6]}; x%s'"
    settings = {**connection.settings_dict, "NAME": name}
    try:
        assert recreate(settings) is None  # made, and marked, whatever its name holds
        admin = admin_connection()
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            assert cursor.fetchone() == (1,)
            cursor.execute(f'COMMENT ON DATABASE "{name}" IS NULL')
        admin.close()
        fill(name, "CREATE SEQUENCE counter")
        refusal = recreate(settings)
        assert refusal is not None and "holds 1 thing" in refusal
        assert "(dropdb 'portal_keep_" in refusal  # quoted for a shell
    finally:
        admin = admin_connection()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
