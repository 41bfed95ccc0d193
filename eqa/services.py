"""What external quality assurance changes: windows granted and moved (by the portal's staff
acting for the awarding organisation), every page an EQA views, their samples and report, and
claims released or held. Each write re-checks that the window is open, under the centre's audit
chain, and leaves an audit entry (decision 29)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from certification.models import WITHHELD, Certificate, Release
from certification.services import require_portal_staff
from certification.tasks import queue_render
from eqa import notices
from eqa.models import EqaAccess, EqaAction, EqaReport, EqaSample
from portal.audit import audit_append, lock_chain
from portal.models import Centre, Role, User
from portal.refusals import Refused
from portfolios.models import Registration
from qualifications.models import Qualification, Unit

WINDOW_CLOSED = "Your access to this centre is not open now: nothing was changed."
ENDS_BEFORE_START = "The access must end after it starts."
FROM_THE_CENTRE = (
    "{name} holds a role at {centre}: an external quality assurer comes from the awarding "
    "organisation, not from the centre they quality-assure."
)
NOT_IN_WINDOW = "That learner is not on {qualification} at {centre}."
UNIT_NOT_IN_QUALIFICATION = "That unit is not part of {qualification}."
LOOKED_AT_NEEDED = "Say what you looked at."
FINDING_NEEDED = "Say what you found."
ALREADY_SAMPLED = "This sample is recorded already (the form was sent twice)."
SUMMARY_NEEDED = "Write the report's summary."
ALREADY_REPORTED = "The report on this visit is recorded already; it is kept as written."
SAMPLE_FIRST = (
    "Sample {name}'s portfolio before releasing their claim: record what you looked at and found."
)
HOLD_REASON_NEEDED = "Give the reason for holding the claim: the centre is shown it."
NOT_WITHHELD = "This claim is not waiting for you: it was {state} already."
REVOKED = "This claim was revoked by the centre."


class EqaRefused(Refused):
    """An external quality assurance change that cannot be made as asked."""


def eqa_access_grant(
    *,
    eqa: User,
    centre: Centre,
    qualification: Qualification,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    note: str = "",
    actor: User,
) -> EqaAccess:
    """Give an external quality assurer read-only access to one qualification at one centre for
    a time window. Only the portal's staff, acting for the awarding organisation, grant it; and
    never to someone who holds a role at the centre."""
    require_portal_staff(actor)
    if ends_at <= starts_at:
        raise EqaRefused(ENDS_BEFORE_START)
    with transaction.atomic():
        lock_chain(centre.pk)
        if Role.objects.filter(user=eqa, centre=centre).exists():
            raise EqaRefused(FROM_THE_CENTRE.format(name=eqa.full_name, centre=centre))
        access = EqaAccess.objects.create(
            eqa=eqa,
            centre=centre,
            qualification=qualification,
            starts_at=starts_at,
            ends_at=ends_at,
            granted_by=actor,
            granted_at=timezone.now(),
            note=note.strip(),
        )
        audit_append(
            actor=actor,
            action="eqa.access_granted",
            centre_id=centre.pk,
            subject=f"eqa-access:{access.pk}",
            after={"eqa": eqa.pk, "qualification": qualification.code, **window_of(access)},
        )
    return access


def eqa_access_move(
    *, access: EqaAccess, starts_at: datetime.datetime, ends_at: datetime.datetime, actor: User
) -> EqaAccess:
    """Move a window's start or end (to end it early: its end to now)."""
    require_portal_staff(actor)
    if ends_at <= starts_at:
        raise EqaRefused(ENDS_BEFORE_START)
    with transaction.atomic():
        lock_chain(access.centre_id)
        locked = EqaAccess.objects.select_for_update().get(pk=access.pk)
        before = window_of(locked)
        locked.starts_at, locked.ends_at = starts_at, ends_at
        locked.save(update_fields=["starts_at", "ends_at"])
        audit_append(
            actor=actor,
            action="eqa.access_moved",
            centre_id=locked.centre_id,
            subject=f"eqa-access:{locked.pk}",
            before=before,
            after=window_of(locked),
        )
    return locked


def window_of(access: EqaAccess) -> dict[str, str]:
    return {"starts_at": access.starts_at.isoformat(), "ends_at": access.ends_at.isoformat()}


def require_open(access: EqaAccess, actor: User) -> None:
    """Inside the write's transaction, under the centre's chain: the window is the actor's and
    still open (it may have ended since the page was shown)."""
    if access.eqa_id != actor.pk:
        raise PermissionDenied(WINDOW_CLOSED)
    if not EqaAccess.objects.open_now().filter(pk=access.pk).exists():
        raise EqaRefused(WINDOW_CLOSED)


def eqa_page_viewed(*, access: EqaAccess, page: str, subject: str, actor: User) -> None:
    """Every page an external quality assurer opens is in the centre's audit log: which, what
    it showed, when."""
    with transaction.atomic():
        lock_chain(access.centre_id)
        require_open(access, actor)
        audit_append(
            actor=actor,
            action="eqa.viewed",
            centre_id=access.centre_id,
            subject=subject,
            after={"window": access.pk, "page": page},
        )


