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
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from portal.audit import audit_append, lock_chain
from portal.models import User
from portal.refusals import Refused
from portfolios.models import Evidence, EvidenceMethod, Registration, WitnessRequest

LINK_UNKNOWN = "This link is not a testimony request. Check that you copied all of it."
LINK_USED = "This testimony has already been confirmed. Thank you: nothing more is needed."
LINK_EXPIRED = "This link has expired. Ask {learner} to send you a new one."
NOT_ALLOWED = "Only the learner or their assessor can ask a witness for a testimony."
SIGNATURE_NEEDED = "Type your name as your signature to confirm."


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
    its address). Returns the request; the secret exists only in the e-mail."""
    if actor.pk not in (registration.learner_id, registration.assessor_id):
        raise PermissionDenied(NOT_ALLOWED)
    token = secrets.token_urlsafe(32)
    days = getattr(settings, "WITNESS_LINK_DAYS", 7)
    with transaction.atomic():
        lock_chain(registration.centre_id)  # the chain before any row: the house order
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
    link = link_for(token)
    learner = registration.learner.full_name
    send_mail(
        subject=f"{learner} asks you to confirm a witness testimony",
        message=(
            f"Dear {ask.name},\n\n{learner} is working towards {registration.qualification.title} "
            f"and asks you, as {ask.role}, to confirm what you saw. Read the statement and, if it "
            f"is true, confirm it here (the link works once, for {days} days):\n\n{link}\n\n"
            "If you do not know this person, ignore this e-mail.\n"
        ),
        from_email=None,
        recipient_list=[ask.email],
    )
    return request


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
