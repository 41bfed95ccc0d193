import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0006: PostgreSQL refuses to alter a table with updates pending in the same
    # transaction.
    dependencies = [("certification", "0006_certificate_claiming_centre")]

    operations = [
        migrations.AlterField(
            model_name="certificate",
            name="centre",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="portal.centre"
            ),
        ),
    ]
