"""Room in each page of the kept claim readiness for its rows' new versions (decision 65).

Marking readiness stale (`portfolios.readiness.readiness_changed`) changes one column that no
index holds, but with the table's pages full PostgreSQL wrote each new version on another page
and so an entry in each of the table's five indexes: a plan's 64 rows marked stale touched
1,219 buffers. With a fill factor of 70 the new version goes on the same page (a HOT update, no
index touched), and old versions are pruned from the page as it is next read. The table is
written again once so that its pages have the room now, not only as rows are added: VACUUM FULL,
a few seconds at most on one row per registration, holding the table meanwhile.
"""

from django.db import migrations

TABLE = "portfolios_claimreadiness"


def make_room(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 70)")
        cursor.execute(f"VACUUM FULL {TABLE}")


def take_room_back(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    atomic = False  # VACUUM cannot run inside a transaction

    dependencies = [
        ("portfolios", "0022_realistic_working_environment_setting"),
    ]

    operations = [migrations.RunPython(make_room, take_room_back, elidable=False)]
