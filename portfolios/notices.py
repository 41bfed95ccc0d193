"""What the portfolio services tell people (portal.notifications): each function is called by
one service inside its transaction, after its audit entry, and makes that event's notices."""

from __future__ import annotations

from django.urls import reverse

from portal.models import AuditEntry, NotificationKind, RoleKind, User
from portal.notifications import Notice, notify
from portfolios.models import Evidence, EvidenceComment, Registration

QUOTED = 200  # characters of the comment the notification quotes


def comment_added(comment: EvidenceComment, evidence: Evidence, registration: Registration) -> None:
    """The other person in the conversation: the assessor when the learner writes, the learner
    when the assessor does (nobody when the registration has no assessor yet)."""
    if comment.author_kind == RoleKind.LEARNER:
        recipient, kind = registration.assessor_id, RoleKind.ASSESSOR
    else:
        recipient, kind = registration.learner_id, RoleKind.LEARNER
    if recipient is None:
        return
    words = comment.text if len(comment.text) <= QUOTED else comment.text[: QUOTED - 1] + "…"
    notice = Notice(
        recipient_id=recipient,
        kind=NotificationKind.EVIDENCE_COMMENT,
        key=f"comment:{comment.pk}",
        text=f"{comment.author.full_name} commented on “{evidence.title}”: {words}",
        link=reverse("portfolios:evidence-detail", args=[evidence.pk]) + "#comments",
        centre_id=registration.centre_id,
        role_kind=kind,
    )
    notify([notice])


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


def registration_withdrawn(registration: Registration, reason: str, actor: User) -> None:
    """The learner: their centre withdrew their registration, and why."""
    text = (
        f"{actor.full_name} withdrew your registration on {registration.qualification.title} "
        f"at {registration.centre}: {reason}"
    )
    notice = Notice(
        recipient_id=registration.learner_id,
        kind=NotificationKind.WITHDRAWN,
        key=f"registration:{registration.pk}:withdrawn",
        text=text,
        link=reverse("portfolios:registration-detail", args=[registration.pk]),
        centre_id=registration.centre_id,
        role_kind=RoleKind.LEARNER,
    )
    notify([notice])
