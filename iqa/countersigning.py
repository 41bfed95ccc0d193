"""A trainee IQA's samples, and at a centre enforcing its competence register those by an IQA
no current IQA award of theirs covers the unit for, are countersigned by a qualified IQA
(decision 49). Until then the sample is recorded and locks its decisions, but counts for no
plan item and no claim (`counts_for_item`, `selectors`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from assessment.models import Decision
from competence.models import Practice
from competence.standing import competent, enforced, in_scope_where_enforced
from iqa.models import Sample
from portal.audit import audit_append, lock_chain
from portal.models import Role, RoleKind, User
from portal.refusals import Refused
from portfolios.models import Registration
from portfolios.readiness import readiness_changed

NOT_AN_IQA_COUNTERSIGNER = (
    "Only a qualified IQA of the centre, other than the one who sampled, countersigns a sample."
)
OWN_SAMPLE = "You took this sample: another qualified IQA of the centre countersigns it."
OWN_WORK = (
    "You decided or countersigned decisions of this sample: another qualified IQA countersigns it."
)
INVOLVED = (
    "You are the assessor on this registration: another qualified IQA of the centre "
    "countersigns the sample."
)
NOT_COMPETENT = (
    "Unit {unit} is outside the scope of your current IQA awards in the centre's competence "
    "register: an IQA competent for it countersigns the sample."
)
NOTHING_TO_COUNTERSIGN = "This sample does not wait for a countersignature: it was countersigned."
NOTE_NEEDED = "Write a note: what you checked of the sample and whether you agree with it."


class SampleCountersignRefused(Refused):
    """A countersignature of a sample that cannot be given as asked."""


def sample_provisional(actor: User, registration: Registration, unit_id: int) -> bool:
    """Whether the actor's sample of the unit waits for a qualified IQA: they are a trainee
    IQA there, or the centre enforces its register and no current IQA award of theirs covers
    the unit or its qualification."""
    trainee = Role.objects.filter(
        user=actor, centre_id=registration.centre_id, kind=RoleKind.IQA, is_trainee=True
    ).exists()
    if trainee:
        return True
    if not enforced(registration.centre_id):
        return False
    return not competent(
        person_id=actor.pk,
        centre_id=registration.centre_id,
        qualification_id=registration.qualification_id,
        unit_id=unit_id,
        practice=Practice.VERIFYING,
        day=timezone.localdate(),
    )


def countersignable_by(user: User) -> Q:
    """The provisional samples `user` may countersign, as a condition on samples (read in the
    query, whatever their number): at a centre where they are a qualified IQA; not their own
    sample; not on a registration where they are the learner or the assessor, nor of the
    decisions of a sample where they decided or countersigned any; and at a centre enforcing
    its competence register, on a unit their current IQA awards cover (decision 49)."""
    centres = Role.objects.filter(user=user, kind=RoleKind.IQA, is_trainee=False).values(
        "centre_id"
    )
    own_work = Decision.objects.filter(samples=OuterRef("pk")).filter(
        Q(decided_by=user) | Q(countersigned_by=user)
    )
    return (
        Q(provisional=True, registration__centre__in=centres)
        & ~Q(sampled_by=user)
        & ~Q(registration__learner=user)
        & ~Q(registration__assessor=user)
        & ~Q(assessor=user)
        & ~Exists(own_work)
        & in_scope_where_enforced(
            user.pk,
            Practice.VERIFYING,
            timezone.localdate(),
            centre="registration__centre_id",
            qualification="registration__qualification_id",
            unit=Q(units=OuterRef("unit_id")),
        )
    )


def awaiting_iqa_countersignature(user: User) -> QuerySet[Sample]:
    """The provisional samples `user` may countersign (`countersignable_by`)."""
    return (
        Sample.objects.filter(countersignable_by(user))
        .select_related("registration__learner", "unit", "sampled_by", "assessor")
        .order_by("sampled_at", "pk")
    )


def sample_countersign(*, sample: Sample, note: str, actor: User) -> Sample:
    """A qualified IQA of the centre confirms a provisional sample, with a note: from then on
    it counts for the plan and the claim. Refused to the IQA who sampled, to anyone who decided
    or countersigned its decisions, and at a centre enforcing its register to an IQA whose
    current awards do not cover the unit. Sent twice, the second is refused and changes
    nothing."""
    note = note.strip()
    if not note:
        raise SampleCountersignRefused(NOTE_NEEDED)
    registration = sample.registration
    centre_id = registration.centre_id
    qualified = Role.objects.filter(
        user=actor, centre_id=centre_id, kind=RoleKind.IQA, is_trainee=False
    ).exists()
    if actor.pk == sample.sampled_by_id:
        raise SampleCountersignRefused(OWN_SAMPLE)
    if not qualified or actor.pk == registration.learner_id:
        raise PermissionDenied(NOT_AN_IQA_COUNTERSIGNER)
    if actor.pk in (registration.assessor_id, sample.assessor_id):
        raise SampleCountersignRefused(INVOLVED)
    with transaction.atomic():
        lock_chain(centre_id)
        locked = Sample.objects.select_for_update().get(pk=sample.pk)
        if not locked.provisional:
            raise SampleCountersignRefused(NOTHING_TO_COUNTERSIGN)
        _refuse_own_or_out_of_scope(locked, registration, actor)
        locked.provisional = False
        locked.countersigned_by, locked.countersigned_at = actor, timezone.now()
        locked.countersign_note = note
        changed = ["provisional", "countersigned_by", "countersigned_at", "countersign_note"]
        locked.save(update_fields=changed)
        readiness_changed(registration)
        audit_append(
            actor=actor,
            action="iqa.sample_countersigned",
            centre_id=centre_id,
            subject=f"sample:{locked.pk}",
            before={"provisional": True},
            after={"provisional": False, "note": note},
        )
    return locked


def _refuse_own_or_out_of_scope(sample: Sample, registration: Registration, actor: User) -> None:
    decided = sample.decisions.values_list("decided_by_id", "countersigned_by_id")
    if any(actor.pk in pair for pair in decided):
        raise SampleCountersignRefused(OWN_WORK)
    if enforced(registration.centre_id) and not competent(
        person_id=actor.pk,
        centre_id=registration.centre_id,
        qualification_id=registration.qualification_id,
        unit_id=sample.unit_id,
        practice=Practice.VERIFYING,
        day=timezone.localdate(),
    ):
        raise SampleCountersignRefused(NOT_COMPETENT.format(unit=sample.unit.code))
