"""A confirmation is taken once, whichever session sends it, in the transaction of what it
confirms (decision 82): the token's nonce is written (`ConfirmationTaken`) with the claim or
revocation, and not at all when nothing was done, so a refusal writes nothing and the token is
still good. Kept in the session before, a second login's session (what the second request of an
overlapping double click saw: tests/integration/test_confirmation_double_click_race.py sends
eight at once through gunicorn) never found it used."""

import datetime

import pytest
from django.core import signing
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from certification.confirmation import ALREADY_USED, MAX_AGE, NOT_VALID, take, token_for
from certification.models import Certificate, ConfirmationTaken, Kind, Release
from certification.services import NOT_ISSUED_NOT_REVOKED, certificate_claim
from certification.views import OTHER_CENTRE, TOO_MANY
from portal.listing import PER_PAGE
from portal.models import AuditEntry, Role, RoleKind
from tests.certification.confirm import confirmation_token, revoke_on_page
from tests.certification.conftest import achieve, more_learners
from tests.factories import grant_direct_claims
from tests.writes import watch_writes, written

CLAIM = reverse("certification:claim")
CONFIRM = reverse("certification:claim-confirm")


def ask(client, registration) -> str:
    page = client.post(CLAIM, {"kind": "full", "registrations": [registration.pk]})
    return page.content.decode()


def said(page) -> str:
    return page.content.decode()


def test_a_token_taken_in_one_session_is_used_in_every_other(
    client, achieved, centre_admin, centre
):
    grant_direct_claims(centre)
    client.force_login(centre_admin)
    token = confirmation_token(ask(client, achieved))
    first = said(client.post(CONFIRM, {"token": token}, follow=True))
    assert "1 certificate claimed." in first
    other = Client()
    other.force_login(centre_admin)  # the second click, in a session without the first's write
    again = said(other.post(CONFIRM, {"token": token}, follow=True))
    assert ALREADY_USED in again and "already has a certificate" not in again
    assert Certificate.objects.count() == 1
    assert ConfirmationTaken.objects.count() == 1


def test_a_refused_claims_confirmation_writes_nothing(
    client, achieved, centre_admin, their_admin, learner
):
    """Not one learner claimed for (refused by the claim's own checks), another centre's admin,
    a learner, a token altered: no taken token, no certificate, nothing in the audit log."""
    audited = AuditEntry.objects.count()
    client.force_login(centre_admin)
    units: dict[str, list[str]] = {str(achieved.pk): []}  # not the units they have now
    payload = {"kind": "full", "centre": achieved.centre_id, "units": units}
    refused = token_for("claim", centre_admin.pk, payload)
    page = said(client.post(CONFIRM, {"token": refused}, follow=True))
    assert "units changed after you confirmed" in page
    real = confirmation_token(ask(client, achieved))
    tampered = said(client.post(CONFIRM, {"token": real[:-2] + "xx"}, follow=True))
    assert NOT_VALID in tampered
    client.force_login(their_admin)  # their own token, for a learner not at their centre
    mine = {"kind": "full", "centre": their_admin.roles.get().centre_id}
    theirs = token_for("claim", their_admin.pk, {**mine, "units": {str(achieved.pk): []}})
    page = said(client.post(CONFIRM, {"token": theirs}, follow=True))
    assert "can no longer be claimed for" in page
    client.force_login(learner)
    assert client.post(CONFIRM, {"token": real}).status_code == 403
    assert not ConfirmationTaken.objects.exists()
    assert not Certificate.objects.exists()
    assert AuditEntry.objects.count() == audited


@pytest.fixture
def held(achieved, centre_admin) -> Certificate:
    """A claim waiting for the EQA (no Direct Claims Status): not issued, not to be revoked."""
    certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    assert certificate.release == Release.AWAITING
    return certificate


