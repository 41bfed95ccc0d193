"""The claims page's counts and the certificates in force are read by SQL compiled once
(`certification.readiness.grouped_rows`, `in_force_rows`): on real rows they are what the
ORM's querysets give, and a centre's counts hold none of another centre's registrations."""

import pytest
from django.db import connection
from django.db.models import Count, Min
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certification.claim_rows import issued_row
from certification.models import WITHHELD, Certificate, Kind
from certification.readiness import GROUPED, grouped_rows, in_force_rows
from certification.views import LATEST, issued_lately
from portal.links import links_to
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


def orm_latest(centre, qualification=None):
    """The claims page's latest certificates as the ORM read them before."""
    issued = Certificate.objects.of_centre(centre)
    if qualification is not None:
        issued = issued.filter(registration__qualification=qualification)
    return list(
        issued.exclude(release__in=WITHHELD)
        .select_related("registration__learner", "replaced_by", "superseded_by")
        .only(
            "number", "kind", "issued_at", "status", "revoked_at", "release", "registration",
            "replaced_by__id", "superseded_by__id", "superseded_by__release",
            "registration__learner__full_name",
        )[:LATEST]
    )  # fmt: skip


def test_the_latest_certificates_are_the_orms_and_drawn_the_same(every_state, registration):
    centre = registration.centre_id
    Certificate.objects.filter(number="TEST-0008").update(issued_at=timezone.now())  # newest
    for qualification in (None, registration.qualification_id):
        latest = issued_lately(centre, qualification)
        orm = orm_latest(centre, qualification)
        assert [c.pk for c, _, _ in latest] == [c.pk for c in orm]
        assert len(orm) == LATEST  # more let out than the page shows: the newest are
        with CaptureQueriesContext(connection) as queries:
            drawn = [issued_row(c, d, p, "t") for c, d, p in latest]
        assert not queries.captured_queries
        detail = links_to("certification:certificate-detail")
        pack = links_to("certification:portfolio-pack")
        assert drawn == [issued_row(c, detail(c.pk), pack(c.registration_id), "t") for c in orm]
    assert issued_lately(CentreFactory.create().pk, None) == []
    assert issued_lately(centre, registration.qualification_id + 1000) == []
