"""The benchmarks' own database, dropped and made afresh only where that loses nothing.

`bench_pages.py --generate`, `bench_centre_admin.py --populate` and `bench_certificates.py`
make their population in the database BENCH_DATABASE_URL names. They dropped it first whatever
it held: pointed by mistake at a portal's own database, a benchmark deleted its data. A
database is now dropped only if a benchmark made it (it carries `MARK` as its comment) or it
holds nothing of anyone's (no table, view, sequence or large object); any other is left as it
is, with a sentence saying why and what to do.
"""

from __future__ import annotations

import shlex
import sys
from typing import Any

# The comment a benchmark gives the database it makes: its own, to drop again.
MARK = "Made by the portal's benchmarks (scripts/bench_database.py): they may drop it."


def recreate_database() -> None:
    """Drop the benchmark database of the settings (if it is one a benchmark may drop) and make
    it afresh, marked as the benchmarks'; exit with a sentence if it is not theirs."""
    from django.conf import settings

    refusal = recreate(settings.DATABASES["default"])
    if refusal:
        sys.exit(refusal)


def recreate(db: dict[str, Any]) -> str | None:
    """`recreate_database` for these connection settings: None once done, or why not."""
    import psycopg2
    from psycopg2 import sql

    name = db["NAME"]
    where = {
        "user": db["USER"], "password": db["PASSWORD"] or None,
        "host": db["HOST"] or "localhost", "port": db["PORT"] or 5432,
    }  # fmt: skip
    try:
        admin = psycopg2.connect(dbname="postgres", **where)
    except psycopg2.OperationalError as error:
        return f"Cannot reach PostgreSQL to make the database {name}: {error}".strip()
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [name],
            )
            found = cursor.fetchone()
            if found is not None and found[0] != MARK:
                held = objects_in(name, where)
                if held:
                    things = "thing" if held == 1 else "things"
                    return (
                        f"The database {name} holds {held} {things} (tables, views, sequences "
                        "or large objects) and was not made by a benchmark, so it is not "
                        "dropped. Point BENCH_DATABASE_URL at another database (one that does "
                        "not exist yet is made), or drop this one yourself if it holds nothing "
                        f"you need (dropdb {shlex.quote(name)})."
                    )
            quoted = sql.Identifier(name)
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(quoted))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(quoted))
            cursor.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(quoted, sql.Literal(MARK))
            )
    finally:
        admin.close()
    return None


def objects_in(name: str, where: dict[str, Any]) -> int:
    """How many tables, views, sequences and large objects the database holds outside
    PostgreSQL's own schemas: what dropping it would lose."""
    import psycopg2

    connection = psycopg2.connect(dbname=name, **where)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg_toast%') "
                "+ (SELECT count(*) FROM pg_largeobject_metadata)"
            )
            (count,) = cursor.fetchone()
            return int(count)
    finally:
        connection.close()
