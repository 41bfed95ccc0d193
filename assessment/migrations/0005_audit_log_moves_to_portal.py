# The audit log moves to the ground floor (portal), keeping every row as it is: the table is
# renamed and the model leaves this app's state; portal's 0002 takes it into its own state.
# Nothing an entry's hash covers changes, so the chain verifies across the move.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("assessment", "0004_unlock"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="auditentry", table="portal_auditentry"),
            ],
            state_operations=[
                migrations.DeleteModel(name="AuditEntry"),
            ],
        ),
    ]
