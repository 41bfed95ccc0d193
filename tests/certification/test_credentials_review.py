"""Credentials after the attacker review of issue 21 (decision 56, amended 7 December 2026): a
leaked key revoked, the status list's lifetime, a BOM or a wrapped token still read."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape
from joserfc import jws

from certification import keys
from certification.credentials import (
    LIST_EXPIRED,
    LIST_UNDATED,
    REVOKED,
    REVOKED_KEY,
    UNKNOWN_KEY,
    credential_document,
    sign,
    status_list_credential,
)
from certification.services import certificate_revoke
from tests.certification import test_credentials as base
from tests.certification.test_credentials import here, save_published, token_of, unb64

# The fixtures of the credential tests, shared.
issued = base.issued
fresh_limits = base.fresh_limits

pytestmark = pytest.mark.usefixtures("direct_claims")


def offline(capsys, credential, did, listed) -> tuple[int, str]:
    """The command's exit code (0: valid) and what it printed."""
    capsys.readouterr()
    try:
        call_command(
            "verify_credential", str(credential), "--did", str(did), "--status-list", str(listed)
        )
    except SystemExit as exit:
        return int(exit.code or 0), capsys.readouterr().out
    return 0, capsys.readouterr().out


def on_the_page(client, text: str) -> bytes:
    client.logout()
    return client.post(reverse("certification:verify-credential"), {"credential": text}).content


def claims_of(token: str) -> dict:
    return json.loads(unb64(token.split(".")[1]))


# 1. A leaked key is revoked: nothing it signed verifies, online or offline ----------------------


def test_a_revoked_key_verifies_nothing_it_signed_on_the_page_or_offline(
    client, issued, settings, tmp_path, capsys
):
    settings.CREDENTIAL_KEYS_FILE = tmp_path / "keys.json"
    call_command("credential_key", "ensure")
    leaked = keys.signing_key().kid
    old = tmp_path / "old"
    old.mkdir()
    old_credential = save_published(client, old, issued.registration.learner, issued)
    assert offline(capsys, old_credential, old / "did.json", old / "status.jwt")[0] == 0

    call_command("credential_key", "revoke", leaked)  # the key that signs: a new one first
    current = keys.signing_key().kid
    assert current != leaked
    assert [k["kid"] for k in keys.public_jwks()["keys"]] == [current]
    stored = json.loads((tmp_path / "keys.json").read_text())["keys"]
    assert stored[0]["kid"] == leaked and "d" not in stored[0] and stored[0]["revoked"]
    assert keys.revoked() == {leaked: stored[0]["revoked"]}

    new = tmp_path / "new"
    new.mkdir()
    fresh_credential = save_published(client, new, issued.registration.learner, issued)
    did = json.loads((new / "did.json").read_text())
    assert [m.rsplit("#", 1)[1] for m in did["assertionMethod"]] == [current]
    assert [k["kid"] for k in json.loads((new / "jwks.json").read_text())["keys"]] == [current]
    assert jws.extract_compact((new / "status.jwt").read_bytes()).headers()["kid"] == current

    # The page: the old download names the revoked key and says to download again.
    page = on_the_page(client, old_credential.read_text()).decode()
    assert "Not valid" in page
    assert escape(REVOKED_KEY.format(kid=leaked, date=stored[0]["revoked"])) in page
    # Offline, against the DID document fetched since: the credential, and the all-clear list
    # the leaked key signed, are refused.
    code, out = offline(capsys, old_credential, new / "did.json", new / "status.jwt")
    assert code == 1 and f"Not valid: {UNKNOWN_KEY.format(kid=leaked)}" in out
    code, out = offline(capsys, fresh_credential, new / "did.json", old / "status.jwt")
    assert code == 1
    assert f"The status list cannot be trusted: {UNKNOWN_KEY.format(kid=leaked)}" in out
    # Downloaded again: valid.
    assert offline(capsys, fresh_credential, new / "did.json", new / "status.jwt")[0] == 0
    assert "Valid" in on_the_page(client, fresh_credential.read_text()).decode()
    # Revoking it twice, or a key CREDENTIAL_KEY_ID names, is refused.
    with pytest.raises(CommandError, match="was revoked on"):
        call_command("credential_key", "revoke", leaked)
    settings.CREDENTIAL_KEY_ID = current
    with pytest.raises(CommandError, match="CREDENTIAL_KEY_ID names"):
        call_command("credential_key", "revoke", current)