def eqa_sample_record(
    *,
    access: EqaAccess,
    registration: Registration,
    unit: Unit | None,
    looked_at: str,
    finding: str,
    actor: User,
    form_token: uuid.UUID | None = None,
) -> EqaSample:
    """Record what the external quality assurer chose to look at, and what they found. The
    same form sent twice (`form_token`) is refused, having made one."""
    if not looked_at.strip():
        raise EqaRefused(LOOKED_AT_NEEDED)
    if not finding.strip():
        raise EqaRefused(FINDING_NEEDED)
    with transaction.atomic():
        lock_chain(access.centre_id)
        require_open(access, actor)
        if not access.registrations().filter(pk=registration.pk).exists():
            raise EqaRefused(
                NOT_IN_WINDOW.format(qualification=access.qualification, centre=access.centre)
            )
        if unit is not None and not access.qualification.memberships.filter(unit=unit).exists():
            raise EqaRefused(UNIT_NOT_IN_QUALIFICATION.format(qualification=access.qualification))
        if form_token is not None and EqaSample.objects.filter(form_token=form_token).exists():
            raise EqaRefused(ALREADY_SAMPLED)
        sample = EqaSample.objects.create(
            access=access,
            registration=registration,
            unit=unit,
            looked_at=looked_at.strip(),
            finding=finding.strip(),
            recorded_at=timezone.now(),
            form_token=form_token,
        )
        audit_append(
            actor=actor,
            action="eqa.sampled",
            centre_id=access.centre_id,
            subject=f"registration:{registration.pk}",
            after={"sample": sample.pk, "unit": unit.code if unit else None},
        )
    return sample


def eqa_report_record(
    *,
    access: EqaAccess,
    summary: str,
    actions: Sequence[tuple[str, datetime.date]],
    actor: User,
) -> EqaReport:
    """The external quality assurer's report on the window, with the actions the centre must
    take: one per window, kept as written."""
    if not summary.strip():
        raise EqaRefused(SUMMARY_NEEDED)
    with transaction.atomic():
        lock_chain(access.centre_id)
        require_open(access, actor)
        if EqaReport.objects.filter(access=access).exists():
            raise EqaRefused(ALREADY_REPORTED)
        report = EqaReport.objects.create(
            access=access, summary=summary.strip(), written_at=timezone.now()
        )
        EqaAction.objects.bulk_create(
            EqaAction(report=report, text=text.strip(), due_on=due) for text, due in actions
        )
        audit_append(
            actor=actor,
            action="eqa.reported",
            centre_id=access.centre_id,
            subject=f"eqa-report:{report.pk}",
            after={"window": access.pk, "actions": len(actions)},
        )
    return report


def claim_release(*, access: EqaAccess, certificate: Certificate, actor: User) -> Certificate:
    """Let a withheld claim out: the certificate is issued (its PDF made, its number
    verifiable). Only after the external quality assurer has recorded a sample of the learner's
    portfolio in the window."""
    with transaction.atomic():
        lock_chain(access.centre_id)
        require_open(access, actor)
        locked = withheld_in(access, certificate)
        # A sample of this learner, in this window: another learner's sample says nothing of
        # the work this claim is for.
        if not access.samples.filter(registration_id=locked.registration_id).exists():
            name = locked.registration.learner.full_name
            raise EqaRefused(SAMPLE_FIRST.format(name=name))
        locked.release = Release.RELEASED
        decide(locked, actor, reason="")
        transaction.on_commit(lambda: queue_render(locked.pk))
        audit_append(
            actor=actor,
            action="certificate.released",
            centre_id=access.centre_id,
            subject=f"certificate:{locked.pk}",
            after={"number": locked.number, "window": access.pk},
        )
        notices.claim_decided(locked)
    return locked


def claim_hold(
    *, access: EqaAccess, certificate: Certificate, reason: str, actor: User
) -> Certificate:
    """Keep a withheld claim back, saying why (the centre sees the reason). It can be released
    later, in this window or another."""
    if not reason.strip():
        raise EqaRefused(HOLD_REASON_NEEDED)
    with transaction.atomic():
        lock_chain(access.centre_id)
        require_open(access, actor)
        locked = withheld_in(access, certificate)
        locked.release = Release.HELD
        decide(locked, actor, reason=reason.strip())
        audit_append(
            actor=actor,
            action="certificate.held",
            centre_id=access.centre_id,
            subject=f"certificate:{locked.pk}",
            after={"number": locked.number, "window": access.pk, "reason": reason.strip()},
        )
        notices.claim_decided(locked)
    return locked


def withheld_in(access: EqaAccess, certificate: Certificate) -> Certificate:
    """The certificate locked, if it is a withheld claim of the window's registrations."""
    locked = (
        Certificate.objects.select_for_update()
        .filter(pk=certificate.pk, registration__in=access.registrations())
        .first()
    )
    if locked is None:
        raise EqaRefused(
            NOT_IN_WINDOW.format(qualification=access.qualification, centre=access.centre)
        )
    if locked.is_revoked:
        raise EqaRefused(REVOKED)
    if locked.release not in WITHHELD:
        raise EqaRefused(NOT_WITHHELD.format(state=locked.get_release_display().lower()))
    return locked


def decide(certificate: Certificate, actor: User, *, reason: str) -> None:
    certificate.release_decided_at, certificate.release_decided_by = timezone.now(), actor
    certificate.hold_reason = reason
    certificate.save(
        update_fields=["release", "release_decided_at", "release_decided_by", "hold_reason"]
    )
