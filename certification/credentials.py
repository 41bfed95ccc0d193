"""Certificates as Open Badges 3.0 credentials (issue 21, decision 56).

Each let-out certificate, full or unit, is also an `OpenBadgeCredential` (W3C Verifiable
Credentials data model 2.0) secured as a VC-JWT: the credential is the JWT's claims, signed
with the portal's Ed25519 key (`keys.py`) by joserfc. It is made from the certificate's
snapshot, so the same certificate always gives the same credential. The portal is the issuer;
the awarding organisation is the achievement's creator and the centre the subject's source,
as the certificate's own issuer line says. The learner is named only by salted SHA-256 hashes
(OB 3.0 IdentityObject) of the name and learner number printed on the certificate.

Revoked and replaced certificates are set in the published Bitstring Status List
(`status_list.py`), itself a credential signed the same way. `verify_credential` checks a
pasted or uploaded credential against keys and a status list, here or offline.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import string
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.crypto import salted_hmac
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from certification import keys, status_list
from certification.models import Certificate, Kind

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
MEDIA_TYPE = "application/vc+jwt"
ENVELOPE_PREFIX = f"data:{MEDIA_TYPE},"
PURPOSE = "revocation"


def url(name: str, *args: Any) -> str:
    return settings.PUBLIC_URL + reverse(name, args=args)


def issuer_id() -> str:
    """did:web of the host the portal is reached at (its DID document: /.well-known/did.json)."""
    host = settings.PUBLIC_URL.split("://", 1)[-1].split("/", 1)[0]
    return "did:web:" + host.replace(":", "%3A")


def status_list_url() -> str:
    return url("certification:credential-status")


def urn(*parts: str) -> str:
    """A stable identifier for something the portal names but publishes no page for."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, '/'.join((settings.PUBLIC_URL, *parts)))}"


def identity_hash(value: str, salt: str) -> str:
    """OB 3.0 IdentityHash: the algorithm, "$", and the hash of the value with the salt
    appended."""
    return "sha256$" + hashlib.sha256((value + salt).encode()).hexdigest()


def salt_of(certificate: Certificate) -> str:
    # The same for every download of one certificate; unguessable without the SECRET_KEY.
    return salted_hmac("certification.credentials.salt", certificate.number).hexdigest()[:32]


def units_narrative(snapshot: dict[str, Any]) -> str:
    lines = [
        f"- {u['reference']} {u['title']}"
        + (f" (level {u['level']}" if u.get("level") else " (")
        + (f", {u['credits']} credits)" if u.get("credits") else ")")
        + (" (recognition of prior learning)" if u.get("rpl") else "")
        for u in snapshot.get("units", [])
    ]
    exempt = [f"- {u['reference']} {u['title']} (exempt)" for u in snapshot.get("exempt_units", [])]
    return "\n".join(["Units achieved:", *lines, *exempt])


def has_credit_value(snapshot: dict[str, Any]) -> bool:
    """Whether the units certified carry credit at all: a CVQ's units have none, so its
    credential states no credits rather than claim 0 (decision 56, amended)."""
    return any(u.get("credits") for u in snapshot.get("units", []))


UNIT_ACHIEVED = "Achieved"
UNIT_BY_RPL = "Achieved through recognition of prior learning"
UNIT_EXEMPT = "Exempt"


