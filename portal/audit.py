"""The tamper-evident audit log, which every app writes through: append, and verify the chain.

Each entry names an action (`evidence.added`), a subject (`evidence:42`) and what changed, and
belongs to its centre's chain ([decision 12](../docs/decisions/0012-audit-chains.md))."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.models import AuditEntry, User

GENESIS = "0" * 64


def entry_hash(entry: AuditEntry) -> str:
    """The hash of an entry's content and of the entry before it in its chain."""
    content = {
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "action": entry.action,
        "subject": entry.subject,
        "before": entry.before,
        "after": entry.after,
        "previous": entry.previous_hash,
    }
    # Entries of the portal's chain (all written before chains were per centre) hash as they
    # always did; a centre's entry also seals which chain it belongs to. (A migration's
    # historical model of the entry, from before chains, has no centre at all.)
    centre_id = getattr(entry, "centre_id", None)
    if centre_id is not None:
        content["centre"] = centre_id
    canonical = json.dumps(content, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def plain(value: Any) -> Any:
    """JSON as it will be stored and read back, so the hash is computed on the same data."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


# The advisory lock's first key says "the audit chains"; the second is the chain (a centre id).
CHAIN_LOCKS = 0x41554454


def lock_chain(centre_id: int | None) -> None:
    """Hold the chain until the transaction ends, so appends to it take turns.

    A write transaction takes its centre's chain first, before any row lock (several centres:
    in id order), so two transactions never hold each other's locks: a service that locked a
    row and only then appended could deadlock with one that appended and then locked that row.
    Taking it again later in the same transaction is free.

    On PostgreSQL a transaction-scoped advisory lock per chain: a transaction that waited for
    it then reads the chain's end afresh (each statement sees what was committed before it), so
    no two entries follow the same one. Locking the last row instead forked the chain: a waiter
    still saw the old last row. SQLite runs write transactions one at a time already
    (`transaction_mode` IMMEDIATE in the settings).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [CHAIN_LOCKS, (centre_id or 0) % 2**31]
            )


def chain_of(centre_id: int | None) -> QuerySet[AuditEntry]:
    if centre_id is None:
        return AuditEntry.objects.filter(centre__isnull=True)
    return AuditEntry.objects.filter(centre_id=centre_id)


def audit_append(
    *,
    actor: User | None,
    action: str,
    subject: str,
    centre_id: int | None,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Add an entry at the end of the centre's chain (`centre_id` None: the portal's chain).
    Must run inside the caller's transaction, which then holds that chain until it ends."""
    with transaction.atomic():
        lock_chain(centre_id)
        last = chain_of(centre_id).order_by("-pk").values_list("hash", flat=True).first()
        entry = AuditEntry(
            at=timezone.now(),
            centre_id=centre_id,
            actor=actor,
            action=action,
            subject=subject,
            before=plain(before),
            after=plain(after),
            previous_hash=last or GENESIS,
        )
        entry.hash = entry_hash(entry)
        entry.save()
    return entry


@dataclass(frozen=True)
class Break:
    entry_id: int
    reason: str


def audit_verify() -> tuple[int, Break | None]:
    """Walk every chain; return how many entries were checked and the first broken link."""
    previous: dict[int | None, str] = {}  # the last hash seen of each chain
    count = 0
    for entry in AuditEntry.objects.order_by("pk").iterator():
        count += 1
        if entry.previous_hash != previous.get(entry.centre_id, GENESIS):
            return count, Break(
                entry.pk, "it does not follow the entry before it (one was removed or altered)"
            )
        if entry_hash(entry) != entry.hash:
            return count, Break(entry.pk, "its content no longer matches its hash (it was edited)")
        previous[entry.centre_id] = entry.hash
    return count, None
