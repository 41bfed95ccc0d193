"""What is wrong with the database, said in a sentence, for `manage.py` (and so every management
command): a database that is not there, or not migrated, gives Django's traceback of the first
query that failed, which tells a newcomer nothing. Asked only after a database error, and the
error is raised as it was when the database itself is sound (a mistake in a query stays a
traceback)."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

MIGRATE = "Run `python manage.py migrate` to make its tables."


def what_is_wrong(
    error: DatabaseError, *, migrating: bool = False, alias: str = DEFAULT_DB_ALIAS
) -> str | None:
    """A sentence naming the database and what is wrong with it (cannot be reached, or has
    migrations not applied), or None when neither is so and the error is something else.
    While migrating, migrations are not applied by definition: a failing one keeps its
    traceback."""
    connection = connections[alias]
    name = connection.settings_dict.get("NAME") or "(no name)"
    try:
        connection.close()  # after an error PostgreSQL refuses more in the transaction
        connection.ensure_connection()
    except DatabaseError as unreachable:
        return f"Cannot reach the database {name}: {first_line(unreachable)}."
    if migrating:
        return None
    try:
        waiting = unapplied(alias)
    except DatabaseError:  # cannot tell: the error is raised as it was
        return None
    if waiting:
        return (
            f"The database {name} is not migrated ({migrations(waiting)} not applied), "
            f"so {first_line(error)}. {MIGRATE}"
        )
    return None


def unapplied(alias: str = DEFAULT_DB_ALIAS) -> int:
    """How many migrations the database has not applied (raises the database's error)."""
    # Imported here: the loader reads every app's migrations, which only rare paths need.
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def migrations(n: int) -> str:
    return f"{n} migration" if n == 1 else f"{n} migrations"


def database_error_in(error: BaseException) -> DatabaseError | None:
    """The database error that `error` is, or was raised while handling (a server-side cursor
    closed after its query failed raises the driver's own error, the query's in its context)."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        if isinstance(found, DatabaseError):
            return found
        seen.add(id(found))
        found = found.__cause__ or found.__context__
    return None


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__
