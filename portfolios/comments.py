"""The conversation on a piece of evidence: the learner and their assessor write, the IQA
reads. Comments are plain text, never edited or removed once sent (decision 35); each is
audited and announced to the other person."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.audit import audit_append, lock_chain
from portal.models import RoleKind, User
from portal.refusals import Refused
from portfolios import notices
from portfolios.models import COMMENT_MAX_LENGTH, Evidence, EvidenceComment, Registration

ONLY_THE_PARTIES = "Only the learner and their assessor can comment on this evidence."
EMPTY = "Write your comment before you send it."
TOO_LONG = "A comment can be at most {limit:,} characters long: this one has {count:,}."
SENT_ALREADY = "You have just sent this comment: it is in the conversation below once."
GONE = "This evidence is no longer in the portfolio: it was removed a moment ago."


class CommentRefused(Refused):
    """A comment that cannot be added as asked; `messages` say why."""


def writer_kind(registration: Registration, person: User) -> RoleKind | None:
    """As whom the person writes in the evidence's conversation: its learner or one of their
    assessors (the registration's, or a unit's: decision 39); None for anyone else."""
    if person.pk == registration.learner_id:
        return RoleKind.LEARNER
    if registration.is_assessed_by(person):
        return RoleKind.ASSESSOR
    return None


def may_read(registration: Registration, person: User) -> bool:
    """The learner, their assessor and their IQA read the conversation. Centre admins and
    others who may open the evidence do not: it is between the learner and the assessor, with
    the IQA sampling the quality of the feedback."""
    return writer_kind(registration, person) is not None or person.pk == registration.iqa_id


def thread(evidence: Evidence) -> QuerySet[EvidenceComment]:
    """The conversation, oldest first, with who wrote each comment."""
    return evidence.comments.select_related("author").order_by("created_at", "pk")


def text_problems(text: str) -> list[str]:
    if not text:
        return [EMPTY]
    if len(text) > COMMENT_MAX_LENGTH:
        return [TOO_LONG.format(limit=COMMENT_MAX_LENGTH, count=len(text))]
    return []


@transaction.atomic
def comment_add(*, evidence: Evidence, text: str, actor: User) -> EvidenceComment:
    """Add the learner's or the assessor's comment to the evidence's conversation and tell the
    other of them. Refused for anyone else, for empty or over-long text, on a closed
    registration, and for the same comment sent twice in a row (a double click)."""
    kind = writer_kind(evidence.registration, actor)
    if kind is None:
        raise PermissionDenied(ONLY_THE_PARTIES)
    text = text.replace("\r\n", "\n").strip()
    if problems := text_problems(text):
        raise CommentRefused(problems)
    lock_chain(evidence.registration.centre_id)
    registration = Registration.objects.lock(evidence.registration_id, refused=CommentRefused)
    if not Evidence.objects.filter(pk=evidence.pk).exists():
        raise CommentRefused(GONE)
    last = evidence.comments.order_by("-created_at", "-pk").first()
    if last is not None and last.author_id == actor.pk and last.text == text:
        raise CommentRefused(SENT_ALREADY)
    comment = EvidenceComment.objects.create(
        evidence=evidence, author=actor, author_kind=kind, text=text, created_at=timezone.now()
    )
    audit_append(
        actor=actor,
        action="evidence.commented",
        centre_id=registration.centre_id,
        subject=f"evidence:{evidence.pk}",
        after={"comment": comment.pk, "as": kind.value, "text": text},
    )
    notices.comment_added(comment, evidence, registration)
    return comment
