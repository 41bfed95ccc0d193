"""The ULN on certificates: in the snapshot and on the PDF; certificates issued before the
portal kept it (snapshots without the key) still render, verify and are replaced as issued."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from certification.models import Certificate, Kind, RenderStatus
from certification.rendering import certificate_render
from certification.services import certificate_claim, certificate_replace
from portal.models import User
from tests.certification.test_rendering import pdf_text

# Their centre holds Direct Claims Status: claims are issued at once (decision 29).
pytestmark = pytest.mark.usefixtures("direct_claims")

ULN = "9276308686"


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()


def claim(registration, admin, capture) -> Certificate:
    with capture(execute=True):
        certificate = certificate_claim(registration=registration, kind=Kind.FULL, actor=admin)
    certificate.refresh_from_db()
    return certificate


def test_the_snapshot_keeps_the_uln_and_the_pdf_prints_it(
    achieved, centre_admin, tmp_path, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=achieved.learner_id).update(uln=ULN)
    achieved.learner.refresh_from_db()
    certificate = claim(achieved, centre_admin, django_capture_on_commit_callbacks)
    assert certificate.snapshot["uln"] == ULN
    text = pdf_text(certificate.file.read(), tmp_path)
    assert f"Unique Learner Number (ULN) {ULN}" in text
    assert f"Portal learner identifier {certificate.learner_identifier}" in text
    # A later change of the learner's ULN never changes what was issued.
    User.objects.filter(pk=achieved.learner_id).update(uln="")
    certificate.refresh_from_db()
    assert certificate.snapshot["uln"] == ULN


def test_a_certificate_without_a_uln_or_issued_before_it_was_kept_renders_verifies_and_is_replaced(
    achieved, centre_admin, client, tmp_path, django_capture_on_commit_callbacks
):
    certificate = claim(achieved, centre_admin, django_capture_on_commit_callbacks)
    # A learner without a ULN: the snapshot says so, the PDF prints none.
    assert certificate.snapshot["uln"] == ""
    text = pdf_text(certificate.file.read(), tmp_path)
    assert "ULN" not in text
    assert f"Unique learner identifier {certificate.learner_identifier}" in text
    # Issued before the portal kept ULNs: no such key. The learner's ULN is recorded since.
    old = {key: value for key, value in certificate.snapshot.items() if key != "uln"}
    User.objects.filter(pk=achieved.learner_id).update(uln=ULN)
    Certificate.objects.filter(pk=certificate.pk).update(snapshot=old, status=RenderStatus.PENDING)
    certificate_render(certificate.pk)
    certificate.refresh_from_db()
    assert certificate.status == RenderStatus.READY
    assert ULN not in pdf_text(certificate.file.read(), tmp_path)
    page = client.get(reverse("certification:verify-number", args=[certificate.number]))
    assert "Genuine" in page.content.decode()
    assert old["learner_name"] in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        replacement = certificate_replace(
            certificate=certificate, reason="Lost in a move", actor=centre_admin
        )
    replacement.refresh_from_db()
    assert replacement.snapshot == old  # as issued: no ULN added afterwards
    assert replacement.status == RenderStatus.READY
    page = client.get(reverse("certification:verify-number", args=[certificate.number]))
    assert "replaced" in page.content.decode().lower()
