"""Certificates revoked before their PDFs carried a REVOKED mark (decision 36): made again. They
are set pending, and the sweep (`requeue_pending_certificates`) queues each for rendering; until
then none is served. Reversing leaves them as they are."""

from django.db import migrations
from django.db.models import F, Q


def mark_pending(apps, schema_editor):
    Certificate = apps.get_model("certification", "Certificate")
    Certificate.objects.filter(revoked_at__isnull=False, status="ready").filter(
        Q(rendered_at__isnull=True) | Q(rendered_at__lt=F("revoked_at"))
    ).update(status="pending")


class Migration(migrations.Migration):
    dependencies = [("certification", "0003_claims_held_for_eqa_and_direct_claims_status")]

    operations = [migrations.RunPython(mark_pending, migrations.RunPython.noop)]