def unit_results(
    certificate: Certificate, snapshot: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each unit on the certificate as OB 3.0 structures: a ResultDescription in the achievement
    (what the unit is) and a Result in the subject (that the learner achieved it, by RPL, or is
    exempt), linked by the description's id (decision 56, amended)."""
    number = snapshot["qualification_number"]
    descriptions: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    rows = [(u, UNIT_BY_RPL if u.get("rpl") else UNIT_ACHIEVED) for u in snapshot.get("units", [])]
    rows += [(u, UNIT_EXEMPT) for u in snapshot.get("exempt_units", [])]
    for unit, how in rows:
        ident = urn("qualification", number, certificate.kind, "unit", unit["reference"])
        exempt = how == UNIT_EXEMPT
        descriptions.append(
            {
                "id": ident,
                "type": ["ResultDescription"],
                "name": f"{unit['reference']} {unit['title']}",
                # An achieved unit is a completion status; an exemption is not one of OB 3.0's
                # statuses, so it is a plain result whose value says so.
                "resultType": "Result" if exempt else "Status",
                "allowedValue": [UNIT_EXEMPT] if exempt else [UNIT_ACHIEVED, UNIT_BY_RPL],
            }
        )
        result = {"type": ["Result"], "resultDescription": ident, "value": how}
        results.append(result if exempt else result | {"status": "Completed"})
    return descriptions, results


def stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def credential_for(certificate: Certificate) -> dict[str, Any]:
    """The OpenBadgeCredential of a certificate, from its snapshot only."""
    s = certificate.snapshot
    full = certificate.kind == Kind.FULL
    title = s["qualification_title"]
    level = s.get("level")
    salt = salt_of(certificate)
    credits = s.get("credits") or 0
    counted = has_credit_value(s)
    descriptions, results = unit_results(certificate, s)
    ao = s.get("awarding_organisation") or "the awarding organisation"
    what = "Record of achievement" if full else "Record of units achieved"
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": url("certification:verify-number", certificate.number),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{what}: {title}",
        "description": certificate.issuer_line,
        "issuer": {
            "id": issuer_id(),
            "type": ["Profile"],
            "name": settings.CREDENTIAL_ISSUER_NAME,
            "url": settings.PUBLIC_URL + "/",
        },
        # When it was let out: its claim under Direct Claims Status, the EQA's release otherwise.
        "validFrom": stamp(certificate.let_out_at or certificate.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": identity_type,
                    "hashed": True,
                    "identityHash": identity_hash(value, salt),
                    "salt": salt,
                }
                for identity_type, value in (
                    ("name", s["learner_name"]),
                    ("systemId", certificate.learner_identifier),
                )
            ],
            "achievement": {
                "id": urn("qualification", s["qualification_number"], certificate.kind),
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": title if full else f"Units of {title}",
                "description": (
                    f"{'The qualification' if full else 'Units of'} {title} "
                    f"({s['qualification_number']})"
                    + (f", level {level}" if level else "")
                    + f", awarded by {ao}."
                ),
                "humanCode": s["qualification_number"],
                "criteria": {"narrative": units_narrative(s)},
                **({"creditsAvailable": credits} if counted else {}),
                "resultDescription": descriptions,
                "tag": [f"Level {level}"] if level else [],
                "creator": {
                    "id": urn("awarding-organisation", ao),
                    "type": ["Profile"],
                    "name": ao,
                },
            },
            **({"creditsEarned": credits} if counted else {}),
            "result": results,
            # The centre assessed the achievement on the portal's behalf (OB 3.0 `source`).
            "source": {
                "id": urn("centre", str(certificate.centre_id)),
                "type": ["Profile"],
                "name": s.get("centre") or "the centre",
            },
        },
        "credentialStatus": {
            "id": f"{status_list_url()}#{certificate.pk}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": PURPOSE,
            "statusListIndex": str(certificate.pk),
            "statusListCredential": status_list_url(),
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def sign(claims: dict[str, Any]) -> str:
    key = keys.signing_key()
    header = {"alg": keys.ALGORITHM, "kid": key.kid, "typ": "vc+jwt", "cty": "vc"}
    payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False)
    with keys.quiet_eddsa():
        return jws.serialize_compact(header, payload, key, algorithms=[keys.ALGORITHM])


def envelope(token: str) -> dict[str, Any]:
    """The JSON the learner downloads: the VC-JWT in a VC 2.0 EnvelopedVerifiableCredential."""
    return {
        "@context": VC_CONTEXT,
        "id": ENVELOPE_PREFIX + token,
        "type": "EnvelopedVerifiableCredential",
    }


