import html
import logging

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.models import Certificate, Kind, RenderStatus
from certification.services import (
    ALREADY_REVOKED,
    REASON_NEEDED,
    ClaimRefused,
    certificate_claim,
    certificate_replace,
    certificate_rerender,
    certificate_revoke,
)
from certification.verification import LOOKUPS
from certification.views import NOTHING_TO_MAKE_AGAIN, PDF_MISSING
from portal.audit import audit_verify
from portal.http import FILE_MISSING
from portal.models import Role, RoleKind
from tests.audit import AuditWatch
from tests.certification.confirm import replace_on_page, revoke_on_page
from tests.certification.test_rendering import pdf_text
from tests.writes import watch_writes, written

# Their centre holds Direct Claims Status: claims are issued at once (decision 29).
pytestmark = pytest.mark.usefixtures("direct_claims")


@pytest.fixture
def issued(achieved, centre_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    certificate.refresh_from_db()
    return certificate


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()


def check(client, number):
    return client.get(reverse("certification:verify-number", args=[number]))


def test_a_genuine_number_shows_holder_qualification_and_date_and_nothing_else(client, issued):
    page = check(client, issued.number).content.decode()
    assert "Genuine" in page
    assert issued.snapshot["learner_name"] in page
    assert issued.snapshot["qualification_title"] in page
    assert issued.learner_identifier not in page  # nothing beyond what the page promises
    assert "Units" not in page and issued.snapshot["units"][0]["title"] not in page


def test_a_number_typed_in_lower_case_with_spaces_is_found(client, issued):
    assert "Genuine" in check(client, " " + issued.number.lower() + " ").content.decode()


def test_an_unknown_number_is_not_found(client, db):
    assert "Not found" in check(client, "QP-AAAAA-AAAAA").content.decode()


def test_a_revoked_certificate_is_reported_revoked(client, issued, centre_admin):
    with pytest.raises(ClaimRefused, match=REASON_NEEDED):
        certificate_revoke(certificate=issued, reason=" ", actor=centre_admin)
    certificate_revoke(certificate=issued, reason="Issued in error.", actor=centre_admin)
    assert "Revoked" in check(client, issued.number).content.decode()
    with pytest.raises(ClaimRefused, match=ALREADY_REVOKED):
        certificate_revoke(certificate=issued, reason="Again.", actor=centre_admin)
    assert Certificate.objects.filter(pk=issued.pk).exists()


def test_a_replacement_has_a_new_number_says_so_on_its_face_and_the_original_reads_replaced(
    client, issued, centre_admin, django_capture_on_commit_callbacks, tmp_path
):
    with django_capture_on_commit_callbacks(execute=True):
        new = certificate_replace(certificate=issued, reason="Lost in a move.", actor=centre_admin)
    new.refresh_from_db()
    assert new.number != issued.number and new.replaces == issued
    text = pdf_text(new.file.read(), tmp_path)
    assert "Replacement" in text and issued.number in text
    assert "Replaced" in check(client, issued.number).content.decode()
    assert "Genuine" in check(client, new.number).content.decode()
    with pytest.raises(ClaimRefused, match=new.number):
        certificate_replace(certificate=issued, reason="Twice.", actor=centre_admin)


def test_only_the_centre_admin_revokes_or_replaces(client, issued, learner, assessor, outsider):
    url = reverse("certification:certificate-detail", args=[issued.pk])
    for person in (learner, assessor):
        client.force_login(person)
        client.post(url, {"action": "revoke", "reason": "No."})
    client.force_login(outsider)
    assert client.post(url, {"action": "revoke", "reason": "No."}).status_code == 404
    issued.refresh_from_db()
    assert not issued.is_revoked and Certificate.objects.count() == 1


def test_the_learner_and_centre_admin_download_the_pdf_and_an_outsider_cannot(
    client, issued, learner, centre_admin, outsider
):
    url = reverse("certification:certificate-pdf", args=[issued.pk])
    for person in (learner, centre_admin):
        client.force_login(person)
        response = client.get(url)
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_a_pdf_missing_from_storage_is_not_found_said_so_and_logged(
    client, issued, learner, caplog
):
    assert issued.status == RenderStatus.READY
    issued.file.storage.delete(issued.file.name)
    client.force_login(learner)
    watch_writes()
    with caplog.at_level(logging.ERROR):
        response = client.get(reverse("certification:certificate-pdf", args=[issued.pk]))
    assert response.status_code == 404 and FILE_MISSING in html.unescape(response.content.decode())
    [logged] = [r for r in caplog.records if r.name == "portal.http"]
    assert logged.levelno == logging.ERROR and f"{issued.number}.pdf" in logged.getMessage()
    assert written() == []


def page_of(client, certificate) -> str:
    url = reverse("certification:certificate-detail", args=[certificate.pk])
    return html.unescape(client.get(url).content.decode())


def test_a_pdf_missing_from_storage_is_not_offered_and_its_centre_admin_may_make_it_again(
    client, issued, learner, centre_admin, django_capture_on_commit_callbacks
):
    """No link to a file that is gone (it would only say not found): the page says the PDF is
    missing, and the claiming centre's admin is offered to make it again, which the render task
    does; the pages read as many rows as before."""
    pdf = reverse("certification:certificate-pdf", args=[issued.pk])
    client.force_login(learner)
    with CaptureQueriesContext(connection) as present:
        assert pdf in page_of(client, issued)
    issued.file.storage.delete(issued.file.name)
    with CaptureQueriesContext(connection) as gone:
        page = page_of(client, issued)
    assert len(gone) == len(present)
    assert pdf not in page and PDF_MISSING in page and 'value="retry"' not in page
    assert ">PDF missing</span>" in page and ">Ready</span>" not in page  # not "ready" above it
    client.force_login(centre_admin)
    page = page_of(client, issued)
    assert pdf not in page and PDF_MISSING in page and 'value="retry"' in page
    audit = AuditWatch()
    url = reverse("certification:certificate-detail", args=[issued.pk])
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(url, {"action": "retry"}, follow=True)
    assert "The PDF is being made again." in made.content.decode()
    [entry] = audit.entries()
    assert (entry.action, entry.subject) == (
        "certificate.render_retried",
        f"certificate:{issued.pk}",
    )
    assert (entry.before, entry.after) == (
        {"status": "ready", "file": "missing"},
        {"status": "pending"},
    )
    issued.refresh_from_db()
    assert issued.status == RenderStatus.READY and issued.file.storage.exists(issued.file.name)
    assert pdf in page_of(client, issued) and PDF_MISSING not in page_of(client, issued)


def test_verification_is_rate_limited_per_address(client, db):
    for _ in range(LOOKUPS):
        assert check(client, "QP-AAAAA-AAAAA").status_code == 200
    limited = check(client, "QP-AAAAA-AAAAA")
    assert limited.status_code == 429 and "Too many checks" in limited.content.decode()


def test_behind_a_proxy_one_client_s_lookups_do_not_limit_another(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1  # the proxy appends each client's address to the header

    def through_proxy(client_ip: str):
        url = reverse("certification:verify-number", args=["QP-AAAAA-AAAAA"])
        return client.get(url, REMOTE_ADDR="172.16.0.2", HTTP_X_FORWARDED_FOR=client_ip)

    for _ in range(LOOKUPS):
        assert through_proxy("198.51.100.66").status_code == 200
    assert through_proxy("198.51.100.66").status_code == 429
    assert through_proxy("203.0.113.5").status_code == 200
    # What a client writes in the header before the proxy's entry is its own claim: ignored.
    assert through_proxy("203.0.113.5, 198.51.100.66").status_code == 429


def test_the_centre_admin_revokes_and_replaces_on_the_certificate_page(
    client, issued, centre_admin
):
    client.force_login(centre_admin)
    response = replace_on_page(client, issued, "Name misspelt.", follow=True)
    new = Certificate.objects.get(replaces=issued)
    assert response.redirect_chain[-1][0] == reverse(
        "certification:certificate-detail", args=[new.pk]
    )
    assert f"Replacement {new.number} issued." in response.content.decode()
    assert new.replacement_reason == "Name misspelt."
    response = revoke_on_page(client, new, "Claimed in error.", follow=True)
    assert f"{new.number} is revoked." in response.content.decode()
    new.refresh_from_db()
    assert new.is_revoked and new.revocation_reason == "Claimed in error."


def test_a_refused_change_says_why_beside_the_form_keeps_the_reason_and_changes_nothing(
    client, issued, centre_admin
):
    url = reverse("certification:certificate-detail", args=[issued.pk])
    client.force_login(centre_admin)
    page = client.post(url, {"action": "revoke", "reason": "   "}).content.decode()
    assert "Give the reason: it is kept with the certificate." in page
    assert 'class="invalid-feedback' in page  # crispy's inline message under the field
    issued.refresh_from_db()
    assert not issued.is_revoked
    certificate_revoke(certificate=issued, reason="Claimed in error.", actor=centre_admin)
    # Someone revoked it meanwhile (another tab): the refusal keeps what this admin typed.
    page = client.post(url, {"action": "replace", "reason": "Lost in a move."}).content.decode()
    assert "Lost in a move." in page and 'role="alert"' in page
    assert Certificate.objects.count() == 1


def fail(certificate: Certificate) -> None:
    Certificate.objects.filter(pk=certificate.pk).update(
        status=RenderStatus.FAILED, render_error="WeasyPrint ran out of memory."
    )


def test_retrying_a_failed_pdf_writes_it_to_the_audit_log(
    issued, centre_admin, django_capture_on_commit_callbacks
):
    fail(issued)
    audit = AuditWatch()
    with django_capture_on_commit_callbacks() as queued:
        certificate_rerender(certificate=issued, actor=centre_admin)
    issued.refresh_from_db()
    assert issued.status == RenderStatus.PENDING and issued.render_error == ""
    assert len(queued) == 1  # the render is sent once the retry is saved
    assert audit.actions() == ["certificate.render_retried"]
    entry = audit.entries().get()
    assert entry.subject == f"certificate:{issued.pk}" and entry.actor == centre_admin
    assert (entry.before, entry.after) == ({"status": "failed"}, {"status": "pending"})
    assert audit_verify()[1] is None


def test_retrying_a_pdf_that_has_not_failed_writes_nothing_to_the_audit_log(
    issued, centre_admin, django_capture_on_commit_callbacks
):
    assert issued.status == RenderStatus.READY
    audit = AuditWatch()
    with django_capture_on_commit_callbacks():
        certificate_rerender(certificate=issued, actor=centre_admin)
    issued.refresh_from_db()
    assert issued.status == RenderStatus.READY
    assert not audit.entries().exists()
    fail(issued)  # once it has failed, the same call is written down
    with django_capture_on_commit_callbacks():
        certificate_rerender(certificate=issued, actor=centre_admin)
    assert audit.actions() == ["certificate.render_retried"]


@pytest.mark.parametrize("persona", ["learner", "assessor", "iqa", "outsider"])
def test_nobody_but_the_centre_admin_retries_a_pdf_and_nothing_is_written(
    request, issued, centre_admin, persona, django_capture_on_commit_callbacks
):
    fail(issued)
    audit = AuditWatch()
    with pytest.raises(PermissionDenied):
        certificate_rerender(certificate=issued, actor=request.getfixturevalue(persona))
    issued.refresh_from_db()
    assert issued.status == RenderStatus.FAILED
    assert not audit.entries().exists()
    with django_capture_on_commit_callbacks():
        certificate_rerender(certificate=issued, actor=centre_admin)
    assert [(e.action, e.actor) for e in audit.entries()] == [
        ("certificate.render_retried", centre_admin)
    ]


def test_the_page_says_the_record_is_the_centres_and_the_certificate_the_awarding_bodys(
    client, issued
):
    """Decision 30: a verifier learns what they hold, and whom to ask about the certificate."""
    page = check(client, issued.number).content.decode()
    assert "Verify a record of achievement" in page
    assert (
        "This record of achievement is issued by Riverside Skills Academy; "
        "the certificate is issued by SFJ Awards." in page
    )


def test_making_again_a_pdf_that_is_there_sends_no_render_and_says_nothing_was_needed(
    client, issued, centre_admin, django_capture_on_commit_callbacks
):
    """A stale tab or a second click: nothing written, no render sent, and told so (it said
    "being made again", and sent a render that found nothing to do)."""
    client.force_login(centre_admin)
    audit = AuditWatch()
    url = reverse("certification:certificate-detail", args=[issued.pk])
    with django_capture_on_commit_callbacks() as queued:
        said = client.post(url, {"action": "retry"}, follow=True)
        assert certificate_rerender(certificate=issued, actor=centre_admin) is False
    assert queued == []
    assert [str(m) for m in said.context["messages"]] == [NOTHING_TO_MAKE_AGAIN]
    assert not audit.entries().exists()


def test_a_centre_admin_in_another_role_may_not_make_a_pdf_again(
    client, issued, centre_admin, django_capture_on_commit_callbacks
):
    """As for revoking and replacing: the admin's current role decides, not every role held."""
    issued.file.storage.delete(issued.file.name)
    other = Role.objects.create(user=centre_admin, centre=issued.centre, kind=RoleKind.ASSESSOR)
    client.force_login(centre_admin)
    client.post(reverse("switch-role"), {"role": other.pk})
    audit = AuditWatch()
    url = reverse("certification:certificate-detail", args=[issued.pk])
    with django_capture_on_commit_callbacks() as queued:
        refused = client.post(url, {"action": "retry"})
    assert refused.status_code == 403 and queued == []
    assert not audit.entries().exists()


def test_a_storage_that_fails_to_answer_leaves_the_certificate_page_up_with_its_link(
    client, issued, learner, monkeypatch, caplog
):
    def fails(name):
        raise OSError("storage unreachable")

    storage = issued.file.storage
    storage.exists(issued.file.name)  # the default storage made, behind its lazy object
    monkeypatch.setattr(getattr(storage, "_wrapped", storage), "exists", fails)
    client.force_login(learner)
    with caplog.at_level(logging.ERROR):
        page = page_of(client, issued)
    assert reverse("certification:certificate-pdf", args=[issued.pk]) in page
    assert PDF_MISSING not in page
    assert any("Could not ask storage" in r.getMessage() for r in caplog.records)
