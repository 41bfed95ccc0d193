"""What the portfolio services tell people (portal.notifications): each function is called by
one service inside its transaction, after its audit entry, and makes that event's notices."""

from __future__ import annotations

from django.urls import reverse

from portal.models import AuditEntry, NotificationKind, RoleKind, User
from portal.notifications import Notice, notify
from portfolios.models import (
    Evidence,
    EvidenceComment,
    QuestionSet,
    Registration,
    RegistrationUnit,
)

QUOTED = 200  # characters of the comment the notification quotes


def comment_added(comment: EvidenceComment, evidence: Evidence, registration: Registration) -> None:
    """The other side of the conversation: when the learner writes, the assessors of the units
    the evidence is mapped to (else the registration's assessor; nobody when there is none
    yet); the learner when an assessor does."""
    if comment.author_kind == RoleKind.LEARNER:
        recipients, kind = evidence.assessor_ids(), RoleKind.ASSESSOR
    else:
        recipients, kind = {registration.learner_id}, RoleKind.LEARNER
    words = comment.text if len(comment.text) <= QUOTED else comment.text[: QUOTED - 1] + "…"
    notify(
        Notice(
            recipient_id=recipient,
            kind=NotificationKind.EVIDENCE_COMMENT,
            key=f"comment:{comment.pk}",
            text=f"{comment.author.full_name} commented on “{evidence.title}”: {words}",
            link=reverse("portfolios:evidence-detail", args=[evidence.pk]) + "#comments",
            centre_id=registration.centre_id,
            role_kind=kind,
        )
        for recipient in sorted(recipients - {comment.author_id})
    )


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


UNIT_GIVEN = "{actor} made you {learner}'s assessor for {unit} ({title}, {centre})."
UNIT_TAKEN = (
    "{learner}'s unit {unit} ({title}, {centre}) is now assessed by someone else: it is no "
    "longer yours to decide."
)
UNIT_TOLD = "Your assessor for {unit} is now {assessor}."


def unit_allocation_changed(
    registration: Registration,
    planned: RegistrationUnit,
    was: int | None,
    entry: AuditEntry,
    actor: User,
) -> None:
    """A unit given its own assessor, or given back to the registration's: the assessor who
    now assesses it and the one who did (`was`, by either way), where they differ, and the
    learner, who is told who assesses the unit now."""
    now = planned.assessor_id or registration.assessor_id
    facts = {
        "actor": actor.full_name,
        "learner": registration.learner.full_name,
        "unit": planned.unit,
        "title": registration.qualification.title,
        "centre": registration.centre,
    }
    unit_page = reverse("assessment:unit-progress", args=[registration.pk, planned.unit_id])
    key = f"allocation:{entry.pk}:unit"
    notices = []
    if now != was:
        for person, text, where in (
            (now, UNIT_GIVEN, unit_page),
            (was, UNIT_TAKEN, reverse("home")),
        ):
            if person is not None:
                notices.append(notice(person, key, text.format(**facts), where, registration))
    name = None if now is None else User.objects.get(pk=now).full_name
    told = UNIT_TOLD.format(unit=planned.unit, assessor=name or "not allocated yet")
    learner = registration.learner_id
    notices.append(notice(learner, key, told, unit_page, registration, RoleKind.LEARNER))
    notify(notices)


def notice(
    person: int,
    key: str,
    text: str,
    link: str,
    registration: Registration,
    kind: RoleKind = RoleKind.ASSESSOR,
) -> Notice:
    return Notice(
        recipient_id=person,
        kind=NotificationKind.ALLOCATION_CHANGED,
        key=key,
        text=text,
        link=link,
        centre_id=registration.centre_id,
        role_kind=kind,
    )


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
    """The answers are in, as evidence to review: for the assessor who set the questions, and
    for whoever assesses the learner now (the registration's assessor, and the own assessor of
    each unit the questions are about), so answers sent after a transfer or after the setter
    left still reach someone. One notice a person (`notify` keeps one per person and key)."""
    registration = question_set.registration
    units = question_set.units.values_list("pk", flat=True)
    own = RegistrationUnit.objects.filter(
        registration=registration, unit__in=units, assessor__isnull=False
    ).values_list("assessor_id", flat=True)
    recipients = {question_set.set_by_id, *own}
    if registration.assessor_id is not None:
        recipients.add(registration.assessor_id)
    setter = f"{actor.full_name} answered your questions “{question_set.title}”."
    others = f"{actor.full_name} answered the questions “{question_set.title}”."
    # The review page is the assessment app's (above this one): reached by its name.
    link = reverse("assessment:evidence-review", args=[evidence.pk])
    notify(
        Notice(
            recipient_id=recipient,
            kind=NotificationKind.QUESTIONS_ANSWERED,
            key=f"question_set:{question_set.pk}:answered",
            text=setter if recipient == question_set.set_by_id else others,
            link=link,
            centre_id=registration.centre_id,
            role_kind=RoleKind.ASSESSOR,
        )
        for recipient in sorted(recipients)
    )
