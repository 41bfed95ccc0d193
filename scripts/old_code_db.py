"""Make a copy of a benchmark population that the code from before issue 17 can run against.

    # an empty database migrated by the old code, in a worktree of it:
    git worktree add --detach ../old 58ef6f3 && (cd ../old && ln -s "$PWD/../main/.venv" .venv)
    createdb -h 127.0.0.1 -U postgres portal_oldschema
    (cd ../old && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_oldschema \\
        .venv/bin/python manage.py migrate)
    # then, from here:
    .venv/bin/python scripts/old_code_db.py --source portal_final --old-schema portal_oldschema \\
        --target portal_old

The load benchmark's "before" runs the old code on `--target`, the "after" the current code on
`--source`: the same rows on both sides. The old code inserts rows without the columns added
since, so each NOT NULL column it does not know gets a database default (false, 0, '', now(),
an empty JSON object); a NOT NULL column that is a foreign key it does not know is made nullable;
each column it knows that has been dropped since is added back with its old type, nullable.
Tables the old code does not know are left alone. Nothing is written to `--source`.
"""

from __future__ import annotations

import argparse
import subprocess
import time

import psycopg2

DSN = "host=127.0.0.1 port=5432 user=postgres dbname={}"

COLUMNS = """
    SELECT c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default
      FROM information_schema.columns c
      JOIN information_schema.tables t USING (table_schema, table_name)
     WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
"""

FOREIGN_KEY_COLUMNS = """
    SELECT kcu.table_name, kcu.column_name
      FROM information_schema.table_constraints tc
      JOIN information_schema.key_column_usage kcu
        ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
     WHERE tc.table_schema = 'public' AND tc.constraint_type = 'FOREIGN KEY'
"""

DEFAULTS = {
    "boolean": "false",
    "integer": "0",
    "smallint": "0",
    "bigint": "0",
    "numeric": "0",
    "double precision": "0",
    "character varying": "''",
    "text": "''",
    "jsonb": "'{}'::jsonb",
    "date": "CURRENT_DATE",
    "timestamp with time zone": "now()",
    "uuid": "gen_random_uuid()",
}


def columns(dbname: str) -> dict[tuple[str, str], tuple[str, str, str | None]]:
    with psycopg2.connect(DSN.format(dbname)) as conn, conn.cursor() as cur:
        cur.execute(COLUMNS)
        return {(t, c): (dtype, nullable, default) for t, c, dtype, nullable, default in cur}


def foreign_keys(dbname: str) -> set[tuple[str, str]]:
    with psycopg2.connect(DSN.format(dbname)) as conn, conn.cursor() as cur:
        cur.execute(FOREIGN_KEY_COLUMNS)
        return set(cur.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="portal_final")
    parser.add_argument("--old-schema", default="portal_oldschema")
    parser.add_argument("--target", default="portal_old")
    args = parser.parse_args()

    started = time.monotonic()
    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", args.target], check=True
    )
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", "-T", args.source, args.target],
        check=True,
    )
    new, old = columns(args.target), columns(args.old_schema)
    old_tables = {table for table, _ in old}
    new_foreign_keys = foreign_keys(args.target)
    statements = []
    for (table, column), (dtype, nullable, default) in sorted(new.items()):
        if table not in old_tables or (table, column) in old or nullable == "YES" or default:
            continue
        if (table, column) in new_foreign_keys:
            statements.append(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" DROP NOT NULL')
        elif dtype in DEFAULTS:
            statements.append(
                f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET DEFAULT {DEFAULTS[dtype]}'
            )
        else:
            raise SystemExit(f"no default known for {table}.{column} ({dtype})")
    for (table, column), (dtype, _nullable, _default) in sorted(old.items()):
        if (table, column) not in new and any(t == table for t, _ in new):
            statements.append(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {dtype} NULL')
    with psycopg2.connect(DSN.format(args.target)) as conn, conn.cursor() as cur:
        for statement in statements:
            print(statement)
            cur.execute(statement)
    print(f"{args.target}: {len(statements)} changes, in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
