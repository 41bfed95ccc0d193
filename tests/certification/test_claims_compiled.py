"""The claims page's counts and the certificates in force are read by SQL compiled once
(`certification.readiness.grouped_rows`, `in_force_rows`): on real rows they are what the
ORM's querysets give, and a centre's counts hold none of another centre's registrations."""

import pytest
from django.db.models import Count, Min

from certification.models import Certificate, Kind
from certification.readiness import GROUPED, grouped_rows, in_force_rows
from portfolios.models import Registration
from tests.certification.test_certificate_list_compiled import every_state
from tests.factories import CentreFactory
from tests.portfolios.conftest import registration, sfj

__all__ = ["every_state", "registration", "sfj"]
pytestmark = pytest.mark.django_db


def test_the_certificates_in_force_are_the_orms(every_state):
    keys = sorted(set(Certificate.objects.values_list("registration_id", flat=True)))
    orm = Certificate.objects.filter(
        registration__in=keys, replaced_by__isnull=True, superseded_by__isnull=True
    ).values_list("registration_id", "kind", "number", "snapshot__units", "revoked_at")
    got = in_force_rows(keys)
    assert sorted(got, key=str) == sorted(orm, key=str)
    assert len(got) < Certificate.objects.count()  # the replaced and superseded left out
    assert in_force_rows([max(keys) + 1000]) == []
    assert Kind.UNIT in {row[1] for row in got}


def test_the_counts_are_the_orms_and_the_centres_own(every_state, registration):
    orm = (
        Registration.objects.filter(centre=registration.centre)
        .values_list(*GROUPED)
        .annotate(
            n=Count("pk"),
            oldest=Min("claim_readiness__computed_at"),
            soonest=Min("claim_readiness__recheck_on"),
        )
        .order_by()
    )
    got = grouped_rows(registration.centre_id)
    assert sorted(got, key=str) == sorted(orm, key=str)
    assert sum(row[9] for row in got) == Registration.objects.count() > 1
    assert grouped_rows(CentreFactory.create().pk) == []
