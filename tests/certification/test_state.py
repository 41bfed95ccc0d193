"""A certificate's state is one rule on the model, said the same way on every page."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from certification.models import Certificate, CertificateState, Kind, RenderStatus
from certification.services import certificate_claim, certificate_replace
from certification.verification import verify
from tests.certification.conftest import achieve

# Their centre holds Direct Claims Status: claims are issued at once (decision 29).
pytestmark = pytest.mark.usefixtures("direct_claims")


@pytest.mark.parametrize(
    ("status", "revoked", "state"),
    [
        (RenderStatus.PENDING, False, CertificateState.PENDING),
        (RenderStatus.READY, False, CertificateState.READY),
        (RenderStatus.FAILED, False, CertificateState.FAILED),
        # Revocation comes first, whatever became of the PDF.
        (RenderStatus.PENDING, True, CertificateState.REVOKED),
        (RenderStatus.READY, True, CertificateState.REVOKED),
        (RenderStatus.FAILED, True, CertificateState.REVOKED),
    ],
)
def test_a_certificates_state_puts_revocation_before_its_pdf(status, revoked, state):
    certificate = Certificate(status=status, revoked_at=timezone.now() if revoked else None)
    assert certificate.state == state


@pytest.fixture
def certificate(registration, assessor, centre_admin):
    achieve(registration, assessor, codes={"F/506/2131"})
    return certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)


def badge(page):
    return re.findall(r'data-testid="certificate-state">([^<]+)<', page)


@pytest.mark.parametrize(
    ("status", "revoked", "word"),
    [
        (RenderStatus.FAILED, False, "Failed to render"),
        (RenderStatus.PENDING, False, "Being made"),
        (RenderStatus.READY, True, "Revoked"),
        (RenderStatus.FAILED, True, "Revoked"),
    ],
)
def test_the_list_the_claims_page_the_certificate_and_the_learners_home_agree(
    client, certificate, centre_admin, learner, status, revoked, word
):
    Certificate.objects.filter(pk=certificate.pk).update(
        status=status,
        revoked_at=timezone.now() if revoked else None,
        revocation_reason="Issued in error." if revoked else "",
    )
    client.force_login(centre_admin)
    detail = reverse("certification:certificate-detail", args=[certificate.pk])
    for url in (reverse("certification:certificate-list"), reverse("certification:claims"), detail):
        assert badge(client.get(url).content.decode()) == [word], url
    client.force_login(learner)
    assert badge(client.get("/").content.decode()) == [word]


def test_a_replaced_certificate_says_so_on_every_page_and_its_replacement_stands(
    client, certificate, centre_admin, learner
):
    Certificate.objects.filter(pk=certificate.pk).update(status=RenderStatus.READY)
    new = certificate_replace(certificate=certificate, reason="Name misspelt.", actor=centre_admin)
    Certificate.objects.filter(pk=new.pk).update(status=RenderStatus.READY)
    certificate.refresh_from_db()
    new.refresh_from_db()
    assert certificate.state == CertificateState.REPLACED and new.state == CertificateState.READY
    client.force_login(centre_admin)
    for url in (reverse("certification:certificate-list"), reverse("certification:claims")):
        assert sorted(badge(client.get(url).content.decode())) == ["Ready", "Replaced"], url
    detail = reverse("certification:certificate-detail", args=[certificate.pk])
    assert badge(client.get(detail).content.decode()) == ["Replaced"]
    client.force_login(learner)
    assert sorted(badge(client.get("/").content.decode())) == ["Ready to download", "Replaced"]
    assert verify(certificate.number).state == "replaced" and verify(new.number).state == "genuine"


def test_the_state_filter_finds_what_the_badge_says(client, certificate, centre_admin):
    client.force_login(centre_admin)
    Certificate.objects.filter(pk=certificate.pk).update(status=RenderStatus.FAILED)
    url = reverse("certification:certificate-list")
    for state in CertificateState:
        page = client.get(url, {"state": state.value}).content.decode()
        expected = ["Failed to render"] if state == CertificateState.FAILED else []
        assert badge(page) == expected, state
