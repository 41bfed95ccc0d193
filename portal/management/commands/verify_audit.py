from typing import Any

from django.core.management.base import BaseCommand

from portal.audit import audit_verification


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exit 1 naming the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        verification = audit_verification()
        broken = verification.broken
        if broken is None:
            count = verification.count
            self.stdout.write(self.style.SUCCESS(f"The audit chain is intact: {count} entries."))
            if verification.redacted:
                # Said every time, so a redaction nobody expected is seen.
                self.stdout.write(
                    f"{verification.redacted} of them had personal data redacted, each under "
                    "a later entry's seal (action audit.redacted)."
                )
            return
        self.stdout.write(
            self.style.ERROR(
                f"The audit chain is broken at entry {broken.entry_id}: {broken.reason}."
            )
        )
        raise SystemExit(1)
