"""The benchmarks' own database, dropped and made afresh only where that loses nothing.

`bench_pages.py --generate`, `bench_centre_admin.py --populate` and `bench_certificates.py`
make their population in the database BENCH_DATABASE_URL names. They dropped it first whatever
it held: pointed by mistake at a portal's own database, a benchmark deleted its data. A
database is now dropped only if a benchmark made it (it carries `MARK` as its comment) or it
holds no tables; any other is left as it is, with a sentence saying why and what to do.
"""

from __future__ import annotations

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

    name = db["NAME"]
    where = {
        "user": db["USER"], "password": db["PASSWORD"] or None,
        "host": db["HOST"] or "localhost", "port": db["PORT"] or 5432,
    }  # fmt: skip
    admin = psycopg2.connect(dbname="postgres", **where)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [name],
            )
            found = cursor.fetchone()
            if found is not None and found[0] != MARK:
                tables = tables_in(name, where)
                if tables:
                    return (
                        f"The database {name} holds {tables} tables and was not made by a "
                        "benchmark, so it is not dropped. Point BENCH_DATABASE_URL at another "
                        "database (one that does not exist yet is made), or drop this one "
                        f"yourself if it holds nothing you need (dropdb {name})."
                    )
            quoted = '"' + name.replace('"', '""') + '"'
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {quoted}")
            cursor.execute(f"COMMENT ON DATABASE {quoted} IS %s", [MARK])
    finally:
        admin.close()
    return None


def tables_in(name: str, where: dict[str, Any]) -> int:
    """How many tables the database holds outside PostgreSQL's own schemas."""
    import psycopg2

    connection = psycopg2.connect(dbname=name, **where)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
            (count,) = cursor.fetchone()
            return int(count)
    finally:
        connection.close()
