"""Verify a credential file offline (decision 56), against a saved copy of the portal's public
keys and of its revocation list; nothing is fetched. docs/open-credentials.md says how to save
them."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from certification.credentials import Unverified, identity_matches, issuer_id, verify_credential
from certification.keys import key_set_from


def read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Cannot read the {what} {path}: {error}") from error


class Command(BaseCommand):
    help = (
        "Verify an Open Badges 3.0 credential file offline: its signature against a saved JWKS, "
        "its issuer, and its status in a saved revocation list. Exits 1 if it is not valid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("credential", help="the credential file (JSON, or the VC-JWT)")
        parser.add_argument("--jwks", required=True, help="the saved /.well-known/jwks.json")
        parser.add_argument(
            "--status-list", required=True, help="the saved /credentials/status/revocation"
        )
        parser.add_argument(
            "--issuer", default="", help="the issuer expected (default: this portal's did:web)"
        )
        parser.add_argument(
            "--name", default="", help="also check the holder's name, exactly as printed"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key_set = key_set_from(json.loads(read(options["jwks"], "key set")))
        except (ValueError, KeyError, TypeError) as error:
            raise CommandError(f"{options['jwks']} is not a JWK Set: {error}") from error
        issuer = options["issuer"] or issuer_id()
        try:
            verified = verify_credential(
                read(options["credential"], "credential"),
                key_set,
                issuer,
                read(options["status_list"], "status list").strip(),
            )
        except Unverified as why:
            self.stdout.write(self.style.ERROR(f"Not valid: {why}"))
            raise SystemExit(1) from why
        for line in verified.passed:
            self.stdout.write(line)
        if options["name"]:
            if not identity_matches(verified.credential, "name", options["name"]):
                self.stdout.write(self.style.ERROR("Not valid: it was issued to someone else."))
                raise SystemExit(1)
            self.stdout.write("It was issued to that name.")
        achievement = verified.credential["credentialSubject"]["achievement"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Valid: {achievement['name']} ({achievement.get('humanCode', '')}), "
                f"issued {verified.credential.get('validFrom', '')}."
            )
        )
