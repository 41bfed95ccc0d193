"""What the EQA's decisions tell people (portal.notifications): a withheld claim released or
held, to the centre's admins, who claimed it and answer for it."""

from __future__ import annotations

from django.urls import reverse

from certification.models import Certificate
from portal.models import NotificationKind, Role, RoleKind
from portal.notifications import Notice, notify

RELEASED = "The EQA released the claim of {learner}'s {kind}: it is issued, number {number}."
HELD = "The EQA held the claim of {learner}'s {kind} back: “{reason}”"


def claim_decided(certificate: Certificate) -> None:
    """Every centre admin of the learner's centre, once per decision (a claim held twice, for
    two reasons, is told twice; the same decision never)."""
    registration = certificate.registration
    released = not certificate.hold_reason
    decided_at = certificate.release_decided_at
    stamp = decided_at.isoformat() if decided_at else ""
    facts = {
        "learner": certificate.snapshot.get("learner_name") or registration.learner.full_name,
        "kind": certificate.get_kind_display().lower(),
        "number": certificate.number,
        "reason": certificate.hold_reason,
    }
    admins = Role.objects.filter(centre_id=registration.centre_id, kind=RoleKind.CENTRE_ADMIN)
    what = "released" if released else f"held:{stamp}"
    notify(
        Notice(
            recipient_id=person,
            kind=NotificationKind.CLAIM_RELEASED if released else NotificationKind.CLAIM_HELD,
            key=f"certificate:{certificate.pk}:{what}",
            text=(RELEASED if released else HELD).format(**facts),
            link=reverse("certification:certificate-detail", args=[certificate.pk]),
            centre_id=registration.centre_id,
            role_kind=RoleKind.CENTRE_ADMIN,
        )
        for person in admins.values_list("user_id", flat=True)
    )