def test_a_refused_revocation_writes_nothing_and_its_token_is_still_good(
    client, held, centre_admin
):
    """The revocation's page offers no revoking of a claim held for the EQA; a token made for
    it anyway is refused, takes nothing, and revokes once the claim is issued."""
    url = reverse("certification:certificate-detail", args=[held.pk])
    audited = AuditEntry.objects.count()
    client.force_login(centre_admin)
    fields = {"action": "revoke-confirmed"}
    token = token_for("revoke", centre_admin.pk, {"certificate": held.pk, "reason": "Wrong."})
    page = said(client.post(url, {**fields, "token": token}, follow=True))
    assert escape(NOT_ISSUED_NOT_REVOKED) in page
    elsewhere = token_for("revoke", centre_admin.pk, {"certificate": held.pk + 1, "reason": "x"})
    assert NOT_VALID in said(client.post(url, {**fields, "token": elsewhere}, follow=True))
    assert not ConfirmationTaken.objects.exists()
    assert AuditEntry.objects.count() == audited
    Certificate.objects.filter(pk=held.pk).update(release=Release.RELEASED)  # the EQA let it out
    page = said(client.post(url, {**fields, "token": token}, follow=True))
    assert f"{held.number} is revoked." in page
    held.refresh_from_db()
    assert held.is_revoked and ConfirmationTaken.objects.count() == 1


def test_a_refused_replacement_writes_nothing(client, achieved, centre_admin, centre):
    grant_direct_claims(centre)
    issued = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    client.force_login(centre_admin)
    url = reverse("certification:certificate-detail", args=[issued.pk])
    page = said(client.post(url, {"action": "replace", "reason": "Misspelt."}))
    token = confirmation_token(page)
    revoke_on_page(client, issued, "Claimed in error.")  # meanwhile, in another tab
    assert ConfirmationTaken.objects.count() == 1  # the revocation's
    page = said(client.post(url, {"action": "replace-confirmed", "token": token}, follow=True))
    assert "already revoked" in page
    assert ConfirmationTaken.objects.count() == 1
    assert not Certificate.objects.filter(replaces=issued).exists()


def test_taken_tokens_are_forgotten_once_no_token_could_still_be_good(
    client, achieved, centre_admin, centre
):
    """Kept twice as long as a confirmation is good for (a server whose clock is behind may
    still take a token this one signed a while ago), then forgotten: the table does not grow
    for ever."""
    long_ago = timezone.now() - datetime.timedelta(seconds=2 * MAX_AGE + 60)
    ConfirmationTaken.objects.create(nonce="old", taken_at=long_ago)
    recent = timezone.now() - datetime.timedelta(seconds=MAX_AGE + 60)
    ConfirmationTaken.objects.create(nonce="recent", taken_at=recent)
    grant_direct_claims(centre)
    client.force_login(centre_admin)
    client.post(CONFIRM, {"token": confirmation_token(ask(client, achieved))})
    kept = set(ConfirmationTaken.objects.values_list("nonce", flat=True))
    assert "old" not in kept and "recent" in kept and len(kept) == 2


def test_a_token_is_taken_only_in_the_transaction_of_what_it_confirms(rf, centre_admin):
    """Taken on its own, committed at once, it would be taken even when nothing was done."""
    request = rf.post(CONFIRM)
    request.user = centre_admin
    token = token_for("claim", centre_admin.pk, {"kind": "full", "units": {}})
    with pytest.raises(RuntimeError, match="transaction"):
        take(request, "claim", token)
    with transaction.atomic():
        assert take(request, "claim", token) == {"kind": "full", "units": {}}
    assert ConfirmationTaken.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_pdf_is_sent_for_after_the_claim_and_revocation_commit(
    client, achieved, centre_admin, centre, monkeypatch
):
    """The claim's services run inside the confirmation's transaction now: their render tasks
    still go only once it has committed (a worker sent one before would not find the row)."""
    sent: list[tuple[int, bool]] = []

    def queue_render(pk: int) -> bool:
        sent.append((pk, connection.in_atomic_block))
        return True

    monkeypatch.setattr("certification.services.queue_render", queue_render)
    grant_direct_claims(centre)
    client.force_login(centre_admin)
    client.post(CONFIRM, {"token": confirmation_token(ask(client, achieved))})
    [certificate] = Certificate.objects.all()
    assert sent == [(certificate.pk, False)]
    revoke_on_page(client, certificate, "Claimed in error.")
    assert sent == [(certificate.pk, False)] * 2


def test_a_claim_of_more_learners_than_a_page_of_the_claims_list_is_refused_writing_nothing(
    client, achieved, centre_admin, centre
):
    """The claims page offers at most a page of learners (PER_PAGE); more, posted by hand,
    would hold the centre's chain for all of them in one transaction: refused, on the
    confirmation page and on confirming, with nothing written."""
    grant_direct_claims(centre)
    client.force_login(centre_admin)
    many = [achieved.pk, *range(10**6, 10**6 + PER_PAGE)]
    units: dict[str, list[str]] = {str(pk): [] for pk in many}
    token = token_for("claim", centre_admin.pk, {"kind": "full", "units": units})
    watch_writes()
    page = said(client.post(CLAIM, {"kind": "full", "registrations": many}, follow=True))
    assert escape(TOO_MANY) in page and 'name="token"' not in page
    page = said(client.post(CONFIRM, {"token": token}, follow=True))
    assert escape(TOO_MANY) in page
    assert written() == []


