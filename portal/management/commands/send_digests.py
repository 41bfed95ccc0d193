from typing import Any

from django.core.management.base import BaseCommand

from portal.notifications import digests_send


class Command(BaseCommand):
    help = (
        "Send the daily digest now to everyone who chose one (what beat does at DIGEST_HOUR): "
        "their notifications neither read nor e-mailed yet, once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # ./run.sh runs tasks in-process and starts no beat: this is how a digest goes there.
        sent = digests_send()
        people = "person" if sent == 1 else "people"
        self.stdout.write(f"Daily digests sent to {sent} {people}.")
