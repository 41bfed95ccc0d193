"""The events feed, drawn from the centre's audit chain: a unit achieved (the learner's
countersignature of its sign-off, or RPL for it agreed), a unit exempted (its requirement met
without credit), a certificate issued (when it is let out: at its claim under
Direct Claims Status, or when the EQA releases a claim held for them, decision 29; and a
replacement), a certificate replaced (the old number, with the new one), a certificate revoked.
The cursor is the audit entry's id: a centre's entries are appended one at a time under its
chain lock, so within one chain ids grow in the order entries commit, and no event can appear
later behind a cursor already read (decision 57)."""

from __future__ import annotations

from typing import Any

from assessment.models import UnitSignOff
from certification.models import Certificate, Release
from portal.models import AuditEntry
from portfolios.models import PriorLearning

ACTIONS = {
    "unit.learner_countersigned": "unit.achieved",  # through: signed_off
    "prior_learning.rpl_recorded": "unit.achieved",  # through: rpl, when the RPL is agreed
    # Satisfies the unit's requirement without credit: not achieved (decision 50).
    "prior_learning.exemption_recorded": "unit.exempted",
    "certificate.claimed": "certificate.issued",  # only if not held for the EQA
    "certificate.released": "certificate.issued",
    "certificate.replaced": "certificate.replaced",  # and the replacement's certificate.issued
    "certificate.revoked": "certificate.revoked",
}
THROUGH = ["signed_off", "rpl"]
KINDS = [
    "unit.achieved",
    "unit.exempted",
    "certificate.issued",
    "certificate.replaced",
    "certificate.revoked",
]


def ids_of(entries: list[AuditEntry], kind: str) -> set[int]:
    return {
        int(e.subject.split(":", 1)[1])
        for e in entries
        if e.subject.startswith(f"{kind}:") and e.subject.split(":", 1)[1].isdigit()
    }


def events_after(centre_id: int, after: int, limit: int) -> tuple[list[dict[str, Any]], str]:
    """Up to `limit` events of the centre after the cursor, and the cursor to ask with next
    (past the last entry read; the same one when nothing came). The two events of one
    replacement share its entry's cursor and always come together, so a page of one may hold
    two. In four queries whatever the limit."""
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
    prior = {
        p.pk: p
        for p in PriorLearning.objects.filter(
            pk__in=ids_of(entries, "prior_learning"), registration__centre_id=centre_id
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
    events: list[dict[str, Any]] = []
    cursor = after
    for e in entries:
        found = events_of(e, sign_offs, certificates, replacements, prior)
        if events and len(events) + len(found) > limit:
            break
        events += found
        cursor = e.pk
    return events, str(cursor)


def events_of(
    entry: AuditEntry,
    sign_offs: dict[int, UnitSignOff],
    certificates: dict[int, Certificate],
    replacements: dict[str, Certificate],
    prior: dict[int, PriorLearning],
) -> list[dict[str, Any]]:
    """The events one audit entry makes: none, one, or two for a replacement."""
    ident = entry.subject.split(":", 1)[1]
    subject = int(ident) if ident.isdigit() else 0
    base = {"cursor": str(entry.pk), "at": entry.at}
    if entry.action == "unit.learner_countersigned":
        sign_off = sign_offs.get(subject)
        if sign_off is None:
            return []
        unit = sign_off.unit.code
        return [
            {
                **base,
                "type": "unit.achieved",
                "registration": sign_off.registration_id,
                "unit": unit,
                "through": "signed_off",
            }
        ]
    if entry.action.startswith("prior_learning."):
        record = prior.get(subject)
        if record is None:
            return []
        about = {**base, "registration": record.registration_id, "unit": record.unit.code}
        if entry.action == "prior_learning.rpl_recorded":
            return [{**about, "type": "unit.achieved", "through": "rpl"}]
        return [{**about, "type": "unit.exempted"}]
    certificate = certificates.get(subject)
    if certificate is None:
        return []
    about = {**base, "registration": certificate.registration_id}
    if entry.action == "certificate.claimed":
        # Held for the EQA: nothing is issued until they release it (certificate.released).
        if (entry.after or {}).get("release", Release.DIRECT) != Release.DIRECT:
            return []
        return [{**about, "type": "certificate.issued", "certificate": certificate.number}]
    if entry.action == "certificate.replaced":
        new = replacements.get((entry.after or {}).get("replacement", ""))
        if new is None:
            return []
        return [
            {
                **about,
                "type": "certificate.replaced",
                "certificate": certificate.number,
                "replacement": new.number,
            },
            {**about, "type": "certificate.issued", "certificate": new.number},
        ]
    return [{**about, "type": ACTIONS[entry.action], "certificate": certificate.number}]
