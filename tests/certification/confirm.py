"""Claiming, revoking and replacing through their confirmation pages (decision 36), as people do."""

import re

from django.urls import reverse

TOKEN = re.compile(r'name="token" value="([^"]+)"')


def confirmation_token(page: str) -> str:
    found = TOKEN.search(page)
    assert found, "no confirmation form on the page"
    return found[1]


def claim_on_pages(client, kind: str, registrations, follow: bool = False):
    """Claim as a centre admin does: tick, see the confirmation, confirm (decision 36). A page
    with nothing to confirm (all refused) is returned as it is."""
    page = client.post(
        reverse("certification:claim"), {"kind": kind, "registrations": registrations}
    )
    if page.status_code != 200 or not TOKEN.search(page.content.decode()):
        return page
    return client.post(
        reverse("certification:claim-confirm"),
        {"token": confirmation_token(page.content.decode())},
        follow=follow,
    )


def revoke_on_page(client, certificate, reason: str, follow: bool = False):
    """Revoke on the certificate page: the reason, the confirmation, then confirm."""
    url = reverse("certification:certificate-detail", args=[certificate.pk])
    page = client.post(url, {"action": "revoke", "reason": reason})
    token = confirmation_token(page.content.decode())
    return client.post(url, {"action": "revoke-confirmed", "token": token}, follow=follow)


def replace_on_page(client, certificate, reason: str, follow: bool = False):
    """Replace on the certificate page: the reason, the confirmation, then confirm."""
    url = reverse("certification:certificate-detail", args=[certificate.pk])
    page = client.post(url, {"action": "replace", "reason": reason})
    token = confirmation_token(page.content.decode())
    return client.post(url, {"action": "replace-confirmed", "token": token}, follow=follow)