def credential_document(certificate: Certificate) -> dict[str, Any]:
    return envelope(sign(credential_for(certificate)))


def revoked_indices() -> tuple[list[int], int]:
    """The indices set in the list (revoked or replaced certificates) and the highest index
    given so far: two queries, whatever the number of certificates."""
    ended = Q(revoked_at__isnull=False) | Q(replaced_by__isnull=False)
    indices = list(Certificate.objects.filter(ended).values_list("pk", flat=True))
    highest = Certificate.objects.aggregate(m=Max("pk"))["m"] or 0
    return indices, highest


def status_list_credential() -> str:
    """The revocation list as a signed BitstringStatusListCredential (a VC-JWT), valid for
    CREDENTIAL_STATUS_LIST_HOURS from now: a copy older than that is refused offline, so an old
    all-clear list cannot stand in for today's."""
    indices, highest = revoked_indices()
    now = timezone.now()
    lifetime = datetime.timedelta(hours=settings.CREDENTIAL_STATUS_LIST_HOURS)
    return sign(
        {
            "@context": [VC_CONTEXT],
            "id": status_list_url(),
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer_id(),
            "validFrom": stamp(now),
            "validUntil": stamp(now + lifetime),
            "credentialSubject": {
                "id": status_list_url() + "#list",
                "type": "BitstringStatusList",
                "statusPurpose": PURPOSE,
                "encodedList": status_list.encode(indices, status_list.size_for(highest)),
            },
        }
    )


