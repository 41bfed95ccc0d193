"""Witness testimony: a learner (or their assessor) asks a witness to confirm a statement; the
witness, who has no account, confirms it once through an expiring link, and it becomes evidence."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from portal.audit import audit_append, lock_chain
from portal.identity import clean_name
from portal.mail import emails_send
from portal.models import Role, RoleKind, User
from portal.refusals import Refused
from portfolios.models import Evidence, EvidenceMethod, Registration, WitnessRequest

LINK_UNKNOWN = "This link is not a testimony request. Check that you copied all of it."
LINK_USED = "This testimony has already been confirmed. Thank you: nothing more is needed."
LINK_EXPIRED = "This link has expired. Ask {learner} to send you a new one."
NOT_ALLOWED = "Only the learner or their assessor can ask a witness for a testimony."
SIGNATURE_NEEDED = "Type your name as your signature to confirm."
LINK_CLOSED = (
    "This testimony can no longer be confirmed: the learner's registration is closed. "
    "Nothing more is needed from you."
)


class WitnessRefused(Refused):
    """A testimony that cannot be asked for."""


# The learner chooses whom the portal e-mails: so many requests may wait for an answer at once,
# and so many be asked in a day, per registration.
OPEN_LIMIT = 20
DAILY_LIMIT = 10
TOO_MANY_WAITING = (
    "{limit} witnesses have not answered yet, the most that may be waiting at once. Ask another "
    "when some have confirmed, or when their links expire ({days} days after they were sent)."
)
TOO_MANY_TODAY = (
    "{limit} witnesses have been asked in the last 24 hours, the most for one day. Ask again "
    "tomorrow."
)


class WitnessEmailRefused(WitnessRefused):
    """A witness's e-mail address that cannot be a witness's: shown under the field."""


WITNESS_IS_LEARNER = (
    "This is the learner's own e-mail address. A witness is someone else who saw the work."
)
WITNESS_IS_STAFF = (
    "This e-mail address belongs to staff at {centre}. A witness is someone outside the centre "
    "who saw the work; staff record what they saw themselves."
)


def witness_email_problem(registration: Registration, email: str) -> str | None:
    """Why `email` cannot be a witness's for this registration, or None: the learner cannot
    vouch for themselves, nor can the centre's staff (their records are their own)."""
    email = email.strip()
    if registration.learner.email.lower() == email.lower():
        return WITNESS_IS_LEARNER
    staff = Role.objects.filter(centre_id=registration.centre_id, user__email__iexact=email)
    if staff.exclude(kind=RoleKind.LEARNER).exists():
        return WITNESS_IS_STAFF.format(centre=registration.centre)
    return None


class WitnessLinkProblem(Refused):
    """A link that cannot be used; the message is the whole page the witness sees."""


class WitnessAnswerIncomplete(Refused):
    """The witness's confirmation lacks their signature."""


@dataclass(frozen=True)
class WitnessAsk:
    name: str
    email: str
    role: str
    statement: str


@dataclass(frozen=True)
class WitnessAnswer:
    signed_name: str
    job_title: str
    relationship: str
    signature: str


def hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def witness_request_create(
    *, registration: Registration, ask: WitnessAsk, actor: User, link_for: Callable[[str], str]
) -> WitnessRequest:
    """Create the request and e-mail the witness a single-use link (`link_for(token)` builds
    its address) once it is saved. Returns the request; the secret exists only in the e-mail.

    Refused when too many of the registration's requests are still unanswered, or too many
    were asked in the last day: the learner chooses whom the portal e-mails."""
    if actor.pk != registration.learner_id and not registration.is_assessed_by(actor):
        raise PermissionDenied(NOT_ALLOWED)
    token = secrets.token_urlsafe(32)
    days = getattr(settings, "WITNESS_LINK_DAYS", 7)
    ask = WitnessAsk(clean_name(ask.name), ask.email, one_line(ask.role), ask.statement)
    with transaction.atomic():
        # The centre's chain first (lock_chain's rule), which also makes requests for one
        # registration take turns, so the counts below cannot be raced past.
        lock_chain(registration.centre_id)
        Registration.objects.lock(registration, refused=WitnessRefused)
        if problem := witness_email_problem(registration, ask.email):
            raise WitnessEmailRefused(problem)
        check_limits(registration, days)
        request = WitnessRequest.objects.create(
            registration=registration,
            requested_by=actor,
            witness_name=ask.name,
            witness_email=ask.email,
            witness_role=ask.role,
            statement=ask.statement,
            token_hash=hashed(token),
            expires_at=timezone.now() + datetime.timedelta(days=days),
        )
        audit_append(
            actor=actor,
            action="witness.requested",
            centre_id=registration.centre_id,
            subject=f"witness_request:{request.pk}",
            after={
                "registration": registration.pk,
                "witness": ask.name,
                "role": ask.role,
                "statement": ask.statement,
                "expires_at": request.expires_at,
            },
        )
        emails_send([witness_email(registration, ask, link_for(token), days)])
    return request


