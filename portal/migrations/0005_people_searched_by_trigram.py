"""Trigram indexes on people's names and e-mail addresses, on PostgreSQL only.

The registrations list finds a learner by any part of their name or address
(`full_name__icontains`, `email__icontains`: `UPPER(...) LIKE UPPER('%young%')`), which no
b-tree index can answer: at 20,000 people the search read every one of them (25 ms of a 30 ms
query). GIN indexes of `pg_trgm` on the same `UPPER(...)` expressions answer it from the index
(docs/performance.md, "Indexes"). SQLite, the local default, has no such index and needs none
at its sizes, so the operations run on PostgreSQL only, and the models do not declare them.
"""

from django.db import migrations

INDEXES = {
    "portal_user_full_name_trgm": "full_name",
    "portal_user_email_trgm": "email",
}


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON portal_user "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_invitation")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
