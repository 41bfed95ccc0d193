"""Claim readiness kept on the registration (issue 17, decision 19), and the rules stamps that
say when a qualification's rules changed.

No backfill is needed to be correct: a registration without a row counts as stale, so every
existing registration starts stale and is worked out (in bulk, per centre) the first time a
centre admin's page shows it, then kept.
"""

import django.db.models.deletion
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0004_invitation'),
        ('portfolios', '0008_signed_testimony_is_kept'),
        ('qualifications', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClaimReadiness',
            fields=[
                ('registration', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='claim_readiness', serialize=False, to='portfolios.registration')),
                ('listed', models.CharField(choices=[('full', 'Ready for a full certificate'), ('unit', 'Can have a unit certificate'), ('waiting', 'Not ready yet'), ('claimed', 'Nothing more to claim now'), ('closed', 'Closed')], max_length=10)),
                ('learner_name', models.CharField(max_length=200)),
                ('stale', models.BooleanField(default=False)),
                ('full_ready', models.BooleanField()),
                ('unit_ready', models.BooleanField()),
                ('claimable_units', models.JSONField(default=list)),
                ('counted_credits', models.PositiveIntegerField(default=0)),
                ('full_reasons', models.JSONField(default=list)),
                ('unit_reasons', models.JSONField(default=list)),
                ('held', models.JSONField(default=list)),
                ('rules_version', models.PositiveSmallIntegerField()),
                ('rules_stamp', models.UUIDField(blank=True, null=True)),
                ('computed_at', models.DateTimeField()),
                ('centre', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portal.centre')),
                ('qualification', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='qualifications.qualification')),
            ],
            options={
                'verbose_name_plural': 'claim readiness',
                'indexes': [models.Index(fields=['centre', 'listed', 'learner_name', 'registration'], name='readiness_list'), models.Index(fields=['centre', 'qualification', 'listed', 'learner_name', 'registration'], name='readiness_list_by_qual')],
            },
        ),
    ]
