"""Audit entries are no longer indexed by their hash, nor by their centre alone (decision 25).

Nothing finds an entry by its hash, and its unique index did not keep a chain from forking (two
entries after the same one have different hashes): the chain's lock does that, and
`verify_audit` finds a fork. Its keys are random, so every append wrote into pages all over two
indexes of 162 MB each at 1.3 million entries (the unique index and the `varchar_pattern_ops`
copy PostgreSQL gets for a unique CharField): 123 entries appended at once took 72-77 ms with
them and 2 ms without. The centre's own index is a copy of the start of `audit_chain_order`.

On PostgreSQL the indexes are found in the catalogue and dropped whatever they are called (this
table was `assessment_auditentry` when they were made, so Django's names for them are not
theirs), without touching the foreign key, so nothing is checked again over a large table.
Elsewhere (SQLite, the local default) they are left: they cost nothing at its sizes, and the
models no longer declare them.
"""

import django.db.models.deletion
from django.db import migrations, models

ON_HASH_OR_CENTRE_ALONE = """
SELECT i.relname, c.conname
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.contype = 'u'
WHERE x.indrelid = 'portal_auditentry'::regclass
  AND x.indnatts = 1 AND NOT x.indisprimary
  AND a.attname IN ('hash', 'centre_id')
"""


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(ON_HASH_OR_CENTRE_ALONE)
        found = cursor.fetchall()
    for index, constraint in found:
        if constraint:
            schema_editor.execute(f'ALTER TABLE portal_auditentry DROP CONSTRAINT "{constraint}"')
        else:
            schema_editor.execute(f'DROP INDEX "{index}"')


def restore(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE portal_auditentry ADD CONSTRAINT portal_auditentry_hash_key UNIQUE (hash)"
    )
    schema_editor.execute(
        "CREATE INDEX portal_auditentry_hash_like ON portal_auditentry (hash varchar_pattern_ops)"
    )
    schema_editor.execute(
        "CREATE INDEX portal_auditentry_centre_id ON portal_auditentry (centre_id)"
    )


class Migration(migrations.Migration):
    dependencies = [("portal", "0006_learner_identity")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="centre",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.centre",
                    ),
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="hash",
                    field=models.CharField(max_length=64),
                ),
            ],
            database_operations=[migrations.RunPython(drop, restore)],
        )
    ]
