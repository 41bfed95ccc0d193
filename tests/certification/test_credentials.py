"""Certificates as Open Badges 3.0 credentials (issue 21, decision 56): signed VC-JWTs that
round-trip, fail on any change, report revocation through the published status list, and are
downloaded only by those who may see the certificate."""

import base64
import copy
import datetime
import json
import re
import shlex
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape
from joserfc import jws

from certification import keys, status_list
from certification.credentials import (
    BAD_SIGNATURE,
    ENVELOPE_PREFIX,
    MISMATCH,
    NO_CERTIFICATE,
    NOT_A_CREDENTIAL,
    REVOKED,
    UNKNOWN_KEY,
    WRONG_ISSUER,
    Unverified,
    credential_document,
    credential_for,
    identity_hash,
    identity_matches,
    issuer_id,
    no_credential_because,
    sign,
    status_list_credential,
    verify_credential,
    verify_here,
)
from certification.models import Certificate, Kind, Release
from certification.services import certificate_claim, certificate_replace, certificate_revoke
from tests.certification.conftest import achieve

pytestmark = pytest.mark.usefixtures("direct_claims")

FIRST = "F/506/2131"


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()


@pytest.fixture
def issued(achieved, centre_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    certificate.refresh_from_db()
    return certificate


def token_of(document: dict) -> str:
    return document["id"].removeprefix(ENVELOPE_PREFIX)


def here(text: str):
    """Verify against the portal's published keys and its status list now."""
    return verify_credential(
        text, keys.key_set_from(keys.public_jwks()), issuer_id(), status_list_credential()
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_credential_round_trips_and_says_what_the_certificate_says(issued):
    document = credential_document(issued)
    assert document["type"] == "EnvelopedVerifiableCredential"
    verified, certificate = verify_here(json.dumps(document))
    assert certificate == issued
    claims = verified.credential
    assert claims == credential_for(issued)
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    achievement = claims["credentialSubject"]["achievement"]
    s = issued.snapshot
    assert achievement["name"] == s["qualification_title"]
    assert achievement["humanCode"] == s["qualification_number"]
    assert f"Level {s['level']}" in achievement["tag"]
    assert claims["credentialSubject"]["creditsEarned"] == s["credits"]
    for unit in s["units"]:
        assert f"{unit['reference']} {unit['title']}" in achievement["criteria"]["narrative"]
    assert achievement["creator"]["name"] == s["awarding_organisation"]
    assert claims["credentialSubject"]["source"]["name"] == s["centre"]
    assert claims["issuer"]["id"] == issuer_id()
    # The same certificate always gives the same credential, token and all.
    assert credential_document(issued) == document


def test_the_learner_is_named_only_by_salted_hashes(issued):
    claims = credential_for(issued)
    text = json.dumps(claims)
    learner = issued.registration.learner
    assert learner.email not in text
    assert issued.snapshot["learner_name"] not in text
    assert issued.learner_identifier not in text
    name = next(i for i in claims["credentialSubject"]["identifier"] if i["identityType"] == "name")
    assert name["hashed"] is True and name["identityHash"].startswith("sha256$")
    assert name["identityHash"] == identity_hash(issued.snapshot["learner_name"], name["salt"])
    assert identity_matches(claims, "name", issued.snapshot["learner_name"])
    assert not identity_matches(claims, "name", issued.snapshot["learner_name"] + "x")
    assert identity_matches(claims, "systemId", issued.learner_identifier)


def test_a_single_changed_character_fails_verification(issued):
    token = token_of(credential_document(issued))
    header, payload, signature = token.split(".")
    claims = unb64(payload).decode()
    title = issued.snapshot["qualification_title"]
    # One letter of the qualification's title, re-encoded properly: only the signature knows.
    changed = claims.replace(title, title[:-1] + ("X" if title[-1] != "X" else "Y"), 1)
    assert changed != claims and len(changed) == len(claims)
    forged = f"{header}.{b64(changed.encode())}.{signature}"
    with pytest.raises(Unverified, match=re.escape(BAD_SIGNATURE)):
        here(forged)
    # A character of the signature itself.
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(Unverified, match=re.escape(BAD_SIGNATURE)):
        here(f"{header}.{payload}.{flipped}")
    # The untouched token still verifies.
    assert here(token).credential["id"].endswith(f"/verify/{issued.number}/")


def test_a_revoked_certificate_s_credential_reports_revoked(issued, centre_admin):
    text = json.dumps(credential_document(issued))
    assert here(text)  # valid before
    certificate_revoke(certificate=issued, reason="Issued in error.", actor=centre_admin)
    with pytest.raises(Unverified, match=re.escape(REVOKED)):
        here(text)
    # The bit is set in the published list at the credential's index, and only that one.
    with keys.quiet_eddsa():
        listed = jws.deserialize_compact(
            status_list_credential(), keys.key_set_from(keys.public_jwks()), algorithms=["EdDSA"]
        )
    subject = json.loads(listed.payload)["credentialSubject"]
    bits = status_list.decode(subject["encodedList"])
    assert len(bits) * 8 >= status_list.BLOCK
    assert [i for i in range(len(bits) * 8) if status_list.is_set(bits, i)] == [issued.pk]


def test_a_replaced_certificate_s_credential_reports_revoked_and_its_replacement_verifies(
    issued, centre_admin, django_capture_on_commit_callbacks
):
    old = json.dumps(credential_document(issued))
    with django_capture_on_commit_callbacks(execute=True):
        new = certificate_replace(certificate=issued, reason="Lost.", actor=centre_admin)
    with pytest.raises(Unverified, match=re.escape(REVOKED)):
        verify_here(old)
    _, certificate = verify_here(json.dumps(credential_document(new)))
    assert certificate == new


def test_a_unit_certificate_has_its_own_credential(registration, assessor, centre_admin):
    achieve(registration, assessor, codes={FIRST})
    unit = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    verified, certificate = verify_here(json.dumps(credential_document(unit)))
    assert certificate == unit
    achievement = verified.credential["credentialSubject"]["achievement"]
    assert achievement["name"].startswith("Units of ")
    assert FIRST in achievement["criteria"]["narrative"]


def test_a_credential_signed_with_another_key_or_naming_another_issuer_is_refused(issued):
    from joserfc.jwk import OKPKey

    stranger = OKPKey.generate_key("Ed25519", parameters={"kid": "stranger"}, private=True)
    payload = json.dumps(credential_for(issued))
    with keys.quiet_eddsa():
        token = jws.serialize_compact(
            {"alg": "EdDSA", "kid": "stranger"}, payload, stranger, algorithms=["EdDSA"]
        )
    with pytest.raises(Unverified, match="stranger"):
        here(token)
    # Our kid on a stranger's signature: the signature fails.
    ours = keys.signing_key().kid
    with keys.quiet_eddsa():
        token = jws.serialize_compact(
            {"alg": "EdDSA", "kid": ours}, payload, stranger, algorithms=["EdDSA"]
        )
    with pytest.raises(Unverified, match=re.escape(BAD_SIGNATURE)):
        here(token)
    other = credential_for(issued) | {"issuer": {"id": "did:web:elsewhere.example"}}
    with pytest.raises(Unverified, match=WRONG_ISSUER.split("(")[0]):
        here(sign(other))
    assert UNKNOWN_KEY and NOT_A_CREDENTIAL


def test_a_credential_downloaded_before_units_became_results_still_matches(issued, centre_admin):
    """Downloads made before decision 56's amendment carry no unit results and always state
    credits: they still match the certificate as issued, and nothing else does."""
    claims = credential_for(issued)
    subject = claims["credentialSubject"]
    del subject["result"], subject["achievement"]["resultDescription"]
    verified, certificate = verify_here(sign(claims))
    assert certificate == issued and "result" not in verified.credential["credentialSubject"]
    subject["creditsEarned"] += 1
    with pytest.raises(Unverified, match=MISMATCH.split("(")[0]):
        verify_here(sign(claims))


def test_a_released_claim_is_valid_from_its_release_and_earlier_downloads_still_match(issued):
    """A claim the EQA let out is valid from its release; downloads made before that was so
    carry the claim's time, and still match (in both earlier forms); no other time does."""
    claimed = issued.issued_at
    before = credential_for(issued)
    released = claimed + datetime.timedelta(days=2, hours=3)
    Certificate.objects.filter(pk=issued.pk).update(
        release=Release.RELEASED, release_decided_at=released
    )
    issued.refresh_from_db()
    now = credential_for(issued)
    assert now["validFrom"] == released.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert before["validFrom"] != now["validFrom"]
    assert verify_here(sign(now))[1] == issued
    assert verify_here(sign(before))[1] == issued
    old = copy.deepcopy(before)
    subject = old["credentialSubject"]
    del subject["result"], subject["achievement"]["resultDescription"]
    assert verify_here(sign(old))[1] == issued
    other = now | {"validFrom": "2026-01-01T00:00:00Z"}
    with pytest.raises(Unverified, match=MISMATCH.split("(")[0]):
        verify_here(sign(other))


def test_a_signed_credential_that_is_not_the_certificate_as_issued_is_refused(issued):
    claims = credential_for(issued)
    claims["credentialSubject"]["creditsEarned"] = 999
    with pytest.raises(Unverified, match=MISMATCH.split("(")[0]):
        verify_here(sign(claims))
    claims = credential_for(issued) | {"id": "https://elsewhere.example/verify/QP-AAAAA-AAAAA/"}
    with pytest.raises(Unverified, match=re.escape(NO_CERTIFICATE)):
        verify_here(sign(claims))


@pytest.mark.parametrize(
    "junk", ["", "hello", "{}", "[1]", '{"id": "data:text/plain,x"}', "a.b", "a.b.c", "\x00..."]
)
def test_junk_is_not_a_credential(db, junk):
    with pytest.raises(Unverified):
        here(junk)


def test_an_old_key_kept_published_still_verifies_after_a_rotation(issued, settings, tmp_path):
    from joserfc.jwk import OKPKey

    old_token = token_of(credential_document(issued))
    old_public = keys.signing_key().as_dict(private=False)
    new = OKPKey.generate_key("Ed25519", parameters={"kid": "portal-next"}, private=True)
    rotated = tmp_path / "keys.json"
    rotated.write_text(json.dumps({"keys": [old_public, new.as_dict(private=True)]}))
    settings.CREDENTIAL_KEYS_FILE = rotated
    assert keys.signing_key().kid == "portal-next"
    assert {k["kid"] for k in keys.public_jwks()["keys"]} == {old_public["kid"], "portal-next"}
    assert here(old_token)
    assert jws.extract_compact(sign({}).encode()).headers()["kid"] == "portal-next"


def test_the_keys_did_document_and_status_list_are_published(client, issued):
    jwks = client.get(reverse("certification:credential-jwks")).json()
    assert [k["kid"] for k in jwks["keys"]] == [keys.signing_key().kid]
    assert all("d" not in k for k in jwks["keys"])  # never a private part
    did = client.get(reverse("certification:credential-did")).json()
    assert did["id"] == issuer_id()
    assert did["verificationMethod"][0]["publicKeyJwk"]["x"] == jwks["keys"][0]["x"]
    response = client.get(reverse("certification:credential-status"))
    assert response["Content-Type"] == "application/vc+jwt"
    token = response.content.decode()
    claims = json.loads(jws.extract_compact(token.encode()).payload)
    assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert claims["credentialSubject"]["encodedList"].startswith("u")


def test_the_learner_downloads_the_credential_and_an_outsider_cannot(
    client, issued, learner, centre_admin, outsider
):
    url = reverse("certification:certificate-credential", args=[issued.pk])
    for person in (learner, centre_admin):
        client.force_login(person)
        response = client.get(url)
        assert response["Content-Type"] == "application/json"
        assert f"{issued.number}-credential.json" in response["Content-Disposition"]
        assert verify_here(response.content.decode())[1] == issued
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_the_certificate_page_offers_the_credential(client, issued, learner):
    client.force_login(learner)
    page = client.get(reverse("certification:certificate-detail", args=[issued.pk]))
    assert (
        reverse("certification:certificate-credential", args=[issued.pk]) in page.content.decode()
    )


def test_a_revoked_certificate_offers_no_credential_and_its_download_says_why(
    client, issued, learner, centre_admin
):
    certificate_revoke(certificate=issued, reason="Issued in error.", actor=centre_admin)
    client.force_login(learner)
    download = reverse("certification:certificate-credential", args=[issued.pk])
    detail = reverse("certification:certificate-detail", args=[issued.pk])
    page = client.get(detail).content.decode()
    assert download not in page
    why = no_credential_because(Certificate.objects.get(pk=issued.pk))
    assert why.startswith("This certificate was revoked on ") and escape(why) in page
    response = client.get(download, follow=True)
    assert response.redirect_chain == [(detail, 302)]
    assert [str(m) for m in response.context["messages"]] == [why]


def test_a_replaced_certificate_points_to_its_replacement_s_credential(
    client, issued, learner, centre_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = certificate_replace(certificate=issued, reason="Lost.", actor=centre_admin)
    client.force_login(learner)
    old_download = reverse("certification:certificate-credential", args=[issued.pk])
    new_download = reverse("certification:certificate-credential", args=[new.pk])
    page = client.get(reverse("certification:certificate-detail", args=[issued.pk]))
    text = page.content.decode()
    assert old_download not in text and new_download in text
    assert f"replaced by {new.number}" in text
    response = client.get(old_download, follow=True)
    [message] = [str(m) for m in response.context["messages"]]
    assert f"replaced by {new.number}" in message
    assert new_download in response.content.decode()
    assert verify_here(client.get(new_download).content.decode())[1] == new


def test_the_verification_page_checks_a_pasted_or_uploaded_credential(client, issued, centre_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("certification:verify-credential")
    text = json.dumps(credential_document(issued))
    page = client.post(url, {"credential": text}).content.decode()
    assert "Valid" in page and issued.number in page and "Not valid" not in page
    upload = SimpleUploadedFile("c.json", text.encode(), content_type="application/json")
    page = client.post(url, {"upload": upload}).content.decode()
    assert "Valid" in page and issued.snapshot["learner_name"] in page
    # Failures in words, and nothing written.
    count = Certificate.objects.count()
    token = token_of(json.loads(text))
    signature = token.rsplit(".", 1)[1]
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    page = client.post(url, {"credential": text.replace(signature, flipped)}).content.decode()
    assert "Not valid" in page and "The signature does not match" in page
    page = client.post(url, {"credential": "not a credential"}).content.decode()
    assert "Not valid" in page and "This is not a credential the portal issues" in page
    page = client.post(url, {"credential": ""}).content.decode()
    assert "Paste a credential or upload its file." in page
    certificate_revoke(certificate=issued, reason="Issued in error.", actor=centre_admin)
    page = client.post(url, {"credential": text}).content.decode()
    assert "Not valid" in page and "revoked" in page
    assert Certificate.objects.count() == count


def save_published(client, tmp_path, learner, certificate):
    """What an employer keeps: the learner's download and the issuer's published documents."""
    client.force_login(learner)
    credential = tmp_path / f"{certificate.number}-credential.json"
    download = client.get(reverse("certification:certificate-credential", args=[certificate.pk]))
    credential.write_bytes(download.content)
    for name, url in (
        ("jwks.json", "certification:credential-jwks"),
        ("did.json", "certification:credential-did"),
        ("status.jwt", "certification:credential-status"),
    ):
        (tmp_path / name).write_text(client.get(reverse(url)).content.decode())
    return credential


def test_the_command_verifies_offline_against_saved_keys_and_list(
    client, issued, centre_admin, settings, tmp_path, capsys
):
    credential = save_published(client, tmp_path, issued.registration.learner, issued)
    jwks, did, listed = tmp_path / "jwks.json", tmp_path / "did.json", tmp_path / "status.jwt"
    args = [str(credential), "--did", str(did), "--status-list", str(listed)]
    call_command("verify_credential", *args, "--name", issued.snapshot["learner_name"])
    out = capsys.readouterr().out
    assert "Valid" in out and "issued to that name" in out
    # The check is dated by the status list it used, and says it is only as fresh as that.
    listed_claims = json.loads(unb64(listed.read_text().split(".")[1]))
    dated = listed_claims["validFrom"]
    assert f"; not revoked as of the status list dated {dated}." in out
    assert f"only as fresh as the status list of {dated}" in out
    # The name as someone types it: other spaces, other case.
    typed = "  " + "   ".join(issued.snapshot["learner_name"].lower().split()) + " "
    call_command("verify_credential", *args, "--name", typed)
    assert "issued to that name" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("verify_credential", *args, "--name", "Someone Else")
    # The key set instead of the DID document, with the portal's address as the issuer.
    by_jwks = [str(credential), "--jwks", str(jwks), "--status-list", str(listed)]
    call_command("verify_credential", *by_jwks, "--issuer", settings.PUBLIC_URL + "/verify/")
    assert "Valid:" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Say whose keys --jwks holds"):
        call_command("verify_credential", *by_jwks)
    # Revoked: a list saved before still says valid (offline is as fresh as its copy); the
    # list fetched after says revoked.
    certificate_revoke(certificate=issued, reason="Issued in error.", actor=centre_admin)
    listed.write_text(client.get(reverse("certification:credential-status")).content.decode())
    capsys.readouterr()
    with pytest.raises(SystemExit):
        call_command("verify_credential", *args)
    assert REVOKED in capsys.readouterr().out
    # A tampered status list is refused, never read as "not revoked".
    header, payload, signature = listed.read_text().split(".")
    body = json.loads(unb64(payload))
    body["credentialSubject"]["encodedList"] = status_list.encode([], status_list.BLOCK)
    listed.write_text(f"{header}.{b64(json.dumps(body).encode())}.{signature}")
    with pytest.raises(SystemExit):
        call_command("verify_credential", *args)
    assert "status list cannot be trusted" in capsys.readouterr().out


DOCS = Path(__file__).resolve().parents[2] / "docs" / "open-credentials.md"


def documented_offline_steps() -> tuple[list[tuple[str, str]], list[str]]:
    """The docs' offline example: the files its curl lines save (name, path fetched), and the
    verify_credential command's arguments, exactly as printed."""
    block = DOCS.read_text().split("```sh", 1)[1].split("```", 1)[0]
    saves, command = [], []
    for line in block.strip().splitlines():
        words = shlex.split(line)
        if words[0] == "curl":
            saves.append((words[2], "/" + words[3].split("://", 1)[1].split("/", 1)[1]))
        else:
            assert words[:3] == [".venv/bin/python", "manage.py", "verify_credential"]
            command = words[3:]
    return saves, command


def test_the_documented_offline_command_verifies_a_credential_on_another_installation(
    client, issued, centre_admin, settings, tmp_path, monkeypatch, capsys
):
    """An employer saves what the docs say, from the learner's portal, and runs the documented
    command on a copy of the portal whose own address is elsewhere: valid, and revoked after."""
    saves, command = documented_offline_steps()
    client.force_login(issued.registration.learner)
    credential = client.get(reverse("certification:certificate-credential", args=[issued.pk]))
    for name, path in saves:
        (tmp_path / name).write_bytes(client.get(path).content)
    documented_name = "QP-XXXXX-XXXXX-credential.json"
    assert documented_name in command
    (tmp_path / f"{issued.number}-credential.json").write_bytes(credential.content)
    args = [f"{issued.number}-credential.json" if a == documented_name else a for a in command]
    issuer, portal = issuer_id(), settings.PUBLIC_URL
    settings.PUBLIC_URL = "https://another-portal.example.net"  # the employer's installation
    monkeypatch.chdir(tmp_path)
    call_command("verify_credential", *args)
    out = capsys.readouterr().out
    assert f"The issuer is {issuer}." in out and "Valid:" in out
    assert "this portal" not in out
    certificate_revoke(certificate=issued, reason="Issued in error.", actor=centre_admin)
    status_file, status_path = next((name, path) for name, path in saves if "status" in path)
    settings.PUBLIC_URL = portal
    (tmp_path / status_file).write_bytes(client.get(status_path).content)
    with pytest.raises(SystemExit) as exit:
        call_command("verify_credential", *args)
    assert exit.value.code == 1 and REVOKED in capsys.readouterr().out


def test_the_command_refuses_a_did_document_naming_another_issuer_or_keys(
    client, issued, tmp_path, capsys
):
    credential = save_published(client, tmp_path, issued.registration.learner, issued)
    did, listed = tmp_path / "did.json", tmp_path / "status.jwt"
    document = json.loads(did.read_text())
    args = [str(credential), "--did", str(did), "--status-list", str(listed)]
    # Another portal's document (its id throughout), even listing our key: another issuer.
    did.write_text(json.dumps(document).replace(document["id"], "did:web:elsewhere.example"))
    with pytest.raises(SystemExit):
        call_command("verify_credential", *args)
    assert "another issuer" in capsys.readouterr().out
    # A key the document lists but not for assertions signs nothing for the issuer.
    did.write_text(json.dumps(document | {"assertionMethod": []}))
    with pytest.raises(CommandError, match="is not the issuer's DID document"):
        call_command("verify_credential", *args)
    did.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="is not the DID document's id"):
        call_command("verify_credential", *args, "--issuer", "did:web:elsewhere.example")


DEEP = "[" * 30_000 + "]" * 30_000  # 60 KB: within it, and far deeper than json can read


def test_deeply_nested_json_is_not_a_credential_on_the_page_or_the_command(
    client, issued, tmp_path, capsys
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("certification:verify-credential")
    for data in (
        {"credential": DEEP},
        {"credential": '{"a":' * 10_000 + "1" + "}" * 10_000},
        {"upload": SimpleUploadedFile("c.json", DEEP.encode(), content_type="application/json")},
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert escape(NOT_A_CREDENTIAL) in response.content.decode()
    # A token whose header is nested that deep: not a credential either.
    with pytest.raises(Unverified, match=re.escape(NOT_A_CREDENTIAL)):
        here(f"{b64(DEEP.encode())}.{b64(b'{}')}.c2ln")
    credential = save_published(client, tmp_path, issued.registration.learner, issued)
    did, listed, jwks = tmp_path / "did.json", tmp_path / "status.jwt", tmp_path / "jwks.json"
    bad = tmp_path / "bad.json"
    bad.write_text(DEEP)
    with pytest.raises(SystemExit) as exit:
        call_command("verify_credential", str(bad), "--did", str(did), "--status-list", str(listed))
    assert exit.value.code == 1
    assert f"Not valid: {NOT_A_CREDENTIAL}" in capsys.readouterr().out
    # A saved DID document, key set or status list that is nothing of the kind: a sentence.
    with pytest.raises(CommandError, match="is not the issuer's DID document"):
        call_command(
            "verify_credential", str(credential), "--did", str(bad), "--status-list", str(listed)
        )
    jwks.write_text('{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "%%%"}]}')
    with pytest.raises(CommandError, match="is not a JWK Set"):
        call_command(
            "verify_credential",
            str(credential),
            "--jwks",
            str(jwks),
            "--issuer",
            "did:web:x",
            "--status-list",
            str(listed),
        )
    with pytest.raises(SystemExit):
        call_command(
            "verify_credential", str(credential), "--did", str(did), "--status-list", str(bad)
        )
    assert "status list cannot be trusted" in capsys.readouterr().out


def test_the_status_list_encoding_is_the_specification_s():
    encoded = status_list.encode([0, 9, status_list.BLOCK - 1], status_list.BLOCK)
    bits = status_list.decode(encoded)
    assert len(bits) == status_list.BLOCK // 8
    assert bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01  # left-most bit first
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert status_list.size_for(status_list.BLOCK) == 2 * status_list.BLOCK
    with pytest.raises(status_list.BadStatusList):
        status_list.decode("zabc")


def test_the_key_command_rotates_and_retires_keeping_old_credentials_verifiable(
    issued, settings, tmp_path
):
    settings.CREDENTIAL_KEYS_FILE = tmp_path / "keys.json"
    call_command("credential_key", "ensure")
    first = keys.signing_key().kid
    call_command("credential_key", "ensure")  # there is one: nothing changes
    assert [k["kid"] for k in keys.public_jwks()["keys"]] == [first]
    before = token_of(credential_document(issued))
    call_command("credential_key", "new")
    second = keys.signing_key().kid
    assert second != first
    with pytest.raises(CommandError):
        call_command("credential_key", "retire", second)  # the last private key: refused
    call_command("credential_key", "retire", first)
    published = keys.public_jwks()["keys"]
    assert [k["kid"] for k in published] == [first, second]
    assert all("d" not in k for k in published)
    stored = json.loads((tmp_path / "keys.json").read_text())["keys"]
    assert "d" not in stored[0] and "d" in stored[1]
    assert here(before)  # signed by the retired key, still verifies
    assert jws.extract_compact(sign({}).encode()).headers()["kid"] == second


def test_a_withheld_claim_has_no_credential_and_none_of_it_verifies(client, issued, learner):
    text = json.dumps(credential_document(issued))
    Certificate.objects.filter(pk=issued.pk).update(release=Release.AWAITING)
    client.force_login(learner)
    url = reverse("certification:certificate-credential", args=[issued.pk])
    assert client.get(url).status_code == 404
    with pytest.raises(Unverified, match=re.escape(NO_CERTIFICATE)):
        verify_here(text)


def test_the_status_list_costs_the_same_queries_however_many_are_ended(
    issued, centre_admin, django_assert_num_queries
):
    with django_assert_num_queries(2):
        status_list_credential()
    latest = issued
    for _ in range(3):  # three replacements in a row, then the last one revoked
        latest = certificate_replace(certificate=latest, reason="Lost.", actor=centre_admin)
    certificate_revoke(certificate=latest, reason="Issued in error.", actor=centre_admin)
    with django_assert_num_queries(2):
        token = status_list_credential()
    subject = json.loads(jws.extract_compact(token.encode()).payload)["credentialSubject"]
    bits = status_list.decode(subject["encodedList"])
    every = list(Certificate.objects.values_list("pk", flat=True))
    assert len(every) == 4
    assert all(status_list.is_set(bits, pk) for pk in every)
