"""The events feed, drawn from the centre's audit chain: a unit achieved (the learner's
countersignature of its sign-off), a certificate issued (claimed, or a replacement), a
certificate revoked. The cursor is the audit entry's id: a centre's entries are appended one at
a time under its chain lock, so within one chain ids grow in the order entries commit, and no
event can appear later behind a cursor already read (decision 57)."""

from __future__ import annotations

from typing import Any

from assessment.models import UnitSignOff
from certification.models import Certificate
from portal.models import AuditEntry

ACTIONS = {
    "unit.learner_countersigned": "unit.achieved",
    "certificate.claimed": "certificate.issued",
    "certificate.replaced": "certificate.issued",
    "certificate.revoked": "certificate.revoked",
}


def ids_of(entries: list[AuditEntry], kind: str) -> set[int]:
    return {
        int(e.subject.split(":", 1)[1])
        for e in entries
        if e.subject.startswith(f"{kind}:") and e.subject.split(":", 1)[1].isdigit()
    }


def events_after(centre_id: int, after: int, limit: int) -> tuple[list[dict[str, Any]], str]:
    """Up to `limit` events of the centre after the cursor, and the cursor to ask with next
    (past the last entry read; the same one when nothing came). In four queries whatever the
    limit."""
    entries = list(
        AuditEntry.objects.filter(centre_id=centre_id, pk__gt=after, action__in=ACTIONS)
        .only("pk", "at", "action", "subject", "after")
        .order_by("pk")[:limit]
    )
    sign_offs = {
        o.pk: o
        for o in UnitSignOff.objects.filter(
            pk__in=ids_of(entries, "sign_off"), registration__centre_id=centre_id
        ).select_related("unit")
    }
    certificates = {
        c.pk: c
        for c in Certificate.objects.filter(
            pk__in=ids_of(entries, "certificate"), centre_id=centre_id
        )
    }
    replacements = {
        c.number: c
        for c in Certificate.objects.filter(
            centre_id=centre_id,
            number__in=[
                (e.after or {}).get("replacement", "")
                for e in entries
                if e.action == "certificate.replaced"
            ],
        )
    }
    events = []
    for e in entries:
        kind = ACTIONS[e.action]
        ident = e.subject.split(":", 1)[1]
        event: dict[str, Any] = {"cursor": str(e.pk), "type": kind, "at": e.at}
        if kind == "unit.achieved":
            sign_off = sign_offs.get(int(ident)) if ident.isdigit() else None
            if sign_off is None:
                continue
            event.update(registration=sign_off.registration_id, unit=sign_off.unit.code)
        else:
            certificate = certificates.get(int(ident)) if ident.isdigit() else None
            if e.action == "certificate.replaced":
                certificate = replacements.get((e.after or {}).get("replacement", ""))
            if certificate is None:
                continue
            event.update(registration=certificate.registration_id, certificate=certificate.number)
        events.append(event)
    return events, str(entries[-1].pk if entries else after)
