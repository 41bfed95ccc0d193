"""Successive unit certificates (decision 30): a new unit certificate once more units are
achieved, superseding the one in force, which is kept and still verifiable; the full certificate
supersedes them; a unit certificate with no new unit is refused."""

import importlib
import re

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from certification.models import Certificate, CertificateState, Kind, RenderStatus
from certification.readiness import HAS_FULL, NO_NEW_UNITS, readiness_of
from certification.services import (
    ALREADY_SUPERSEDED,
    ClaimRefused,
    certificate_claim,
    certificate_replace,
    certificate_revoke,
)
from certification.verification import verify
from portfolios.models import ClaimList, ClaimReadiness
from tests.certification.confirm import claim_on_pages
from tests.certification.conftest import achieve

# Their centre holds Direct Claims Status: claims are issued at once (decision 29).
pytestmark = pytest.mark.usefixtures("direct_claims")

FIRST, SECOND = "F/506/2131", "K/503/0421"
CLAIMS = reverse("certification:claims")


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()


def claim(registration, kind, admin):
    return certificate_claim(registration=registration, kind=kind, actor=admin)


@pytest.fixture
def first(registration, assessor, centre_admin):
    """The learner's first unit certificate, of one unit."""
    achieve(registration, assessor, codes={FIRST})
    return claim(registration, Kind.UNIT, centre_admin)


def achieve_the_rest(registration, assessor, done):
    planned = set(registration.planned_units.values_list("unit__code", flat=True))
    achieve(registration, assessor, codes=planned - set(done))


def listed(registration) -> str:
    return ClaimReadiness.objects.get(registration=registration).listed


def verification(client, number) -> str:
    page = client.get(reverse("certification:verify-number", args=[number])).content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_a_second_unit_certificate_supersedes_the_first_and_both_are_kept(
    client, registration, assessor, centre_admin, first
):
    achieve(registration, assessor, codes={SECOND})
    second = claim(registration, Kind.UNIT, centre_admin)
    first.refresh_from_db()
    assert second.supersedes == first and first.superseded_by == second
    assert [u["reference"] for u in second.snapshot["units"]] == [FIRST, SECOND]
    assert [u["reference"] for u in first.snapshot["units"]] == [FIRST]  # as issued
    assert first.state == CertificateState.SUPERSEDED
    assert Certificate.objects.filter(registration=registration).count() == 2

    assert verify(first.number).state == "superseded"
    assert verify(second.number).state == "genuine"
    page = verification(client, first.number)
    assert "Superseded" in page and "superseded on" in page and second.number in page
    assert "Genuine" in verification(client, second.number)

    client.force_login(centre_admin)
    detail = client.get(reverse("certification:certificate-detail", args=[first.pk]))
    assert f"Superseded by {second.number}" in " ".join(
        re.sub(r"<[^>]+>", " ", detail.content.decode()).split()
    )
    # Replace the later one, not this: only revocation is offered.
    assert 'value="revoke"' in detail.content.decode()
    assert 'value="replace"' not in detail.content.decode()


def test_the_claims_page_offers_a_new_unit_certificate_and_says_what_is_new(
    client, registration, assessor, centre_admin, first
):
    client.force_login(centre_admin)
    client.get(CLAIMS)
    assert listed(registration) == ClaimList.CLAIMED  # nothing new since the first
    achieve(registration, assessor, codes={SECOND})
    page = client.get(CLAIMS).content.decode()
    assert listed(registration) == ClaimList.UNIT
    assert f"1 more unit achieved since certificate {first.number}" in page

    response = claim_on_pages(client, "unit", [registration.pk])
    assert response.status_code == 302
    assert Certificate.objects.get(supersedes=first).kind == Kind.UNIT
    client.get(CLAIMS)
    assert listed(registration) == ClaimList.CLAIMED


def test_the_count_of_new_units_is_of_those_not_on_the_certificate_in_force(
    client, registration, assessor, centre_admin, first
):
    achieve(registration, assessor, codes={SECOND, "T/506/2126"})
    client.force_login(centre_admin)
    page = client.get(CLAIMS).content.decode()
    assert f"2 more units achieved since certificate {first.number}" in page
    ready = readiness_of(registration)
    assert ready.since == first.number and ready.new_units == sorted([SECOND, "T/506/2126"])


def test_a_unit_certificate_with_no_new_unit_is_refused_with_the_reason(
    registration, centre_admin, first
):
    ready = readiness_of(registration)
    assert ready.unit_reasons == [NO_NEW_UNITS.format(number=first.number)]
    with pytest.raises(ClaimRefused, match="No unit has been achieved since unit certificate"):
        claim(registration, Kind.UNIT, centre_admin)
    assert Certificate.objects.filter(registration=registration).count() == 1
    first.refresh_from_db()
    assert first.state != CertificateState.SUPERSEDED


