"""A learner's registration moved from one approved centre to another (decision 40).

The sending centre's admin asks (to a named centre, with a reason); the receiving centre's admin
accepts, choosing the learner's new assessor and IQA, or declines; the sender may cancel while it
waits. Nothing moves until it is accepted. On acceptance, under both centres' audit chains (in
`chain_order`) and then the transfer's and the registration's rows, the registration itself moves
to the receiving centre with everything recorded on it (evidence, decisions, sign-offs, IQA
samples, certificates), so the claims rules and the one-certificate-in-force rule read one
record. The sending centre's chain keeps every entry its staff wrote; the portfolio pack as it
stood is made by a task and kept on the transfer for the receiving centre and the learner.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from assessment.models import Decision
from certification.exports.batch import ExportRefused
from certification.exports.pack import pack_name
from certification.models import (
    STANDING,
    WITHHELD,
    CentreApproval,
    Certificate,
    CertificateState,
    Kind,
    Transfer,
    TransferStatus,
)
from certification.tasks import queue_pack
from certification.transfer_notices import transfer_told
from iqa.models import Action, ActionStatus, PlanItem
from portal.audit import audit_append, chain_order, lock_chain
from portal.models import Centre, Role, RoleKind, User
from portal.refusals import Refused
from portfolios.models import ClaimReadiness, Registration
from portfolios.readiness import readiness_changed
from portfolios.services import SAME_PERSON_ASSESSOR_IQA, holds
from qualifications.models import Qualification

NOT_SENDING_ADMIN = "Only a centre admin of the learner's centre can transfer them or cancel it."
NOT_RECEIVING_ADMIN = "Only a centre admin of the receiving centre can accept or decline it."
REASON_NEEDED = "Give the reason for the transfer: it is kept with the registration's history."
DECLINE_REASON_NEEDED = "Say why you decline: the sending centre is told."
SAME_CENTRE = "The learner is already registered at {centre}: choose another centre."
NOT_APPROVED = (
    "{centre} is not approved by the awarding organisation to offer {title}, so the learner "
    "cannot be transferred there."
)
ALREADY_PENDING = (
    "A transfer of this registration to {centre} is already waiting: cancel it first to send "
    "the learner elsewhere."
)
CLAIM_PENDING = (
    "A claim for this learner is waiting for the external quality assurer ({number}): wait "
    "until it is released or held, then transfer them."
)
ACHIEVED_ALREADY = (
    "The learner holds the full certificate {number}: they have achieved the qualification, so "
    "there is nothing to transfer."
)
CERTIFICATE_BEING_MADE = (
    "The certificate {number} is still being made: transfer the learner once it is ready."
)
OPEN_ACTION = (
    "An IQA action on unit {unit} is still open: the sending centre's IQA closes it before "
    "the learner moves."
)
PLANNED_SAMPLE = (
    "Unit {unit} is in the sending centre's IQA sampling plan and has not been sampled: sample "
    "it, or take it out of the plan, before the learner moves."
)
AWAITING_COUNTERSIGNATURE = (
    "{count} of a trainee assessor's decisions for this learner wait for a countersignature: "
    "a qualified assessor at the sending centre countersigns or returns them before the learner "
    "moves."
)
AWAITING_COUNTERSIGNATURE_ONE = (
    "1 of a trainee assessor's decisions for this learner waits for a countersignature: a "
    "qualified assessor at the sending centre countersigns or returns it before the learner "
    "moves."
)
NO_LONGER_PENDING = "This transfer was {status} already: nothing changed."
MOVED_ALREADY = "The learner is no longer registered at {centre}: nothing changed."
NOT_A = "{person} is not {article} {role} at {centre}."
# The same words as changing the assessor or IQA at one centre.
SAME_PERSON = SAME_PERSON_ASSESSOR_IQA
IS_THE_LEARNER = "{person} is the learner: nobody assesses or quality-assures themselves."
PACK_NOT_YOURS = "Only the learner and the receiving centre's admins can download this pack."
PACK_NOT_MADE = "A portfolio pack is made only when the receiving centre accepts the learner."
PACK_NOT_READY = "The portfolio pack is still being made: try again in a minute."


class TransferRefused(Refused):
    """A transfer that cannot be asked for, accepted, declined or cancelled as asked. `fields`:
    the messages that are about one field of the form that asked (the rest are blockers, or
    about the transfer as a whole)."""

    def __init__(
        self, messages: str | list[str], fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(messages)
        self.fields = fields or {}


def is_approved(centre: Centre, qualification: Qualification) -> bool:
    return CentreApproval.objects.filter(centre=centre, qualification=qualification).exists()


def blockers(registration: Registration) -> list[str]:
    """What keeps the learner where they are, in words: a claim not yet let out by the EQA or
    whose certificate is still being made (the claim belongs to the centre that made it), a
    full certificate in force (nothing left to transfer), the sending centre's IQA work not
    finished (an action open, a planned sample not done), and trainees' decisions waiting for
    its qualified assessors' countersignature."""
    problems = []
    certificates = Certificate.objects.filter(registration=registration)
    for number in certificates.in_state(CertificateState.HELD).values_list("number", flat=True):
        problems.append(CLAIM_PENDING.format(number=number))
    for number in certificates.in_state(CertificateState.PENDING).values_list("number", flat=True):
        problems.append(CERTIFICATE_BEING_MADE.format(number=number))
    in_force = certificates.filter(kind=Kind.FULL).filter(STANDING).exclude(release__in=WITHHELD)
    for number in in_force.values_list("number", flat=True):
        problems.append(ACHIEVED_ALREADY.format(number=number))
    open_actions = Action.objects.filter(sample__registration=registration).exclude(
        status=ActionStatus.CLOSED
    )
    for code in sorted(set(open_actions.values_list("sample__unit__code", flat=True))):
        problems.append(OPEN_ACTION.format(unit=code))
    planned = PlanItem.objects.not_sampled().filter(registration=registration)
    for code in sorted(set(planned.values_list("unit__code", flat=True))):
        problems.append(PLANNED_SAMPLE.format(unit=code))
    # A trainee's provisional decisions are the sending centre's to countersign: its qualified
    # assessors would lose sight of them, and the receiving centre's never judged the work.
    provisional = Decision.objects.filter(registration=registration, current=True, provisional=True)
    if waiting := provisional.count():
        wording = AWAITING_COUNTERSIGNATURE_ONE if waiting == 1 else AWAITING_COUNTERSIGNATURE
        problems.append(wording.format(count=waiting))
    try:
        pack_name(registration)  # the pack that travels with them must have its AO's name
    except ExportRefused as refused:
        problems += refused.messages
    return problems


