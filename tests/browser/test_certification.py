"""A centre admin claims a full certificate and a unit certificate, downloads both PDFs rendered
by a real Celery worker, and the public page verifies them."""

import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from certification.models import Certificate
from portal.models import RoleKind
from tests.browser.test_assessment import as_user, person, register, shot
from tests.catalogue import load_test_world
from tests.certification.conftest import achieve
from tests.conftest import need
from tests.factories import CentreFactory, grant_direct_claims

__all__ = ["as_user"]


@pytest.fixture
def two_learners(transactional_db, celery_worker):
    load_test_world()
    centre = CentreFactory.create(name="Riverside Skills Academy")
    grant_direct_claims(centre)  # issued at once, not held for an EQA (decision 29)
    admin = person(centre, "admin@example.org", "Ada Okafor", RoleKind.CENTRE_ADMIN)
    assessor = person(centre, "samir@example.org", "Samir Patel", RoleKind.ASSESSOR)
    leo = person(centre, "leo@example.org", "Leo Brown", RoleKind.LEARNER)
    mia = person(centre, "mia@example.org", "Mia Campbell", RoleKind.LEARNER)
    full = register(centre, admin, leo, assessor)
    partial = register(centre, admin, mia, assessor)
    achieve(full, assessor)
    achieve(partial, assessor, codes={"F/506/2131", "A/506/2130"})
    return full, partial


def pdf_text(path) -> str:
    need(shutil.which("pdftotext"), "reading PDFs needs pdftotext (apt-get install poppler-utils)")
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def test_a_centre_admin_claims_full_and_unit_certificates_downloads_and_verifies_them(
    as_user, two_learners, tmp_path
):
    ada = as_user("admin@example.org")
    ada.get_by_role("link", name="Claims").click()
    expect(ada.get_by_test_id("ready-full")).to_contain_text("Leo Brown")
    expect(ada.get_by_test_id("ready-unit")).to_contain_text("Mia Campbell")
    shot(ada, "claims")
    ada.get_by_test_id("ready-full").get_by_role("checkbox").first.check()  # none come ticked
    ada.get_by_role("button", name="Claim full certificates for the ticked learners").click()
    ada.get_by_role("button", name="Confirm: claim 1 full certificate").click()
    expect(ada.get_by_role("status")).to_contain_text("1 certificate claimed.")
    ada.get_by_label("Mia Campbell, SFJ Awards Level 2 Certificate in Customer Service").check()
    ada.get_by_role("button", name="Claim unit certificates for the ticked learners").click()
    ada.get_by_role("button", name="Confirm: claim 1 unit certificate").click()
    expect(ada.get_by_role("status")).to_contain_text("1 unit certificate claimed.")

    for certificate in Certificate.objects.order_by("pk"):
        ada.goto(f"/certificates/{certificate.pk}/")
        for _ in range(60):  # the worker renders it; the page says so once it is ready
            if ada.get_by_test_id("certificate-state").inner_text() == "Ready":
                break
            ada.wait_for_timeout(500)
            ada.reload()
        expect(ada.get_by_test_id("certificate-state")).to_have_text("Ready")
        with ada.expect_download() as download:
            ada.get_by_role("link", name="Download the PDF").click()
        path = tmp_path / f"{certificate.number}.pdf"
        download.value.save_as(path)
        text = pdf_text(path)
        assert certificate.snapshot["learner_name"] in text and certificate.number in text
        assert "SFJ Awards Level 2 Certificate in Customer Service" in text
        shot(ada, f"certificate-{certificate.kind}")

        visitor = as_user(None)
        visitor.goto("/verify/")
        visitor.get_by_label("Certificate number").fill(certificate.number)
        visitor.get_by_role("button", name="Check").click()
        expect(visitor.get_by_test_id("verification")).to_contain_text("Genuine")
        expect(visitor.get_by_test_id("verification")).to_contain_text(
            certificate.snapshot["learner_name"]
        )