def test_the_full_certificate_supersedes_the_unit_certificate_in_force(
    registration, assessor, centre_admin, first
):
    achieve(registration, assessor, codes={SECOND})
    second = claim(registration, Kind.UNIT, centre_admin)
    achieve_the_rest(registration, assessor, {FIRST, SECOND})
    full = claim(registration, Kind.FULL, centre_admin)
    first.refresh_from_db()
    second.refresh_from_db()
    assert full.supersedes == second and first.superseded_by == second
    assert second.state == first.state == CertificateState.SUPERSEDED
    assert full.state == CertificateState.PENDING  # stands; its PDF is being made
    assert verify(second.number).state == "superseded"
    # Nothing is left to put on a unit certificate.
    with pytest.raises(ClaimRefused, match=re.escape(HAS_FULL.format(number=full.number))):
        claim(registration, Kind.UNIT, centre_admin)


def test_replaced_and_superseded_are_different_things_and_say_so(
    client, registration, assessor, centre_admin, first
):
    copy = certificate_replace(certificate=first, reason="Lost.", actor=centre_admin)
    achieve(registration, assessor, codes={SECOND})
    second = claim(registration, Kind.UNIT, centre_admin)
    # The replacement was the certificate in force: it is what the new one supersedes.
    assert second.supersedes == copy
    first.refresh_from_db()
    copy.refresh_from_db()
    assert first.state == CertificateState.REPLACED and copy.state == CertificateState.SUPERSEDED
    replaced, superseded = verification(client, first.number), verification(client, copy.number)
    assert "Replaced" in replaced and "a copy under a new number" in replaced
    assert "Superseded" in superseded and second.number in superseded
    assert "Replaced" not in superseded and "Superseded" not in replaced
    # A superseded certificate is not replaced (the later one is); it can still be revoked.
    with pytest.raises(ClaimRefused, match=re.escape(second.number)) as refused:
        certificate_replace(certificate=copy, reason="Lost again.", actor=centre_admin)
    assert str(refused.value) == ALREADY_SUPERSEDED.format(number=second.number)
    certificate_revoke(certificate=copy, reason="Issued in error.", actor=centre_admin)
    copy.refresh_from_db()
    assert copy.state == CertificateState.REVOKED


def test_every_page_and_the_state_filter_say_superseded(
    client, registration, assessor, centre_admin, learner, first
):
    achieve(registration, assessor, codes={SECOND})
    second = claim(registration, Kind.UNIT, centre_admin)
    Certificate.objects.update(status=RenderStatus.READY)

    def badges(url):
        page = client.get(url).content.decode()
        return sorted(re.findall(r'data-testid="certificate-state">([^<]+)<', page))

    client.force_login(centre_admin)
    listing = reverse("certification:certificate-list")
    assert badges(listing) == badges(CLAIMS) == ["Ready", "Superseded"]
    found = client.get(listing, {"state": "superseded"}).content.decode()
    assert first.number in found and second.number not in found
    client.force_login(learner)
    assert badges("/") == ["Ready to download", "Superseded"]


def test_the_database_refuses_two_successors_of_one_certificate(
    registration, assessor, centre_admin, first
):
    achieve(registration, assessor, codes={SECOND})
    second = claim(registration, Kind.UNIT, centre_admin)
    twin = Certificate(
        number="QP-TWIN0-00000",
        learner_identifier=second.learner_identifier,
        registration=registration,
        centre_id=registration.centre_id,
        kind=Kind.UNIT,
        snapshot=second.snapshot,
        issued_at=timezone.now(),
        issued_by=centre_admin,
        supersedes=first,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    # Nor a second first unit certificate, nor a replacement that supersedes.
    twin.supersedes = None
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    twin.supersedes, twin.replaces, twin.replacement_reason = second, first, "Lost."
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    assert Certificate.objects.filter(registration=registration).count() == 2


def test_the_migration_makes_a_full_certificate_supersede_the_earlier_unit_one(
    registration, assessor, centre_admin, first
):
    copy = certificate_replace(certificate=first, reason="Lost.", actor=centre_admin)
    achieve_the_rest(registration, assessor, {FIRST})
    full = claim(registration, Kind.FULL, centre_admin)
    # As a full certificate claimed before successive certificates stood: superseding nothing.
    Certificate.objects.filter(pk=full.pk).update(supersedes=None)
    migration = importlib.import_module(
        "certification.migrations.0002_successive_unit_certificates"
    )
    migration.full_supersedes_earlier_unit(apps, None)
    full.refresh_from_db()
    assert full.supersedes == copy  # the unit certificate's last replacement
