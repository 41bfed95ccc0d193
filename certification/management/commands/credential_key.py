"""Make or rotate the portal's credential signing key (decision 56, docs/open-credentials.md).

`ensure` makes the key file with one key if there is none (docker compose's migrate step).
`new` adds a fresh Ed25519 key to the key file (making the file if there is none) and makes it
the one that signs from now on; every earlier key stays in the file, so its public part stays
published and the credentials it signed still verify. `retire KID` drops a key's private part
(it can sign no more) and keeps its public part published."""

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
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
        "retire an old one's private part (retire KID)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["new", "ensure", "retire"])
        parser.add_argument("kid", nargs="?", default="", help="retire: the key's kid")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(settings.CREDENTIAL_KEYS_FILE)
        found = json.loads(path.read_text()) if path.exists() else {"keys": []}
        kids = [k.get("kid") for k in found["keys"]]
        if options["action"] == "ensure" and found["keys"]:
            self.stdout.write(f"{path} holds {len(kids)} key(s): nothing to do.")
            return
        if options["action"] in ("new", "ensure"):
            kid = keys.new_key_id()
            if kid in kids:
                kid = f"{kid}-{len(kids) + 1}"
            key = OKPKey.generate_key("Ed25519", parameters={"kid": kid}, private=True)
            found["keys"].append(key.as_dict(private=True))
            path.parent.mkdir(parents=True, exist_ok=True)
            write(path, found)
            keys._load.cache_clear()
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
        keys._load.cache_clear()
        self.stdout.write(
            self.style.SUCCESS(f"{kid} can sign no more; its public key stays published.")
        )
