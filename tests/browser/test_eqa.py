"""A claim from a centre without Direct Claims Status is held; the awarding organisation's
external quality assurer opens their window, reads the learner's portfolio, samples it and
releases the claim; a real Celery worker renders the certificate, and the public page then
verifies it (decision 29)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from certification.models import Certificate, Release
from eqa.services import eqa_access_grant
from portal.models import AuditEntry, RoleKind
from tests.browser.test_assessment import as_user, person, register, shot
from tests.catalogue import load_test_world
from tests.certification.conftest import achieve
from tests.factories import CentreFactory, UserFactory, ao_desk

__all__ = ["as_user"]
SFJ = "SFJ Awards Level 2 Certificate in Customer Service"


@pytest.fixture
def held_claim(transactional_db, celery_worker):
    """Mia's unit achieved at a centre that holds no Direct Claims Status, and an EQA whose
    window on the qualification there is open."""
    load_test_world()
    centre = CentreFactory.create(name="Riverside Skills Academy")
    admin = person(centre, "admin@example.org", "Ada Okafor", RoleKind.CENTRE_ADMIN)
    assessor = person(centre, "samir@example.org", "Samir Patel", RoleKind.ASSESSOR)
    mia = person(centre, "mia@example.org", "Mia Campbell", RoleKind.LEARNER)
    registration = register(centre, admin, mia, assessor)
    achieve(registration, assessor, codes={"F/506/2131"})
    eqa = UserFactory.create(email="esme@example.org", full_name="Esme Quarry")
    now = timezone.now()
    eqa_access_grant(
        eqa=eqa,
        centre=centre,
        qualification=registration.qualification,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=4),
        actor=ao_desk(),
    )
    return registration


def test_an_eqa_samples_and_releases_a_held_claim_and_the_certificate_then_renders(
    as_user, held_claim
):
    ada = as_user("admin@example.org")
    ada.get_by_role("link", name="Claims").click()
    ada.get_by_label(f"Mia Campbell, {SFJ}").check()
    ada.get_by_role("button", name="Claim unit certificates for the ticked learners").click()
    expect(ada.locator("main")).to_contain_text("held")  # the confirmation says so (decision 36)
    ada.get_by_role("button", name="Confirm: claim 1 unit certificate").click()
    expect(ada.get_by_role("status").first).to_contain_text("1 unit certificate claimed.")
    expect(ada.get_by_test_id("held")).to_contain_text("Mia Campbell")
    expect(ada.get_by_test_id("held-why")).to_contain_text("Direct Claims Status")
    shot(ada, "eqa-held-on-the-claims-page")
    certificate = Certificate.objects.get()
    assert certificate.release == Release.AWAITING

    visitor = as_user(None)
    visitor.goto(f"/verify/{certificate.number}/")
    expect(visitor.get_by_test_id("verification")).to_contain_text("Not found")

    esme = as_user("esme@example.org")
    expect(esme.get_by_test_id("windows")).to_contain_text("Riverside Skills Academy")
    esme.get_by_role("link", name="Open").click()
    esme.get_by_role("link", name="Mia Campbell", exact=True).click()
    expect(esme.get_by_test_id("units")).to_contain_text("F/506/2131")
    expect(esme.get_by_test_id("decisions")).to_contain_text("Samir Patel")
    esme.get_by_role("link", name="Record a sample of this portfolio").click()
    esme.get_by_label("What you looked at").fill("The evidence and decisions of unit F/506/2131")
    esme.get_by_label("What you found").fill("Decisions valid and sufficient.")
    esme.get_by_role("button", name="Record the sample").click()
    expect(esme.get_by_role("status")).to_contain_text("The sample is recorded.")
    expect(esme.get_by_test_id("eqa-samples")).to_contain_text("Mia Campbell")
    esme.get_by_role("link", name="Held claims").click()
    shot(esme, "eqa-held-claims")
    esme.get_by_role("button", name="Release Mia Campbell's claim").click()
    expect(esme.get_by_role("status")).to_contain_text("Mia Campbell's claim is released.")
    viewed = AuditEntry.objects.filter(action="eqa.viewed", actor__email="esme@example.org")
    assert viewed.count() >= 5  # the window, the portfolio, the sample form twice, the claims

    ada.goto(f"/certificates/{certificate.pk}/")
    for _ in range(60):  # the worker renders it once released
        if ada.get_by_test_id("certificate-state").inner_text() == "Ready":
            break
        ada.wait_for_timeout(500)
        ada.reload()
    expect(ada.get_by_test_id("certificate-state")).to_have_text("Ready")
    with ada.expect_download() as download:
        ada.get_by_role("link", name="Download the PDF").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    visitor.goto(f"/verify/{certificate.number}/")
    expect(visitor.get_by_test_id("verification")).to_contain_text("Genuine")
