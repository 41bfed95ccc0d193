"""Watching the audit log: what one action wrote, apart from what the test's setup wrote."""

from django.db.models import QuerySet

from portal.models import AuditEntry


class AuditWatch:
    """The entries added to the audit log since this watch was made."""

    def __init__(self) -> None:
        last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
        self.mark = last or 0

    def entries(self) -> QuerySet[AuditEntry]:
        return AuditEntry.objects.filter(pk__gt=self.mark).order_by("pk")

    def actions(self) -> list[str]:
        return [entry.action for entry in self.entries()]