def facts(transfer: Transfer) -> dict[str, object]:
    return {
        "transfer": transfer.pk,
        "from_centre": transfer.from_centre_id,
        "to_centre": transfer.to_centre_id,
        "reason": transfer.reason,
    }


@transaction.atomic
def transfer_start(
    *, registration: Registration, to_centre: Centre, reason: str, actor: User
) -> Transfer:
    """Ask `to_centre` to take the learner, as a centre admin of the registration's centre.
    Refused (nothing saved) if the registration is closed, no reason is given, the centre is
    the learner's own or is not approved for the qualification, a transfer already waits, or a
    claim or the sending centre's IQA work is not finished (`blockers`)."""
    if not holds(actor, RoleKind.CENTRE_ADMIN, registration.centre):
        raise PermissionDenied(NOT_SENDING_ADMIN)
    lock_chain(registration.centre_id)
    locked = Registration.objects.lock(registration, refused=TransferRefused)
    reason = " ".join(reason.split())
    fields: dict[str, list[str]] = {}
    if not reason:
        fields["reason"] = [REASON_NEEDED]
    if to_centre.pk == locked.centre_id:
        fields["to_centre"] = [SAME_CENTRE.format(centre=to_centre)]
    elif not is_approved(to_centre, locked.qualification):
        title = locked.qualification.title
        fields["to_centre"] = [NOT_APPROVED.format(centre=to_centre, title=title)]
    problems = [message for messages in fields.values() for message in messages]
    if waiting := locked.transfers.filter(status=TransferStatus.PENDING).first():
        problems.append(ALREADY_PENDING.format(centre=waiting.to_centre))
    problems += blockers(locked)
    if problems:
        raise TransferRefused(problems, fields)
    transfer = Transfer.objects.create(
        registration=locked,
        from_centre_id=locked.centre_id,
        to_centre=to_centre,
        reason=reason,
        requested_at=timezone.now(),
        requested_by=actor,
    )
    audit_append(
        actor=actor,
        action="registration.transfer_requested",
        centre_id=locked.centre_id,
        subject=f"registration:{locked.pk}",
        after=facts(transfer),
    )
    transfer_told(transfer, "requested")
    return transfer