def did_document() -> dict[str, Any]:
    did = issuer_id()
    methods = [
        {"id": f"{did}#{k['kid']}", "type": "JsonWebKey", "controller": did, "publicKeyJwk": k}
        for k in keys.public_jwks()["keys"]
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


REVOKED_NO_CREDENTIAL = (
    "This certificate was revoked on {date}, so it has no digital credential: a credential "
    "downloaded before now shows as revoked wherever it is checked."
)
REPLACED_NO_CREDENTIAL = (
    "This certificate was replaced by {number}, so it has no digital credential of its own: "
    "download the replacement's."
)


def no_credential_because(certificate: Certificate) -> str:
    """Why a certificate offers no credential to download, or "" if it offers one. A revoked or
    replaced certificate's bit is set in the status list: a credential signed for it now would
    be refused by every verifier, so none is signed."""
    if certificate.is_revoked:
        when = dateformat.format(timezone.localtime(certificate.revoked_at), "j F Y")
        return REVOKED_NO_CREDENTIAL.format(date=when)
    if certificate.is_replaced:
        return REPLACED_NO_CREDENTIAL.format(number=certificate.replaced_by.number)
    return ""


# Verification: the same checks on the page and on the command line.

NOT_A_CREDENTIAL = (
    "This is not a credential the portal issues: paste the credential file's contents (JSON) "
    "or the signed credential itself (three parts separated by dots)."
)
UNKNOWN_KEY = (
    "It was signed with a key the issuer does not publish ({kid}): it was not issued by that "
    "issuer, or the issuer revoked that key (one that may have leaked: nothing it signed counts, "
    "and the holder downloads the credential again), or the saved keys are out of date."
)
REVOKED_KEY = (
    "It was signed with the key {kid}, which the issuer revoked on {date} because it may have "
    "leaked: nothing that key signed counts. If the credential is yours, download it again from "
    "the portal."
)
BAD_SIGNATURE = (
    "The signature does not match: the credential was changed after it was signed, or was not "
    "signed by the issuer whose keys these are."
)
WRONG_ISSUER = (
    "The credential names another issuer ({issuer}), not the one whose keys these are ({ours})."
)
SIGNED_BY = "The signature verifies with the issuer's published key {kid}."
ISSUER_IS = "The issuer is {issuer}."
NOT_AN_OPEN_BADGE = "The credential is not an Open Badges 3.0 credential (OpenBadgeCredential)."
NO_STATUS = "The credential does not name the issuer's status list, so its status is unknown."
BAD_LIST = "The status list cannot be trusted: {why}"
LIST_UNDATED = "it states no validUntil (it is older than the lists the issuer signs now)."
LIST_EXPIRED = "The status list expired on {until}: fetch a fresh one."
REVOKED = "The status list says this credential is revoked (or replaced): it is no longer valid."
NO_CERTIFICATE = "No issued certificate of this portal matches the credential."
MISMATCH = "The credential does not match the certificate the portal issued ({number})."


class Unverified(Exception):
    """Why a credential failed, in words for whoever checks it; `found`, what was learnt before
    (the status list's dates, when it was read)."""

    found: Verified | None = None


@dataclass
class Verified:
    credential: dict[str, Any]
    kid: str
    passed: list[str] = field(default_factory=list)
    # The status list checked against: when it was signed and until when it counts.
    list_valid_from: str = ""
    list_valid_until: str = ""


BOM = "\ufeff"


def bare(token: str) -> str:
    """A compact token as saved or pasted: without a leading BOM (Windows Notepad) or the line
    breaks a mail program wraps it with; no space belongs in one."""
    return "".join(token.replace("\x00", "").strip().removeprefix(BOM).split())


def token_from(text: str) -> str:
    """The compact VC-JWT in what was pasted or uploaded: the downloaded JSON envelope, or the
    token itself."""
    text = text.replace("\x00", "").strip().removeprefix(BOM).strip()  # a BOM: Windows Notepad
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as error:  # nested too deep to be a credential
            raise Unverified(NOT_A_CREDENTIAL) from error
        inner = document.get("id") if isinstance(document, dict) else None
        if not isinstance(inner, str) or not inner.startswith(ENVELOPE_PREFIX):
            raise Unverified(NOT_A_CREDENTIAL)
        text = inner[len(ENVELOPE_PREFIX) :]
    else:
        text = bare(text)
    parts = text.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise Unverified(NOT_A_CREDENTIAL)
    return text


def checked_jwt(
    token: str, key_set: KeySet, withdrawn: dict[str, str] | None = None
) -> tuple[dict[str, Any], str]:
    """The claims of a VC-JWT whose signature one of the keys verifies, and the key's id.
    `withdrawn`: the kids of keys the issuer revoked and when, known only on the portal."""
    try:
        with keys.quiet_eddsa():
            header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError, TypeError, RecursionError) as error:
        raise Unverified(NOT_A_CREDENTIAL) from error
    kid = header.get("kid")
    if header.get("alg") not in keys.ACCEPTED_ALGORITHMS or not isinstance(kid, str):
        raise Unverified(NOT_A_CREDENTIAL)
    if not any(k.kid == kid for k in key_set.keys):
        if withdrawn and kid in withdrawn:
            raise Unverified(REVOKED_KEY.format(kid=kid, date=withdrawn[kid]))
        raise Unverified(UNKNOWN_KEY.format(kid=kid))
    try:
        with keys.quiet_eddsa():
            signed = jws.deserialize_compact(token, key_set, algorithms=keys.ACCEPTED_ALGORITHMS)
    except (JoseError, ValueError, TypeError, RecursionError) as error:
        raise Unverified(BAD_SIGNATURE) from error
    try:
        claims = json.loads(signed.payload)
    except (ValueError, RecursionError) as error:
        raise Unverified(NOT_A_CREDENTIAL) from error
    if not isinstance(claims, dict):
        raise Unverified(NOT_A_CREDENTIAL)
    return claims, kid


