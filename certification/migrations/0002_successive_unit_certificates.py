"""Successive unit certificates (decision 30): a later certificate supersedes the one in force.

Before this, a registration had at most one unit certificate and one full certificate (and their
replacements). Where the full certificate came after the unit certificate, it now supersedes it,
as a full certificate claimed from now on does: the unit certificate's last replacement, if it
was replaced, else the unit certificate itself."""

import django.db.models.deletion
from django.db import migrations, models


def full_supersedes_earlier_unit(apps, schema_editor) -> None:
    Certificate = apps.get_model("certification", "Certificate")
    fulls = Certificate.objects.filter(kind="full", replaces__isnull=True)
    for full in fulls.iterator():
        unit = Certificate.objects.filter(
            registration_id=full.registration_id,
            kind="unit",
            replaces__isnull=True,
            issued_at__lte=full.issued_at,
        ).first()
        if unit is None:
            continue
        while (copy := Certificate.objects.filter(replaces=unit).first()) is not None:
            unit = copy
        Certificate.objects.filter(pk=full.pk).update(supersedes=unit)


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="certificate",
            name="one_certificate_per_registration_and_kind",
        ),
        migrations.AddField(
            model_name="certificate",
            name="supersedes",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="superseded_by",
                to="certification.certificate",
            ),
        ),
        migrations.RunPython(full_supersedes_earlier_unit, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.UniqueConstraint(
                condition=models.Q(("replaces__isnull", True), ("supersedes__isnull", True)),
                fields=("registration", "kind"),
                name="one_first_certificate_per_registration_and_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="certificate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("replaces__isnull", True), ("supersedes__isnull", True), _connector="OR"
                ),
                name="a_replacement_supersedes_nothing",
            ),
        ),
    ]