def locked_pending(transfer: Transfer, *centre_ids: int) -> Transfer:
    """Take the centres' chains (in `chain_order`), then the transfer's row, refused unless it
    still waits: two tabs accepting, or an accept racing a cancel, act once."""
    for centre_id in sorted(set(centre_ids), key=chain_order):
        lock_chain(centre_id)
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if not locked.is_pending:
        status = TransferStatus(locked.status).name.lower()
        raise TransferRefused(NO_LONGER_PENDING.format(status=status))
    return locked


def staff_problems(
    learner_id: int, centre: Centre, assessor: User | None, iqa: User | None
) -> list[str]:
    problems = []
    for person, kind, article, role in (
        (assessor, RoleKind.ASSESSOR, "an", "assessor"),
        (iqa, RoleKind.IQA, "an", "IQA"),
    ):
        if person is None:
            continue
        if person.pk == learner_id:
            problems.append(IS_THE_LEARNER.format(person=person.full_name))
        elif not holds(person, kind, centre):
            problems.append(
                NOT_A.format(person=person.full_name, article=article, role=role, centre=centre)
            )
    if assessor is not None and assessor == iqa:
        problems.append(SAME_PERSON)
    return problems


@transaction.atomic
def transfer_accept(
    *, transfer: Transfer, assessor: User | None, iqa: User | None, actor: User
) -> Transfer:
    """Take the learner in, as a centre admin of the receiving centre, with the assessor and IQA
    chosen from its staff. The registration moves to the receiving centre with all its records
    and the learner is given the learner role there; both centres' chains record it; the
    learner and both centres' admins are told; the portfolio pack is made after commit.
    Refused (nothing changed) if the transfer no longer waits, the registration closed or moved
    meanwhile, the centre lost its approval, a blocker appeared, or the people do not fit."""
    if not holds(actor, RoleKind.CENTRE_ADMIN, transfer.to_centre):
        raise PermissionDenied(NOT_RECEIVING_ADMIN)
    locked = locked_pending(transfer, transfer.from_centre_id, transfer.to_centre_id)
    registration = Registration.objects.lock(locked.registration_id, refused=TransferRefused)
    if registration.centre_id != locked.from_centre_id:
        raise TransferRefused(MOVED_ALREADY.format(centre=locked.from_centre))
    to_centre = locked.to_centre
    problems = staff_problems(registration.learner_id, to_centre, assessor, iqa)
    if not is_approved(to_centre, registration.qualification):
        title = registration.qualification.title
        problems.append(NOT_APPROVED.format(centre=to_centre, title=title))
    problems += blockers(registration)
    if problems:
        raise TransferRefused(problems)
    before = staffing(registration)
    registration.centre, registration.assessor, registration.iqa = to_centre, assessor, iqa
    registration.save(update_fields=["centre", "assessor", "iqa"])
    units_cleared = unit_allocations_cleared(registration)
    role_given = learner_role(registration.learner, to_centre)
    role_ended = learner_role_ended(registration.learner, locked.from_centre_id)
    locked.status, locked.decided_by = TransferStatus.ACCEPTED, actor
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    after = {
        **staffing(registration),
        **facts(locked),
        "learner_role_given": role_given,
        "learner_role_ended": role_ended,
        "unit_assessors_cleared": units_cleared,
    }
    # Each centre's chain says the learner left or came, with the same facts.
    for action, centre_id in (
        ("registration.transferred_out", locked.from_centre_id),
        ("registration.transferred_in", to_centre.pk),
    ):
        audit_append(
            actor=actor,
            action=action,
            centre_id=centre_id,
            subject=f"registration:{registration.pk}",
            before=before,
            after=after,
        )
    readiness_changed(registration)
    # The kept readiness is listed by its centre: it goes with the learner, or the sending
    # centre's claims page would go on naming them (the re-check of issue 19's fixes).
    ClaimReadiness.objects.filter(registration=registration).update(centre=to_centre)
    transfer_told(locked, "accepted")
    transaction.on_commit(lambda: queue_pack(locked.pk))
    return locked


def staffing(registration: Registration) -> dict[str, int | None]:
    return {
        "centre": registration.centre_id,
        "assessor": registration.assessor_id,
        "iqa": registration.iqa_id,
    }


def unit_allocations_cleared(registration: Registration) -> dict[str, int]:
    """Clear the sending centre's per-unit assessors (decision 39): they work there, not at the
    receiving centre, so the new assessor judges every unit until its admin gives one away.
    Returns what was cleared (unit code -> the assessor who had it), for the audit entries."""
    given = registration.planned_units.filter(assessor__isnull=False)
    cleared = dict(given.order_by("unit__code").values_list("unit__code", "assessor_id"))
    given.update(assessor=None)
    return cleared