def issuer_of(claims: dict[str, Any]) -> Any:
    issuer = claims.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def list_dates(listed: dict[str, Any], found: Verified) -> None:
    """The list's validFrom and validUntil into `found`; refused when it has expired (or never
    says until when it counts: every list the portal signs does)."""
    found.list_valid_from = str(listed.get("validFrom", ""))
    until = listed.get("validUntil")
    try:
        ends = datetime.datetime.fromisoformat(str(until).replace("Z", "+00:00"))
        if ends.tzinfo is None:
            raise ValueError("no time zone")
    except ValueError as error:
        raise Unverified(BAD_LIST.format(why=LIST_UNDATED)) from error
    found.list_valid_until = str(until)
    if ends <= timezone.now():
        expired = Unverified(LIST_EXPIRED.format(until=until))
        expired.found = found  # its dates are said too
        raise expired


def revoked_in(
    list_token: str, key_set: KeySet, issuer: str, status: dict[str, Any], found: Verified
) -> bool:
    """Whether the credential's bit is set in the status list (a signed credential itself)."""
    try:
        listed, _ = checked_jwt(bare(list_token), key_set)
    except Unverified as why:
        raise Unverified(BAD_LIST.format(why=why)) from why
    subject = listed.get("credentialSubject")
    if (
        issuer_of(listed) != issuer
        or listed.get("id") != status.get("statusListCredential")
        or not isinstance(subject, dict)
        or subject.get("statusPurpose") != status.get("statusPurpose")
    ):
        raise Unverified(BAD_LIST.format(why="it is not the list the credential names."))
    list_dates(listed, found)
    try:
        bits = status_list.decode(subject.get("encodedList", ""))
        return status_list.is_set(bits, int(status["statusListIndex"]))
    except (status_list.BadStatusList, ValueError, TypeError, KeyError) as error:
        raise Unverified(BAD_LIST.format(why=error)) from error


def verify_credential(
    text: str,
    key_set: KeySet,
    issuer: str,
    list_token: str,
    withdrawn: dict[str, str] | None = None,
) -> Verified:
    """Signature, issuer and status of a credential; raises Unverified with the first failure."""
    claims, kid = checked_jwt(token_from(text), key_set, withdrawn)
    found = Verified(claims, kid, [SIGNED_BY.format(kid=kid)])
    types = claims.get("type")
    if not isinstance(types, list) or "OpenBadgeCredential" not in types:
        raise Unverified(NOT_AN_OPEN_BADGE)
    if issuer_of(claims) != issuer:
        raise Unverified(WRONG_ISSUER.format(issuer=issuer_of(claims), ours=issuer))
    found.passed.append(ISSUER_IS.format(issuer=issuer))
    status = claims.get("credentialStatus")
    if (
        not isinstance(status, dict)
        or status.get("type") != "BitstringStatusListEntry"
        or status.get("statusPurpose") != PURPOSE
    ):
        raise Unverified(NO_STATUS)
    if revoked_in(list_token, key_set, issuer, status, found):
        revoked = Unverified(REVOKED)
        revoked.found = found
        raise revoked
    dated = f" (dated {found.list_valid_from})" if found.list_valid_from else ""
    found.passed.append(f"The status list{dated} does not list it as revoked or replaced.")
    return found


NOT_A_DID_DOCUMENT = (
    "{path} is not the issuer's DID document (/.well-known/did.json): it needs an id and "
    "assertion keys (verificationMethod with publicKeyJwk, named in assertionMethod)."
)


def issuer_from_did(document: Any) -> tuple[str, KeySet]:
    """The issuer a saved DID document names (its id) and the keys it lets sign for it: the
    verification methods it lists under assertionMethod, controlled by that id. Raises
    ValueError when the document is not such a thing."""
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        raise ValueError("no id")
    did = document["id"]
    asserting = document.get("assertionMethod") or []
    methods = document.get("verificationMethod") or []
    if not isinstance(asserting, list) or not isinstance(methods, list):
        raise ValueError("assertionMethod and verificationMethod must be lists")
    jwks = [
        m["publicKeyJwk"]
        for m in methods
        if isinstance(m, dict)
        and m.get("id") in asserting
        and m.get("controller", did) == did
        and isinstance(m.get("publicKeyJwk"), dict)
    ]
    if not jwks:
        raise ValueError("no assertion key")
    return did, keys.key_set_from({"keys": jwks})


