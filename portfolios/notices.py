"""What the portfolio services tell people (portal.notifications): each function is called by
one service inside its transaction, after its audit entry, and makes that event's notices."""

from __future__ import annotations

from django.urls import reverse

from portal.models import AuditEntry, NotificationKind, RoleKind, User
from portal.notifications import Notice, notify
from portfolios.models import Evidence, EvidenceComment, QuestionSet, Registration

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


def record_acknowledged(evidence: Evidence, actor: User) -> None:
    """The assessor who wrote the record: the learner agrees it is a true record."""
    registration = evidence.registration
    notice = Notice(
        recipient_id=evidence.created_by_id,
        kind=NotificationKind.RECORD_ACKNOWLEDGED,
        key=f"evidence:{evidence.pk}:acknowledged",
        text=f"{actor.full_name} agreed that your record “{evidence.title}” is a true record.",
        link=reverse("portfolios:evidence-detail", args=[evidence.pk]),
        centre_id=registration.centre_id,
        role_kind=RoleKind.ASSESSOR,
    )
    notify([notice])


def questions_set(question_set: QuestionSet, actor: User) -> None:
    """The learner: their assessor has set them questions to answer."""
    registration = question_set.registration
    notice = Notice(
        recipient_id=registration.learner_id,
        kind=NotificationKind.QUESTIONS_SET,
        key=f"question_set:{question_set.pk}:set",
        text=f"{actor.full_name} set you questions to answer: “{question_set.title}”.",
        link=reverse("portfolios:question-set-detail", args=[question_set.pk]),
        centre_id=registration.centre_id,
        role_kind=RoleKind.LEARNER,
    )
    notify([notice])


def questions_answered(question_set: QuestionSet, evidence: Evidence, actor: User) -> None:
    """The assessor who set the questions: the answers are in, as evidence to review."""
    registration = question_set.registration
    notice = Notice(
        recipient_id=question_set.set_by_id,
        kind=NotificationKind.QUESTIONS_ANSWERED,
        key=f"question_set:{question_set.pk}:answered",
        text=f"{actor.full_name} answered your questions “{question_set.title}”.",
        # The review page is the assessment app's (above this one): reached by its name.
        link=reverse("assessment:evidence-review", args=[evidence.pk]),
        centre_id=registration.centre_id,
        role_kind=RoleKind.ASSESSOR,
    )
    notify([notice])
