"""A revoked certificate says so everywhere: its page, its PDF (made again with a REVOKED
banner and watermark), the learner's home and public verification (decision 36)."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from certification.models import Certificate, Kind, RenderStatus
from certification.rendering import template_for
from certification.services import certificate_claim, certificate_revoke
from portal.models import Notification
from tests.certification.test_rendering import pdf_text

pytestmark = pytest.mark.usefixtures("direct_claims")


@pytest.fixture
def claimed(achieved, centre_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    certificate.refresh_from_db()
    assert certificate.status == RenderStatus.READY
    return certificate


def revoke(certificate, actor, capture, render=True) -> Certificate:
    with capture(execute=render):
        certificate_revoke(certificate=certificate, reason="Issued in error.", actor=actor)
    certificate.refresh_from_db()
    return certificate


def test_the_pdf_of_a_revoked_certificate_is_made_again_marked_revoked(
    claimed, centre_admin, django_capture_on_commit_callbacks, tmp_path
):
    before = pdf_text(claimed.file.read(), tmp_path)
    assert "REVOKED" not in before
    ready_notices = Notification.objects.count()
    revoked = revoke(claimed, centre_admin, django_capture_on_commit_callbacks)
    assert revoked.status == RenderStatus.READY
    assert revoked.rendered_at and revoked.revoked_at and revoked.rendered_at >= revoked.revoked_at
    text = pdf_text(revoked.file.read(), tmp_path)
    assert "REVOKED on" in text and "this record is no longer valid" in text
    # The watermark is drawn diagonally, which pdftotext leaves out; it is in the document.
    assert 'class="revoked-mark"' in render_to_string(
        template_for(revoked), {"certificate": revoked, "s": revoked.snapshot}
    )
    assert claimed.number in text  # still the same record, marked
    assert "Issued in error." not in text  # the reason is the centre's, not the public's
    assert Notification.objects.count() == ready_notices  # made again: nobody told "ready"


def test_until_it_is_made_again_nothing_is_served_and_the_page_says_why(
    client, claimed, centre_admin, learner, django_capture_on_commit_callbacks
):
    revoked = revoke(claimed, centre_admin, django_capture_on_commit_callbacks, render=False)
    assert revoked.status == RenderStatus.PENDING
    client.force_login(learner)
    pdf = reverse("certification:certificate-pdf", args=[revoked.pk])
    assert client.get(pdf).status_code == 404
    page = client.get(reverse("certification:certificate-detail", args=[revoked.pk]))
    text = page.content.decode()
    assert "being made again, marked revoked" in text
    assert ">Ready<" not in text and "Ready to download" not in text
    assert "Revoked on" in text


def test_an_unmarked_pdf_made_before_the_revocation_is_never_served(
    client, claimed, centre_admin, learner
):
    # A row revoked without the render queued again (as before decision 36): ready, but its
    # file was made before the revocation.
    certificate_revoke(certificate=claimed, reason="Issued in error.", actor=centre_admin)
    Certificate.objects.filter(pk=claimed.pk).update(status=RenderStatus.READY)
    client.force_login(learner)
    assert (
        client.get(reverse("certification:certificate-pdf", args=[claimed.pk])).status_code == 404
    )


def test_the_page_home_and_verification_say_revoked_and_the_marked_pdf_downloads(
    client, claimed, centre_admin, learner, django_capture_on_commit_callbacks, tmp_path
):
    revoked = revoke(claimed, centre_admin, django_capture_on_commit_callbacks)
    client.force_login(learner)
    page = client.get(reverse("certification:certificate-detail", args=[revoked.pk]))
    text = page.content.decode()
    assert "Download the PDF (marked revoked)" in text and ">Ready<" not in text
    home = client.get("/").content.decode()
    assert "Revoked" in home and "Ready to download" not in home
    response = client.get(reverse("certification:certificate-pdf", args=[revoked.pk]))
    assert response.status_code == 200
    assert "REVOKED" in pdf_text(b"".join(response.streaming_content), tmp_path)
    client.logout()
    verified = client.get(reverse("certification:verify-number", args=[revoked.number]))
    assert "Revoked" in verified.content.decode()
    assert "no longer valid" in verified.content.decode()
