"""Each certificate names the centre that claimed it (decision 40). Existing ones are given the
centre whose chain recorded their claim (a replacement: its original's), else their
registration's centre."""

import django.db.models.deletion
from django.db import migrations, models


def claiming_centres(apps, schema_editor):
    Certificate = apps.get_model("certification", "Certificate")
    AuditEntry = apps.get_model("portal", "AuditEntry")
    claimed = dict(
        AuditEntry.objects.filter(action="certificate.claimed").values_list("subject", "centre_id")
    )
    # Originals first: a replacement takes its original's centre.
    for certificate in Certificate.objects.select_related("registration").order_by("pk"):
        if certificate.replaces_id is not None:
            original = Certificate.objects.get(pk=certificate.replaces_id)
            centre_id = original.centre_id
        else:
            centre_id = claimed.get(f"certificate:{certificate.pk}")
        certificate.centre_id = centre_id or certificate.registration.centre_id
        certificate.save(update_fields=["centre"])


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0005_transfers_and_centre_approvals"),
        ("portal", "0014_notification_kinds_withdrawn_and_records"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="centre",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="portal.centre",
            ),
        ),
        migrations.RunPython(claiming_centres, migrations.RunPython.noop, elidable=True),
    ]
