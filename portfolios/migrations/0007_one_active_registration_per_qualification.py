"""One active registration per learner and qualification, enforced by the database.

A database that already holds duplicates is not changed behind anyone's back: the migration
stops with a list of them, and changes nothing. Someone who knows the learners (the centre)
decides which registration of each stays active; whoever runs the database sets the others'
status to completed or withdrawn (the portal has no page for that yet), and migrates again.
"""

from django.db import migrations, models
from django.db.models import Count

DUPLICATES = (
    "Some learners have more than one active registration on the same qualification, which "
    "this migration forbids. Decide which registration of each stays active, set the others' "
    "status to completed or withdrawn, and migrate again. Nothing was changed.\n{rows}"
)


class DuplicateActiveRegistrations(Exception):
    """Active registrations that the new constraint would refuse."""


def refuse_duplicates(apps, schema_editor):
    registration = apps.get_model("portfolios", "Registration")
    active = registration.objects.using(schema_editor.connection.alias).filter(status="active")
    twice = (
        active.values("learner", "qualification")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by("learner", "qualification")
    )
    rows = []
    for pair in twice:
        same = active.filter(learner=pair["learner"], qualification=pair["qualification"])
        first = same.select_related("learner", "qualification").order_by("pk").first()
        ids = ", ".join(str(pk) for pk in same.order_by("pk").values_list("pk", flat=True))
        rows.append(
            f"- {first.learner.email} on {first.qualification.code} "
            f"({first.qualification.title}): registrations {ids}"
        )
    if rows:
        raise DuplicateActiveRegistrations(DUPLICATES.format(rows="\n".join(rows)))


class Migration(migrations.Migration):

    dependencies = [
        ('portfolios', '0006_mapping_review'),
    ]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='registration',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('learner', 'qualification'), name='one_active_registration_per_learner_and_qualification'),
        ),
    ]