@pytest.mark.parametrize("who", ["learner", "assessor"])
def test_someone_who_may_not_claim_is_refused_before_the_length_of_their_list(
    request, client, achieved, who
):
    """Who may claim is asked before anything they sent is looked at: a learner's or an
    assessor's long list is refused as any claim of theirs is, not told how many to send."""
    client.force_login(request.getfixturevalue(who))
    many = [achieved.pk, *range(10**6, 10**6 + PER_PAGE)]
    watch_writes()
    response = client.post(CLAIM, {"kind": "full", "registrations": many})
    assert response.status_code == 403
    assert escape(TOO_MANY) not in response.content.decode()
    assert written() == []


def test_a_confirmation_made_at_another_centre_says_which_and_writes_nothing(
    client, achieved, centre_admin, centre, other_centre
):
    """The admin switched centre between the confirmation page and Confirm: told which centre
    it was made for, not that the learners can no longer be claimed for; the token still good."""
    grant_direct_claims(centre)
    elsewhere = Role.objects.create(
        user=centre_admin, centre=other_centre, kind=RoleKind.CENTRE_ADMIN
    )
    client.force_login(centre_admin)
    home = centre_admin.roles.get(centre=centre)
    client.post(reverse("switch-role"), {"role": home.pk})
    token = confirmation_token(ask(client, achieved))
    client.post(reverse("switch-role"), {"role": elsewhere.pk})
    watch_writes()
    page = said(client.post(CONFIRM, {"token": token}, follow=True))
    assert escape(f"This confirmation was made for {centre}: switch to it, or start again.") in page
    assert "can no longer be claimed for" not in page
    assert written() == []
    client.post(reverse("switch-role"), {"role": home.pk})
    assert "1 certificate claimed." in said(client.post(CONFIRM, {"token": token}, follow=True))


def test_a_confirmation_naming_no_centre_is_refused_as_one_made_for_another_writing_nothing(
    client, achieved, centre_admin, centre
):
    """Every claim's token names its centre (the confirmation page puts it in): one naming
    none was not made by the page for this centre, and is refused as one made for another is,
    not claimed at whichever centre the admin is in now; nothing written, no nonce taken."""
    grant_direct_claims(centre)
    client.force_login(centre_admin)
    shown = signing.loads(
        confirmation_token(ask(client, achieved)), salt="certification.confirm.claim"
    )
    payload = shown["p"]
    del payload["centre"]  # all else as the page showed it: good but for the centre
    token = token_for("claim", centre_admin.pk, payload)
    watch_writes()
    page = said(client.post(CONFIRM, {"token": token}, follow=True))
    assert escape(OTHER_CENTRE.format(centre="another centre")) in page
    assert "certificate claimed" not in page
    assert written() == []
    assert not Certificate.objects.exists() and not ConfirmationTaken.objects.exists()


def test_a_confirmation_claiming_for_one_learner_and_refused_for_another_keeps_its_nonce(
    client, achieved, assessor, centre_admin, centre
):
    """Two learners confirmed, one refused by the claim's own checks (its units changed after
    the page): the other's certificate is issued in the same transaction, the refusal said,
    the nonce kept, and the token sent again is used already."""
    grant_direct_claims(centre)
    [second] = more_learners(achieved, 1, "b")
    achieve(second, assessor)
    client.force_login(centre_admin)
    page = client.post(CLAIM, {"kind": "full", "registrations": [achieved.pk, second.pk]})
    shown = signing.loads(confirmation_token(said(page)), salt="certification.confirm.claim")
    payload = shown["p"]
    payload["units"][str(second.pk)] = []  # what the page showed for them is not so now
    token = token_for("claim", centre_admin.pk, payload)
    done = said(client.post(CONFIRM, {"token": token}, follow=True))
    assert "1 certificate claimed." in done and "units changed after you confirmed" in done
    assert list(Certificate.objects.values_list("registration", flat=True)) == [achieved.pk]
    assert ConfirmationTaken.objects.count() == 1
    again = said(client.post(CONFIRM, {"token": token}, follow=True))
    assert ALREADY_USED in again and Certificate.objects.count() == 1
