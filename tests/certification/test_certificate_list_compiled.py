"""The certificates list reads its page's rows by SQL compiled once
(`certification.views.certificate_rows`) and decides each row's state with
`Certificate.state` on the fields it reads: on real rows in every state (revoked, replaced,
superseded by a successor let out, not superseded by one still withheld, held, failed, being
made, ready), each row says what the ORM's objects say, and another centre's admin, asking
with this centre's certificates, reads none of them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from certification.models import Certificate, CertificateState, Kind, Release, RenderStatus
from certification.views import ListedCertificate, certificate_rows
from portal.links import links_to
from tests.assessment.test_caseload import many_learners
from tests.certification.test_certificate_list import issue
from tests.factories import CentreFactory
from tests.portfolios.conftest import registration, sfj

__all__ = ["registration", "sfj"]
pytestmark = pytest.mark.django_db


def later(certificate, number, centre_admin, **links) -> Certificate:
    """Another certificate of the same registration, replacing or superseding `certificate`."""
    return Certificate.objects.create(
        number=number,
        learner_identifier="L9",
        registration=certificate.registration,
        centre_id=certificate.centre_id,
        kind=Kind.FULL,
        snapshot={},
        issued_at=timezone.now() + datetime.timedelta(days=1),
        issued_by=centre_admin,
        status=RenderStatus.READY,
        **links,
    )


@pytest.fixture
def every_state(registration, centre_admin):
    many_learners(registration, 8)
    issue(registration, centre_admin)
    c = {n: Certificate.objects.get(number=f"TEST-{n:04d}") for n in range(9)}
    Certificate.objects.filter(pk=c[0].pk).update(
        revoked_at=timezone.now(), revoked_by=centre_admin, revocation_reason="Error."
    )
    later(c[1], "NEW-1", centre_admin, replaces=c[1], replacement_reason="Misspelt.")
    later(c[2], "NEW-2", centre_admin, supersedes=c[2], release=Release.DIRECT)
    later(c[3], "NEW-3", centre_admin, supersedes=c[3], release=Release.AWAITING)
    Certificate.objects.filter(pk=c[4].pk).update(release=Release.HELD, hold_reason="Why.")
    Certificate.objects.filter(pk=c[5].pk).update(status=RenderStatus.FAILED)
    Certificate.objects.filter(pk=c[6].pk).update(status=RenderStatus.PENDING)
    Certificate.objects.filter(pk=c[7].pk).update(kind=Kind.UNIT)
    return list(Certificate.objects.of_centre(registration.centre_id).values_list("pk", flat=True))


def test_each_row_says_what_the_orm_objects_say(every_state, registration):
    link = links_to("certification:certificate-detail")
    got = {
        row[0]: ListedCertificate(link, row)
        for row in certificate_rows(registration.centre_id, every_state)
    }
    orm = Certificate.objects.filter(pk__in=every_state).select_related(
        "registration__learner", "registration__qualification", "replaced_by", "superseded_by"
    )
    states = set()
    for c in orm:
        row = got[c.pk]
        states.add(c.state)
        assert (row.state_label, row.state_colour) == (c.state.label, c.state_colour), c.number
        assert row.url == reverse("certification:certificate-detail", args=[c.pk])
        assert (row.number, row.kind_display, row.issued_at) == (
            c.number, c.get_kind_display(), c.issued_at,
        )  # fmt: skip
        assert row.learner_name == c.registration.learner.full_name
        assert row.qualification_title == c.registration.qualification.title
    assert len(got) == len(every_state)
    assert states == set(CertificateState)  # every state compared on real rows


def test_another_centres_admin_reads_none_of_them(every_state):
    assert certificate_rows(CentreFactory.create().pk, every_state) == []
