"""Make or rotate the portal's credential signing key (decision 56, docs/open-credentials.md).

`ensure` makes the key file with one key if there is none (docker compose's migrate step).
`new` adds a fresh Ed25519 key to the key file (making the file if there is none) and makes it
the one that signs from now on; every earlier key stays in the file, so its public part stays
published and the credentials it signed still verify. `retire KID` drops a key's private part
(it can sign no more) and keeps its public part published: ordinary rotation. `revoke KID` is for
a key that may have leaked: its public part is published no more either, so nothing it signed
verifies, here or offline (the file keeps its kid and the date, so the portal can say why).
Credentials and the status list are signed at each download and fetch, so learners download
theirs again and the list is signed by the current key; revoking the key that signs now adds a
new one first."""

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from joserfc.jwk import OKPKey

from certification import keys


def write(path: Path, document: dict[str, Any]) -> None:
    """Written aside and moved into place, readable by its owner only."""
    aside = path.with_name(path.name + ".new")
    aside.write_text(json.dumps(document, indent=2))
    os.chmod(aside, 0o600)
    aside.replace(path)


class Command(BaseCommand):
    help = (
        "Add a new credential signing key (new), make one only if there is none (ensure), or "
        "retire an old one's private part (retire KID), or revoke a key that may have leaked "
        "(revoke KID: nothing it signed verifies any more)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["new", "ensure", "retire", "revoke"])
        parser.add_argument("kid", nargs="?", default="", help="retire, revoke: the key's kid")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(settings.CREDENTIAL_KEYS_FILE)
        found = json.loads(path.read_text()) if path.exists() else {"keys": []}
        kids = [k.get("kid") for k in found["keys"]]
        if options["action"] == "ensure" and found["keys"]:
            self.stdout.write(f"{path} holds {len(kids)} key(s): nothing to do.")
            return
        if options["action"] in ("new", "ensure"):
            kid = self.add_key(path, found, kids)
            self.stdout.write(
                self.style.SUCCESS(f"New signing key {kid} in {path}.")
                + " It signs from now on, unless CREDENTIAL_KEY_ID names another: restart the "
                "portal and its workers."
            )
            return
        kid = options["kid"]
        if kid not in kids:
            raise CommandError(
                f"No key {kid!r} in {path} (there are: {', '.join(map(str, kids))})."
            )
        if kid in keys.revoked():
            raise CommandError(f"{kid} was revoked on {keys.revoked()[kid]}: nothing to do.")
        if options["action"] == "revoke":
            self.revoke(path, found, kids, kid)
            return
        if kid == keys.signing_key().kid:
            raise CommandError(
                f"{kid} is the key that signs now: add a new one (or set CREDENTIAL_KEY_ID to "
                "another) first."
            )
        found["keys"] = [
            {k: v for k, v in entry.items() if k != "d"} if entry.get("kid") == kid else entry
            for entry in found["keys"]
        ]
        write(path, found)
        keys.forget()
        self.stdout.write(
            self.style.SUCCESS(f"{kid} can sign no more; its public key stays published.")
        )

    def add_key(self, path: Path, found: dict[str, Any], kids: list[Any]) -> str:
        kid = keys.new_key_id()
        if kid in kids:
            kid = f"{kid}-{len(kids) + 1}"
        key = OKPKey.generate_key("Ed25519", parameters={"kid": kid}, private=True)
        found["keys"].append(key.as_dict(private=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path, found)
        keys.forget()
        kids.append(kid)
        return kid

    def revoke(self, path: Path, found: dict[str, Any], kids: list[Any], kid: str) -> None:
        """Publish the key no more; keep its kid, public part and the date in the file."""
        if kid == settings.CREDENTIAL_KEY_ID:
            raise CommandError(
                f"CREDENTIAL_KEY_ID names {kid}: add a new key (new) and name it there first."
            )
        if kid == keys.signing_key().kid:
            self.stdout.write(
                f"{kid} signs now: a new key {self.add_key(path, found, kids)} signs from now on."
            )
        today = f"{timezone.now():%Y-%m-%d}"
        found["keys"] = [
            {k: v for k, v in entry.items() if k in ("kty", "crv", "x", "kid")}
            | {keys.REVOKED: today}
            if entry.get("kid") == kid
            else entry
            for entry in found["keys"]
        ]
        write(path, found)
        keys.forget()
        self.stdout.write(
            self.style.SUCCESS(f"{kid} is revoked: its public key is published no more,")
            + " so nothing it signed verifies, on the portal or offline against a did.json "
            f"fetched from now on. Restart the portal and its workers. Learners download their "
            f"credentials again (signed afresh by {keys.signing_key().kid}, as the status list "
            "is at each fetch); tell verifiers to fetch did.json and the status list again."
        )
