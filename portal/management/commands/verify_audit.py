from typing import Any

from django.core.management.base import BaseCommand

from portal.audit import audit_verify


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exit 1 naming the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        count, broken = audit_verify()
        if broken is None:
            self.stdout.write(self.style.SUCCESS(f"The audit chain is intact: {count} entries."))
            return
        self.stdout.write(
            self.style.ERROR(
                f"The audit chain is broken at entry {broken.entry_id}: {broken.reason}."
            )
        )
        raise SystemExit(1)