def test_retiring_still_keeps_the_public_key_for_ordinary_rotation(issued, settings, tmp_path):
    settings.CREDENTIAL_KEYS_FILE = tmp_path / "keys.json"
    call_command("credential_key", "ensure")
    first = keys.signing_key().kid
    before = token_of(credential_document(issued))
    call_command("credential_key", "new")
    call_command("credential_key", "retire", first)
    assert first in [k["kid"] for k in keys.public_jwks()["keys"]]
    assert keys.revoked() == {}
    assert here(before)  # what the retired key signed still verifies


# 2. The status list counts for a while: an old copy is refused offline --------------------------


def test_the_status_list_says_until_when_it_counts_and_an_expired_copy_is_refused(
    client, issued, centre_admin, settings, tmp_path, capsys
):
    settings.CREDENTIAL_STATUS_LIST_HOURS = 24
    claims = claims_of(status_list_credential())
    assert claims["validFrom"] < claims["validUntil"]
    from datetime import datetime, timedelta

    start = datetime.fromisoformat(claims["validFrom"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(claims["validUntil"].replace("Z", "+00:00"))
    assert end - start == timedelta(hours=24)

    credential = save_published(client, tmp_path, issued.registration.learner, issued)
    did, listed = tmp_path / "did.json", tmp_path / "status.jwt"
    code, out = offline(capsys, credential, did, listed)
    assert code == 0
    assert f"The status list is of {claims['validFrom'][:10]}" in out
    assert f"counts until {claims['validUntil'][:10]}" in out

    # A genuine list, signed by the issuer's key, but past its validUntil: refused.
    stale = claims_of(listed.read_text()) | {
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2026-01-02T00:00:00Z",
    }
    listed.write_text(sign(stale))
    code, out = offline(capsys, credential, did, listed)
    assert code == 1
    assert f"Not valid: {LIST_EXPIRED.format(until='2026-01-02T00:00:00Z')}" in out
    assert "The status list is of 2026-01-01T00:00:00Z and counts until 2026-01-02T00:00:00Z" in out
    # One that never says until when (signed before lists had a lifetime): refused too.
    undated = {k: v for k, v in stale.items() if k != "validUntil"}
    listed.write_text(sign(undated))
    code, out = offline(capsys, credential, did, listed)
    assert code == 1 and LIST_UNDATED in out

    # A revoked credential: refused, and the list's date still printed.
    certificate_revoke(certificate=issued, reason="Issued in error.", actor=centre_admin)
    listed.write_text(client.get(reverse("certification:credential-status")).content.decode())
    code, out = offline(capsys, credential, did, listed)
    assert code == 1 and REVOKED in out and "The status list is of " in out


# 4. A BOM (Windows Notepad) or a token wrapped by a mail program is still read -----------------


def test_a_file_with_a_bom_or_a_wrapped_token_is_read_on_the_page_and_the_command(
    client, issued, tmp_path, capsys
):
    credential = save_published(client, tmp_path, issued.registration.learner, issued)
    did, listed = tmp_path / "did.json", tmp_path / "status.jwt"
    document = credential.read_text()
    token = token_of(json.loads(document))
    wrapped = "\r\n".join(token[i : i + 76] for i in range(0, len(token), 76))
    assert "\n" in wrapped
    with_bom = "\ufeff" + document

    for text in (with_bom, wrapped, "\ufeff" + wrapped + "\n"):
        assert "Valid" in on_the_page(client, text).decode(), text[:20]
        upload = SimpleUploadedFile("c.json", text.encode("utf-8"), content_type="text/plain")
        page = client.post(reverse("certification:verify-credential"), {"upload": upload})
        assert "Not valid" not in page.content.decode()
        assert issued.number in page.content.decode()

        credential.write_text(text, encoding="utf-8")
        assert offline(capsys, credential, did, listed)[0] == 0
    # The status list saved with a BOM and wrapped: read as well.
    credential.write_text(document)
    listed.write_text("\ufeff" + "\n".join(listed.read_text().split(".")).replace("\n", ".\n"))
    assert offline(capsys, credential, did, listed)[0] == 0
