"""Verify a credential file offline (decision 56), against a saved copy of the issuer's public
keys and of its revocation list; nothing is fetched. docs/open-credentials.md says how to save
them. The issuer is the one the saved DID document names (`--did`), or the portal whose key set
was saved (`--jwks` with `--issuer`): never this installation's own address, so an employer
checks another portal's credential with the same command."""

import json
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from certification.credentials import (
    NOT_A_DID_DOCUMENT,
    Unverified,
    Verified,
    issuer_from_did,
    name_matches,
    verify_credential,
)
from certification.keys import key_set_from

# Whatever a file holds, reading it ends in a sentence, never a traceback.
UNREADABLE = (ValueError, KeyError, TypeError, RecursionError, JoseError)
NEEDS_ISSUER = (
    "Say whose keys --jwks holds: --issuer with the portal's address (https://…) or did:web, "
    "or use --did with the saved did.json instead."
)
ISSUER_DIFFERS = "--issuer {issuer} is not the DID document's id ({did})."


def read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Cannot read the {what} {path}: {error}") from error


def did_web(issuer: str) -> str:
    """The did:web of a portal's address (https://host[:port]/…), or the did as given."""
    if "://" not in issuer:
        return issuer
    host = issuer.split("://", 1)[1].split("/", 1)[0]
    return "did:web:" + host.replace(":", "%3A")


class Command(BaseCommand):
    help = (
        "Verify an Open Badges 3.0 credential file offline: its signature against the issuer's "
        "saved DID document (or JWKS), its issuer, and its status in a saved revocation list. "
        "Exits 1 if it is not valid."
    )
    requires_system_checks: list[str] = []  # a verifier's tool: it needs no database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("credential", help="the credential file (JSON, or the VC-JWT)")
        keys = parser.add_mutually_exclusive_group(required=True)
        keys.add_argument("--did", help="the saved /.well-known/did.json (issuer and keys)")
        keys.add_argument("--jwks", help="the saved /.well-known/jwks.json (with --issuer)")
        parser.add_argument(
            "--status-list", required=True, help="the saved /credentials/status/revocation"
        )
        parser.add_argument(
            "--issuer",
            default="",
            help="the issuer: the portal's address or did:web (needed with --jwks)",
        )
        parser.add_argument(
            "--name",
            default="",
            help="also check the holder's name as printed (spaces and the usual capitalisations "
            "aside)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        issuer, key_set = self.issuer_and_keys(options)
        try:
            verified = verify_credential(
                read(options["credential"], "credential"),
                key_set,
                issuer,
                read(options["status_list"], "status list").strip(),
            )
        except Unverified as why:
            if why.found:
                self.stdout.write(status_list_date(why.found))
            self.fail(str(why))
        self.stdout.write(status_list_date(verified))
        for line in verified.passed:
            self.stdout.write(line)
        if options["name"]:
            if not name_matches(verified.credential, options["name"]):
                self.fail("it was issued to someone else.")
            self.stdout.write("It was issued to that name.")
        self.stdout.write(self.style.SUCCESS(valid_line(verified)))
        self.stdout.write(fresh_line(verified))

    def issuer_and_keys(self, options: dict[str, Any]) -> tuple[str, KeySet]:
        given = did_web(options["issuer"]) if options["issuer"] else ""
        if options["did"]:
            try:
                did, key_set = issuer_from_did(json.loads(read(options["did"], "DID document")))
            except UNREADABLE as error:
                raise CommandError(NOT_A_DID_DOCUMENT.format(path=options["did"])) from error
            if given and given != did:
                raise CommandError(ISSUER_DIFFERS.format(issuer=given, did=did))
            return did, key_set
        if not given:
            raise CommandError(NEEDS_ISSUER)
        try:
            return given, key_set_from(json.loads(read(options["jwks"], "key set")))
        except UNREADABLE as error:
            raise CommandError(f"{options['jwks']} is not a JWK Set of Ed25519 keys.") from error

    def fail(self, why: str) -> NoReturn:
        self.stdout.write(self.style.ERROR(f"Not valid: {why}"))
        raise SystemExit(1)


def status_list_date(verified: Verified) -> str:
    """The one place the saved status list's date is printed (an expired list is refused, its
    date in the reason)."""
    return (
        f"The status list is of {verified.list_valid_from} and counts until "
        f"{verified.list_valid_until}."
    )


def valid_line(verified: Verified) -> str:
    subject = verified.credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(achievement, dict):
        achievement = {}
    as_of = f"; not revoked as of the status list dated {verified.list_valid_from}"
    return (
        f"Valid: {achievement.get('name', '')} ({achievement.get('humanCode', '')}), "
        f"issued {verified.credential.get('validFrom', '')}"
        f"{as_of if verified.list_valid_from else ''}."
    )


def fresh_line(verified: Verified) -> str:
    """How fresh the check is: as the saved status list, never newer."""
    return (
        f"This check is only as fresh as the status list of {verified.list_valid_from}: a "
        "revocation after it is not known here: save the list again for a later answer."
    )