def witness_requests_of(registration: Registration) -> list[WitnessRequest]:
    """The registration's witness requests, newest first, for its page: each with its state
    (`WitnessRequest.state`) and, once confirmed, the evidence it became."""
    return list(WitnessRequest.objects.filter(registration=registration).select_related("evidence"))


def check_limits(registration: Registration, days: int) -> None:
    now = timezone.now()
    requests = WitnessRequest.objects.filter(registration=registration)
    waiting = requests.filter(confirmed_at__isnull=True, expires_at__gt=now).count()
    if waiting >= OPEN_LIMIT:
        raise WitnessRefused(TOO_MANY_WAITING.format(limit=OPEN_LIMIT, days=days))
    today = requests.filter(requested_at__gt=now - datetime.timedelta(days=1)).count()
    if today >= DAILY_LIMIT:
        raise WitnessRefused(TOO_MANY_TODAY.format(limit=DAILY_LIMIT))


def one_line(text: str) -> str:
    """Text the learner typed for one line of the e-mail: one line, whatever was sent."""
    return " ".join(text.split())


def witness_email(
    registration: Registration, ask: WitnessAsk, link: str, days: int
) -> EmailMessage:
    """Plain text, in the portal's own words; what the learner typed (the witness's name and
    role) appears only quoted and labelled as theirs, so it cannot pass for the portal's."""
    learner = registration.learner.full_name
    body = (
        "Hello,\n\n"
        f"This is the Qualifications Portal. {learner} is working towards "
        f"{registration.qualification.title} at {registration.centre} and has asked you to "
        "confirm, as a witness, something you saw them do.\n\n"
        f"{learner} described you like this (their words, not checked by the portal):\n\n"
        f"    Name: “{ask.name}”\n"
        f"    Who you are to them: “{ask.role}”\n\n"
        "To read their statement and, if it is true, confirm it, open this link (it works once, "
        f"for {days} days):\n\n{link}\n\n"
        f"If you do not know {learner}, ignore this e-mail. The portal will never ask you for a "
        "password or for payment.\n"
    )
    subject = f"{learner} asks you to confirm a witness testimony"
    return EmailMessage(subject=subject, body=body, to=[ask.email])


def witness_request_for(token: str) -> WitnessRequest:
    """The request a link stands for, if it can still be used."""
    request = (
        WitnessRequest.objects.select_related(
            "registration__learner", "registration__qualification"
        )
        .filter(token_hash=hashed(token))
        .first()
    )
    if request is None:
        raise WitnessLinkProblem(LINK_UNKNOWN)
    if request.confirmed_at is not None:
        raise WitnessLinkProblem(LINK_USED)
    if request.registration.closed_because:
        raise WitnessLinkProblem(LINK_CLOSED)
    if request.expires_at <= timezone.now():
        raise WitnessLinkProblem(
            LINK_EXPIRED.format(learner=request.registration.learner.full_name)
        )
    return request


def witness_confirm(*, token: str, answer: WitnessAnswer) -> Evidence:
    """Confirm the testimony once: it becomes evidence marked as witness testimony."""
    if not answer.signature.strip() or not answer.signed_name.strip():
        raise WitnessAnswerIncomplete(SIGNATURE_NEEDED)
    with transaction.atomic():
        found = witness_request_for(token)
        lock_chain(found.registration.centre_id)
        Registration.objects.lock(found.registration, refused=WitnessLinkProblem)
        request = WitnessRequest.objects.select_for_update().get(pk=found.pk)
        if request.confirmed_at is not None:  # confirmed by a second tab meanwhile
            raise WitnessLinkProblem(LINK_USED)
        now = timezone.now()
        evidence = Evidence.objects.create(
            registration=found.registration,
            title=f"Witness testimony from {answer.signed_name}",
            occurred_on=timezone.localdate(now),
            method=EvidenceMethod.WITNESS_TESTIMONY,
            description=(
                f"{request.statement}\n\nConfirmed by {answer.signed_name}, {answer.job_title} "
                f"({answer.relationship}), signed “{answer.signature}” on "
                f"{timezone.localtime(now):%d %B %Y at %H:%M}."
            ),
            declared_at=now,
            created_by=request.requested_by,
        )
        for field, value in answer.__dict__.items():
            setattr(request, field, value)
        request.confirmed_at = now
        request.evidence = evidence
        request.save()
        # The witness has no account: the entry names no actor, and says who signed.
        audit_append(
            actor=None,
            action="witness.confirmed",
            centre_id=found.registration.centre_id,
            subject=f"witness_request:{request.pk}",
            after={
                "evidence": evidence.pk,
                "signed_name": answer.signed_name,
                "job_title": answer.job_title,
                "relationship": answer.relationship,
            },
        )
    return evidence
