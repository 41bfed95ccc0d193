"""A learner downloads their certificate's Open Badges 3.0 credential from its page; a visitor
pastes and uploads it at /verify/credential/ and sees it valid; the centre revokes the
certificate and the same file shows revoked, on the page and with the documented offline
command run as an employer would, on an installation whose own address is elsewhere
(decision 56, amended)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from certification.models import Kind
from certification.services import certificate_claim
from portal.models import RoleKind
from tests.browser.test_assessment import as_user, person, register, shot
from tests.catalogue import load_test_world
from tests.certification.conftest import achieve
from tests.certification.test_credentials import DEEP, documented_offline_steps
from tests.factories import CentreFactory, grant_direct_claims

__all__ = ["as_user"]

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED_NAME = "QP-XXXXX-XXXXX-credential.json"


@pytest.fixture
def issued(transactional_db, celery_worker):
    load_test_world()
    centre = CentreFactory.create(name="Riverside Skills Academy")
    grant_direct_claims(centre)
    admin = person(centre, "admin@example.org", "Ada Okafor", RoleKind.CENTRE_ADMIN)
    assessor = person(centre, "samir@example.org", "Samir Patel", RoleKind.ASSESSOR)
    leo = person(centre, "leo@example.org", "Leo Brown", RoleKind.LEARNER)
    registration = register(centre, admin, leo, assessor)
    achieve(registration, assessor)
    return certificate_claim(registration=registration, kind=Kind.FULL, actor=admin)


def check(visitor: Page, *, paste: str = "", upload: Path | None = None) -> None:
    visitor.goto("/verify/credential/")
    if upload is not None:
        visitor.get_by_label("Or upload the credential file").set_input_files(upload)
    else:
        visitor.get_by_label("Paste the credential").fill(paste)
    visitor.get_by_role("button", name="Check the credential").click()


def save_published(page: Page, folder: Path) -> None:
    """What the docs tell an employer to save, fetched from the portal as they say."""
    saves, _ = documented_offline_steps()
    for name, path in saves:
        response = page.request.get(path)
        assert response.ok
        (folder / name).write_bytes(response.body())


def offline(folder: Path, credential: str) -> subprocess.CompletedProcess[str]:
    """The documented command, as printed, in the employer's folder, on an installation of the
    portal whose own address is another (nothing of the learner's portal is reachable)."""
    _, command = documented_offline_steps()
    args = [credential if a == DOCUMENTED_NAME else a for a in command]
    env = os.environ | {"PUBLIC_URL": "https://another-portal.example.net"}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "verify_credential", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_learner_s_credential_verifies_on_the_page_and_offline_until_it_is_revoked(
    as_user, issued, tmp_path
):
    leo = as_user("leo@example.org")
    leo.goto(f"/certificates/{issued.pk}/")
    with leo.expect_download() as download:
        leo.get_by_role("link", name="Download the digital credential").click()
    name = download.value.suggested_filename
    assert name == f"{issued.number}-credential.json"
    employer = tmp_path / "employer"
    employer.mkdir()
    credential = employer / name
    download.value.save_as(credential)
    shot(leo, "credential-certificate")

    visitor = as_user(None)
    check(visitor, paste=credential.read_text())
    result = visitor.get_by_test_id("credential-result")
    expect(result).to_contain_text("Valid")
    expect(result).to_contain_text("Leo Brown")
    expect(result).to_contain_text(issued.number)
    check(visitor, upload=credential)
    expect(visitor.get_by_test_id("credential-result")).to_contain_text("Valid")
    shot(visitor, "credential-valid")

    save_published(visitor, employer)
    found = offline(employer, name)
    assert found.returncode == 0, found.stdout + found.stderr
    assert "Valid:" in found.stdout and "did:web:" in found.stdout
    assert "this portal" not in found.stdout

    ada = as_user("admin@example.org")
    ada.goto(f"/certificates/{issued.pk}/")
    ada.get_by_label("Reason (for a replacement or a revocation)").fill("Issued in error.")
    ada.get_by_role("button", name="Revoke").click()
    ada.get_by_role("button", name=f"Confirm: revoke {issued.number}").click()
    expect(ada.get_by_role("status")).to_be_visible()

    check(visitor, upload=credential)
    failed = visitor.get_by_test_id("credential-result")
    expect(failed).to_contain_text("Not valid")
    expect(failed).to_contain_text("revoked")
    shot(visitor, "credential-revoked")
    # The learner's page offers no fresh credential now, and says why.
    leo.goto(f"/certificates/{issued.pk}/")
    expect(leo.get_by_test_id("credential")).to_contain_text("revoked")
    expect(leo.get_by_role("link", name="Download the digital credential")).to_have_count(0)

    # Offline: the list saved before still says valid; the one fetched now says revoked.
    save_published(visitor, employer)
    found = offline(employer, name)
    assert found.returncode == 1
    assert "Not valid:" in found.stdout and "revoked" in found.stdout


def test_the_offline_command_says_what_is_wrong_with_bad_input_without_a_traceback(
    as_user, issued, tmp_path
):
    visitor = as_user(None)
    save_published(visitor, tmp_path)
    (tmp_path / "nested.json").write_text(DEEP)
    found = offline(tmp_path, "nested.json")
    assert found.returncode == 1
    assert "Not valid: This is not a credential" in found.stdout
    assert "Traceback" not in found.stderr
    found = offline(tmp_path, "missing.json")
    assert found.returncode == 1 and "Cannot read the credential missing.json" in found.stderr
    assert "Traceback" not in found.stderr
    # On the page too: a clear message, not a server error.
    check(visitor, paste=DEEP)
    expect(visitor.get_by_test_id("failure")).to_contain_text("This is not a credential")