def learner_role(learner: User, centre: Centre) -> bool:
    """The learner role at the receiving centre, which every page reads their registration
    through; True if it was given now."""
    _, made = Role.objects.get_or_create(user=learner, centre=centre, kind=RoleKind.LEARNER)
    return made


def learner_role_ended(learner: User, centre_id: int) -> bool:
    """The learner role at the sending centre, ended when no registration of theirs is left
    there (the moved one is the receiving centre's now): otherwise they would log in to a
    centre with nothing of theirs, their work at the other (the second new-user review of
    issue 19). True if it was ended now."""
    if Registration.objects.filter(learner=learner, centre_id=centre_id).exists():
        return False
    ended, _ = Role.objects.filter(
        user=learner, centre_id=centre_id, kind=RoleKind.LEARNER
    ).delete()
    return bool(ended)


@transaction.atomic
def transfer_decline(*, transfer: Transfer, reason: str, actor: User) -> Transfer:
    """Decline to take the learner, as a centre admin of the receiving centre, saying why (the
    sending centre is told). Nothing about the registration changes."""
    if not holds(actor, RoleKind.CENTRE_ADMIN, transfer.to_centre):
        raise PermissionDenied(NOT_RECEIVING_ADMIN)
    reason = " ".join(reason.split())
    if not reason:
        raise TransferRefused(DECLINE_REASON_NEEDED)
    locked = locked_pending(transfer, transfer.to_centre_id)
    locked.status, locked.decline_reason = TransferStatus.DECLINED, reason
    return decided(locked, actor, "registration.transfer_declined", locked.to_centre_id)


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, actor: User) -> Transfer:
    """Withdraw the request, as a centre admin of the sending centre, while it waits."""
    if not holds(actor, RoleKind.CENTRE_ADMIN, transfer.from_centre):
        raise PermissionDenied(NOT_SENDING_ADMIN)
    locked = locked_pending(transfer, transfer.from_centre_id)
    locked.status = TransferStatus.CANCELLED
    return decided(locked, actor, "registration.transfer_cancelled", locked.from_centre_id)


def decided(locked: Transfer, actor: User, action: str, centre_id: int) -> Transfer:
    locked.decided_at, locked.decided_by = timezone.now(), actor
    locked.save(update_fields=["status", "decline_reason", "decided_at", "decided_by"])
    audit_append(
        actor=actor,
        action=action,
        centre_id=centre_id,
        subject=f"registration:{locked.registration_id}",
        after={**facts(locked), "status": locked.status, "decline_reason": locked.decline_reason},
    )
    transfer_told(locked, locked.status)
    return locked


def may_download_pack(actor: User, transfer: Transfer) -> bool:
    return transfer.registration.learner_id == actor.pk or holds(
        actor, RoleKind.CENTRE_ADMIN, transfer.to_centre
    )


@transaction.atomic
def transfer_pack_download(*, transfer: Transfer, actor: User) -> Transfer:
    """The pack made at acceptance, for the learner or a receiving centre's admin, recorded in
    the receiving centre's chain before it is sent. Refused while it is being made (and asked
    for again, in case its task was lost)."""
    if not may_download_pack(actor, transfer):
        raise PermissionDenied(PACK_NOT_YOURS)
    if transfer.status != TransferStatus.ACCEPTED:
        raise TransferRefused(PACK_NOT_MADE)
    if not transfer.pack:
        transaction.on_commit(lambda: queue_pack(transfer.pk))
        raise TransferRefused(PACK_NOT_READY)
    audit_append(
        actor=actor,
        action="certification.transfer_pack_downloaded",
        centre_id=transfer.to_centre_id,
        subject=f"registration:{transfer.registration_id}",
        after={"transfer": transfer.pk, "sha256": transfer.pack_sha256},
    )
    return transfer


def centre_approval_record(
    *,
    centre: Centre,
    qualification: Qualification,
    approved_on: datetime.date,
    note: str,
    actor: User,
) -> CentreApproval:
    """Record the AO's approval of a centre for a qualification (the portal's staff, from the
    administration site), audited on the centre's chain."""
    with transaction.atomic():
        lock_chain(centre.pk)
        approval = CentreApproval.objects.create(
            centre=centre, qualification=qualification, approved_on=approved_on, note=note
        )
        audit_append(
            actor=actor,
            action="centre.approved",
            centre_id=centre.pk,
            subject=f"qualification:{qualification.pk}",
            after={"approved_on": approved_on, "note": note},
        )
    return approval
