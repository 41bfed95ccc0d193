"""The tamper-evident audit log, which every app writes through: append, and verify the chain.

Each entry names an action (`evidence.added`), a subject (`evidence:42`) and what changed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from portal.models import AuditEntry, User

GENESIS = "0" * 64


def entry_hash(entry: AuditEntry) -> str:
    """The hash of an entry's content and of the entry before it."""
    content = {
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "action": entry.action,
        "subject": entry.subject,
        "before": entry.before,
        "after": entry.after,
        "previous": entry.previous_hash,
    }
    canonical = json.dumps(content, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def plain(value: Any) -> Any:
    """JSON as it will be stored and read back, so the hash is computed on the same data."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_append(
    *, actor: User | None, action: str, subject: str, before: Any = None, after: Any = None
) -> AuditEntry:
    """Add an entry at the end of the chain. Must run inside the caller's transaction."""
    with transaction.atomic():
        last = AuditEntry.objects.select_for_update().order_by("-pk").first()
        entry = AuditEntry(
            at=timezone.now(),
            actor=actor,
            action=action,
            subject=subject,
            before=plain(before),
            after=plain(after),
            previous_hash=last.hash if last else GENESIS,
        )
        entry.hash = entry_hash(entry)
        entry.save()
    return entry


@dataclass(frozen=True)
class Break:
    entry_id: int
    reason: str


def audit_verify() -> tuple[int, Break | None]:
    """Walk the chain; return how many entries were checked and the first broken link."""
    previous, count = GENESIS, 0
    for entry in AuditEntry.objects.order_by("pk").iterator():
        count += 1
        if entry.previous_hash != previous:
            return count, Break(
                entry.pk, "it does not follow the entry before it (one was removed or altered)"
            )
        if entry_hash(entry) != entry.hash:
            return count, Break(entry.pk, "its content no longer matches its hash (it was edited)")
        previous = entry.hash
    return count, None