def number_in(claims: dict[str, Any]) -> str:
    """The certificate number the credential's id ends with."""
    ident = claims.get("id")
    return ident.rstrip("/").rsplit("/", 1)[-1] if isinstance(ident, str) else ""


def verify_here(text: str) -> tuple[Verified, Certificate]:
    """The verification page's check: against the portal's own keys and status list now, and
    the credential equal to the one the issued certificate gives."""
    key_set = keys.key_set_from(keys.public_jwks())
    verified = verify_credential(
        text, key_set, issuer_id(), status_list_credential(), keys.revoked()
    )
    number = number_in(verified.credential)
    certificate = (
        Certificate.objects.filter(number=number)
        .select_related("replaced_by", "superseded_by", "centre")
        .first()
    )
    if certificate is None or certificate.is_withheld:
        raise Unverified(NO_CERTIFICATE)
    if verified.credential not in accepted_forms(certificate):
        raise Unverified(MISMATCH.format(number=certificate.number))
    verified.passed.append(f"It matches certificate {certificate.number} as issued.")
    return verified, certificate


def accepted_forms(certificate: Certificate) -> list[dict[str, Any]]:
    """The credentials the certificate gives now, and the forms the portal gave it earlier
    that a learner's download of then may hold: before 7 December 2026 (`first_form`), and,
    for a claim the EQA released, the claim's time as validFrom (the release's since then)."""
    now = credential_for(certificate)
    forms = [now, first_form(now)]
    claimed = stamp(certificate.issued_at)
    if now["validFrom"] != claimed:
        earlier = now | {"validFrom": claimed}
        forms += [earlier, first_form(earlier)]
    return forms


def first_form(credential: dict[str, Any]) -> dict[str, Any]:
    """The credential as the portal made it before 7 December 2026 (decision 56, amended):
    no unit results, and credits stated even where they were 0. A learner's download of then
    still matches the certificate as issued."""
    subject = dict(credential["credentialSubject"])
    achievement = dict(subject.pop("achievement"))
    subject.pop("result", None)
    achievement.pop("resultDescription", None)
    credits = achievement.get("creditsAvailable", 0)
    achievement["creditsAvailable"] = credits
    subject |= {"achievement": achievement, "creditsEarned": credits}
    return credential | {"credentialSubject": subject}


def name_forms(given: str) -> list[str]:
    """The forms of a name someone types to try against the hashed name: its spaces collapsed,
    as typed and in the usual capitalisations. The hash is of the name as printed, so the case
    cannot be folded in it; only these forms can be tried."""
    collapsed = " ".join(given.split())
    forms = [collapsed, collapsed.title(), string.capwords(collapsed), collapsed.upper()]
    forms.append(collapsed.lower())
    return list(dict.fromkeys(f for f in forms if f))


def name_matches(claims: dict[str, Any], given: str) -> bool:
    """Whether the hashed name is the given name, its spaces and (as far as `name_forms`
    goes) its case aside."""
    return any(identity_matches(claims, "name", form) for form in name_forms(given))


def identity_matches(claims: dict[str, Any], identity_type: str, value: str) -> bool:
    """Whether the credential's hashed identity of that type is of `value` (the name or learner
    number as printed on the certificate, exactly)."""
    subject = claims.get("credentialSubject")
    identifiers = subject.get("identifier") if isinstance(subject, dict) else None
    return any(
        isinstance(i, dict)
        and i.get("identityType") == identity_type
        and i.get("identityHash") == identity_hash(value, str(i.get("salt", "")))
        for i in (identifiers if isinstance(identifiers, list) else [])
    )
