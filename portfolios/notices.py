"""What the portfolios services tell people (portal.notifications): called by one service
inside its transaction, after its audit entry."""

from __future__ import annotations

from django.urls import reverse

from portal.models import AuditEntry, NotificationKind, RoleKind, User
from portal.notifications import Notice, notify
from portfolios.models import Registration

GIVEN = "{actor} made you {learner}'s {what} on {title} at {centre}."
TAKEN = "{learner}'s {what} on {title} at {centre} is now someone else: they are no longer yours."


def allocation_changed(
    registration: Registration,
    before: dict[str, int | None],
    entry: AuditEntry,
    actor: User,
) -> None:
    """The learner's new assessor or IQA (their caseload has the learner now) and the one
    they replace (who no longer sees them), one notice each."""
    facts = {
        "actor": actor.full_name,
        "learner": registration.learner.full_name,
        "title": registration.qualification.title,
        "centre": registration.centre,
    }
    link = reverse("portfolios:registration-detail", args=[registration.pk])
    notices = []
    for field, what, kind in (
        ("assessor_id", "assessor", RoleKind.ASSESSOR),
        ("iqa_id", "IQA", RoleKind.IQA),
    ):
        old, new = before[field], getattr(registration, field)
        if old == new:
            continue
        for person, text, where in (
            (new, GIVEN, link),
            (old, TAKEN, reverse("home")),
        ):
            if person is not None:
                notices.append(
                    Notice(
                        recipient_id=person,
                        kind=NotificationKind.ALLOCATION_CHANGED,
                        key=f"allocation:{entry.pk}:{what}",
                        text=text.format(what=what, **facts),
                        link=where,
                        centre_id=registration.centre_id,
                        role_kind=kind,
                    )
                )
    notify(notices)
