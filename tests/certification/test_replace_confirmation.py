"""Replacing a certificate pauses for a confirmation that says what will be issued, as claims
and revocations do (decision 36): one POST without it changes nothing."""

import pytest
from django.urls import reverse

from certification.confirmation import token_for
from certification.models import Certificate, Kind
from certification.services import ALREADY_REPLACED, certificate_claim, certificate_revoke
from portal.models import AuditEntry
from tests.certification.confirm import confirmation_token, replace_on_page
from tests.factories import grant_direct_claims


@pytest.fixture
def issued(achieved, centre_admin, centre) -> Certificate:
    grant_direct_claims(centre)
    return certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)


def url(certificate):
    return reverse("certification:certificate-detail", args=[certificate.pk])


def test_asking_to_replace_shows_what_will_be_issued_and_issues_nothing(
    client, issued, centre_admin
):
    client.force_login(centre_admin)
    # No reason: said under the field, nothing offered to confirm.
    page = client.post(url(issued), {"action": "replace", "reason": "  "}).content.decode()
    assert "Give the reason" in page and 'name="token"' not in page
    response = client.post(url(issued), {"action": "replace", "reason": "Name <b>misspelt</b>."})
    page = response.content.decode()
    assert response.status_code == 200
    assert issued.number in page and issued.snapshot["learner_name"] in page
    assert (
        "Name &lt;b&gt;misspelt&lt;/b&gt;." in page
        and "Nothing is issued until you confirm" in page
    )
    assert Certificate.objects.count() == 1
    assert not AuditEntry.objects.filter(action="certificate.replaced").exists()


def test_the_confirmation_replaces_once_with_the_reason_shown(client, issued, centre_admin):
    client.force_login(centre_admin)
    page = client.post(url(issued), {"action": "replace", "reason": "Lost in a move."})
    token = confirmation_token(page.content.decode())
    response = client.post(url(issued), {"action": "replace-confirmed", "token": token})
    new = Certificate.objects.get(replaces=issued)
    assert response.status_code == 302 and response.url == url(new)
    assert new.replacement_reason == "Lost in a move."
    again = client.post(url(issued), {"action": "replace-confirmed", "token": token}, follow=True)
    assert "used already" in again.content.decode()
    assert Certificate.objects.count() == 2
    assert AuditEntry.objects.filter(action="certificate.replaced").count() == 1


def test_a_confirmation_from_before_another_replacement_issues_nothing_more(
    client, issued, centre_admin
):
    client.force_login(centre_admin)
    first = client.post(url(issued), {"action": "replace", "reason": "One tab."})
    replace_on_page(client, issued, "Another tab.")
    new = Certificate.objects.get(replaces=issued)
    token = confirmation_token(first.content.decode())
    response = client.post(
        url(issued), {"action": "replace-confirmed", "token": token}, follow=True
    )
    assert ALREADY_REPLACED.format(number=new.number) in response.content.decode()
    assert Certificate.objects.count() == 2


def test_a_revoked_certificate_offers_no_replacement_to_confirm_and_keeps_the_reason(
    client, issued, centre_admin
):
    certificate_revoke(certificate=issued, reason="Claimed in error.", actor=centre_admin)
    client.force_login(centre_admin)
    page = client.post(url(issued), {"action": "replace", "reason": "Lost."}).content.decode()
    assert "already revoked" in page and "Lost." in page and 'name="token"' not in page
    assert Certificate.objects.count() == 1


@pytest.mark.parametrize(("persona", "status"), [("learner", 403), ("outsider", 404)])
def test_nobody_but_the_centre_admin_asks_or_confirms(
    client, request, issued, centre_admin, persona, status
):
    person = request.getfixturevalue(persona)
    client.force_login(person)
    assert client.post(url(issued), {"action": "replace", "reason": "x"}).status_code == status
    theirs = token_for("replace", person.pk, {"certificate": issued.pk, "reason": "x"})
    response = client.post(url(issued), {"action": "replace-confirmed", "token": theirs})
    assert response.status_code == status
    # Another certificate's token, even the admin's own, replaces nothing here.
    client.force_login(centre_admin)
    other = token_for("replace", centre_admin.pk, {"certificate": issued.pk + 999, "reason": "x"})
    client.post(url(issued), {"action": "replace-confirmed", "token": other})
    assert Certificate.objects.count() == 1
