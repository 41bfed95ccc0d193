"""Claims held for the awarding organisation's external quality assurer: made and checked, but
issued (rendered, verifiable, downloadable) only once released (decision 29)."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from certification.models import (
    AWAITING_EQA,
    Certificate,
    CertificateState,
    Kind,
    Release,
    RenderStatus,
)
from certification.rendering import certificate_render
from certification.services import (
    NOT_ISSUED_YET,
    ClaimRefused,
    certificate_claim,
    certificate_replace,
    direct_claims_grant,
    direct_claims_withdraw,
)
from certification.tasks import requeue_pending_certificates
from certification.verification import verify
from eqa.services import (
    HOLD_REASON_NEEDED,
    NOT_WITHHELD,
    SAMPLE_FIRST,
    EqaRefused,
    claim_hold,
    claim_release,
    eqa_sample_record,
)
from portal.models import RoleKind
from portfolios.services import RegistrationDetails, registration_create
from tests.audit import AuditWatch
from tests.certification.conftest import achieve
from tests.factories import RoleFactory, UserFactory, ao_desk
from tests.portfolios.conftest import SFJ_ENOUGH, START

pytestmark = pytest.mark.django_db


def another_registration(registration):
    """A second learner on the same qualification at the same centre."""
    other = UserFactory.create()
    RoleFactory.create(user=other, centre=registration.centre, kind=RoleKind.LEARNER)
    return registration_create(
        centre=registration.centre,
        details=RegistrationDetails(
            learner=other, qualification=registration.qualification, start_date=START
        ),
        optional_units=SFJ_ENOUGH,
        actor=registration.created_by,
    )


def sample(window, registration):
    return eqa_sample_record(
        access=window,
        registration=registration,
        unit=None,
        looked_at="The unit's evidence, decisions and the IQA's sample",
        finding="Sound.",
        actor=window.eqa,
    )


def test_without_direct_claims_status_a_claim_is_made_but_withheld_and_nothing_is_rendered(
    client, registration, assessor, centre_admin, learner, django_capture_on_commit_callbacks
):
    achieve(registration, assessor, codes={"F/506/2131"})
    with django_capture_on_commit_callbacks(execute=True) as queued:
        held = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    assert queued == []  # no render sent
    held.refresh_from_db()
    assert (held.release, held.state, held.status) == (
        Release.AWAITING,
        CertificateState.HELD,
        RenderStatus.PENDING,
    )
    certificate_render(held.pk)  # a render sent anyway (a stray task) makes nothing
    held.refresh_from_db()
    assert held.status == RenderStatus.PENDING and not held.file
    assert verify(held.number).state == "unknown"
    client.force_login(learner)
    assert client.get(reverse("certification:certificate-pdf", args=[held.pk])).status_code == 404
    home = client.get(reverse("home")).content.decode()
    assert "Held for external quality assurance" in home and "Ready to download" not in home


def test_the_claims_page_shows_held_claims_and_why(client, held, centre_admin):
    client.force_login(centre_admin)
    page = client.get(reverse("certification:claims")).content.decode()
    assert 'data-testid="held-count">1 claim' in page
    assert AWAITING_EQA.replace("'", "&#x27;") in page
    # Claimed, not issued: it is not among the certificates issued lately.
    assert held.number not in page.split('id="issued-heading"')[1]


def test_the_learner_sees_a_held_claim_as_claimed_not_issued(client, held, learner):
    client.force_login(learner)
    page = client.get(reverse("home")).content.decode()
    mine = page.split('data-testid="certificates"')[1]
    assert held.number in mine and "claimed " in mine and "issued " not in mine


def test_the_sweep_leaves_a_withheld_claim_to_the_eqa(held, settings, monkeypatch):
    settings.PENDING_SECONDS = -60  # everything pending counts as left behind
    sent: list[int] = []

    def publish(task, pk) -> bool:
        sent.append(pk)
        return True

    monkeypatch.setattr("certification.tasks.publish", publish)
    requeue_pending_certificates()
    assert held.pk not in sent


def test_the_eqa_releases_only_after_sampling_and_then_the_certificate_renders_and_verifies(
    client, held, window, learner, django_capture_on_commit_callbacks
):
    refusal = SAMPLE_FIRST.format(name=held.registration.learner.full_name)
    with pytest.raises(EqaRefused, match=re.escape(refusal)):
        claim_release(access=window, certificate=held, actor=window.eqa)
    # Another learner's sample, in the same window, says nothing of this learner's work.
    sample(window, another_registration(held.registration))
    with pytest.raises(EqaRefused, match=re.escape(refusal)):
        claim_release(access=window, certificate=held, actor=window.eqa)
    sample(window, held.registration)
    watch = AuditWatch()
    with django_capture_on_commit_callbacks(execute=True):
        claim_release(access=window, certificate=held, actor=window.eqa)
    assert watch.actions() == ["certificate.released"]
    held.refresh_from_db()
    assert (held.release, held.status, held.state) == (
        Release.RELEASED,
        RenderStatus.READY,
        CertificateState.READY,
    )
    assert held.release_decided_by == window.eqa
    assert verify(held.number).state == "genuine"
    client.force_login(learner)
    pdf = client.get(reverse("certification:certificate-pdf", args=[held.pk]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    with pytest.raises(
        EqaRefused, match=NOT_WITHHELD.format(state="released by the external quality assurer")
    ):
        claim_release(access=window, certificate=held, actor=window.eqa)


def test_a_hold_needs_a_reason_which_the_centre_sees_and_the_claim_can_be_released_later(
    client, held, window, centre_admin
):
    with pytest.raises(EqaRefused, match=HOLD_REASON_NEEDED):
        claim_hold(access=window, certificate=held, reason="  ", actor=window.eqa)
    claim_hold(
        access=window, certificate=held, reason="Witness statements undated.", actor=window.eqa
    )
    held.refresh_from_db()
    assert (held.release, held.state) == (Release.HELD, CertificateState.HELD)
    assert verify(held.number).state == "unknown"
    client.force_login(centre_admin)
    page = client.get(reverse("certification:claims")).content.decode()
    assert "Witness statements undated." in page
    sample(window, held.registration)
    claim_release(access=window, certificate=held, actor=window.eqa)
    held.refresh_from_db()
    assert held.release == Release.RELEASED and held.hold_reason == ""


def test_the_eqa_releases_and_holds_through_their_page(client, held, window):
    client.force_login(window.eqa)
    url = reverse("eqa:claims", args=[window.pk])
    assert held.registration.learner.full_name in client.get(url).content.decode()
    client.post(url, {"certificate": held.pk, "decision": "hold", "reason": ""})
    held.refresh_from_db()
    assert held.release == Release.AWAITING  # no reason: nothing changed
    client.post(url, {"certificate": held.pk, "decision": "hold", "reason": "Sample more."})
    held.refresh_from_db()
    assert (held.release, held.hold_reason) == (Release.HELD, "Sample more.")


def test_a_withheld_claim_cannot_be_replaced(held, centre_admin):
    with pytest.raises(ClaimRefused, match=NOT_ISSUED_YET):
        certificate_replace(certificate=held, reason="Name misspelt.", actor=centre_admin)


def test_a_centre_with_direct_claims_status_issues_at_once(
    registration, assessor, centre_admin, centre, sfj, django_capture_on_commit_callbacks
):
    direct_claims_grant(centre=centre, qualification=sfj, actor=ao_desk())
    achieve(registration, assessor, codes={"F/506/2131"})
    with django_capture_on_commit_callbacks(execute=True):
        issued = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    issued.refresh_from_db()
    assert (issued.release, issued.state) == (Release.DIRECT, CertificateState.READY)
    assert verify(issued.number).state == "genuine"


def test_after_direct_claims_status_is_withdrawn_the_next_claim_is_held(
    registration, assessor, centre_admin, centre, sfj
):
    status = direct_claims_grant(centre=centre, qualification=sfj, actor=ao_desk())
    watch = AuditWatch()
    direct_claims_withdraw(status=status, reason="EQA visit found gaps.", actor=ao_desk())
    assert watch.actions() == ["direct_claims.withdrawn"]
    achieve(registration, assessor, codes={"F/506/2131"})
    claimed = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    assert claimed.release == Release.AWAITING


def test_a_centre_admin_cannot_grant_their_centre_direct_claims_status(centre, sfj, centre_admin):
    with pytest.raises(PermissionDenied):
        direct_claims_grant(centre=centre, qualification=sfj, actor=centre_admin)
    watch = AuditWatch()
    direct_claims_grant(centre=centre, qualification=sfj, note="AO letter 12", actor=ao_desk())
    [entry] = watch.entries()
    assert (entry.action, entry.centre_id, (entry.after or {})["note"]) == (
        "direct_claims.granted",
        centre.pk,
        "AO letter 12",
    )
    assert Certificate.objects.count() == 0


def test_a_withheld_unit_certificate_supersedes_the_one_in_force_only_once_released(
    registration, assessor, centre_admin, centre, sfj, window, django_capture_on_commit_callbacks
):
    status = direct_claims_grant(centre=centre, qualification=sfj, actor=ao_desk())
    achieve(registration, assessor, codes={"F/506/2131"})
    first = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    direct_claims_withdraw(status=status, reason="Gaps found.", actor=ao_desk())
    achieve(registration, assessor, codes={"A/506/2130"})
    second = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    assert second.supersedes == first and second.is_withheld

    def state_of(certificate: Certificate) -> CertificateState:
        return Certificate.objects.select_related("superseded_by").get(pk=certificate.pk).state

    assert state_of(first) == CertificateState.PENDING  # still the one in force
    assert Certificate.objects.in_state(CertificateState.SUPERSEDED).count() == 0
    sample(window, registration)
    with django_capture_on_commit_callbacks(execute=False):
        claim_release(access=window, certificate=second, actor=window.eqa)
    assert state_of(first) == CertificateState.SUPERSEDED
    assert list(Certificate.objects.in_state(CertificateState.SUPERSEDED)) == [first]


def test_a_withheld_claim_is_not_revoked_and_its_page_offers_no_revocation(
    client, held, centre_admin
):
    """Revoking a claim never issued would stand in the learner's way for good (no second claim
    of the kind, nothing the EQA could release): the EQA holds it instead."""
    from certification.services import NOT_ISSUED_NOT_REVOKED, certificate_revoke

    with pytest.raises(ClaimRefused, match=re.escape(NOT_ISSUED_NOT_REVOKED)):
        certificate_revoke(certificate=held, reason="Wrong units", actor=centre_admin)
    held.refresh_from_db()
    assert not held.is_revoked
    client.force_login(centre_admin)
    page = client.get(reverse("certification:certificate-detail", args=[held.pk])).content
    assert b'value="revoke"' not in page and b'value="replace"' not in page
