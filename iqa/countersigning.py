"""A trainee IQA's samples, and at a centre enforcing its competence register those by an IQA
no current IQA award of theirs covers the unit for, are countersigned by a qualified IQA
(decision 49). Until then the sample is recorded and locks its decisions, but counts for no
plan item and no claim (`counts_for_item`, `selectors`)."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from assessment.countersigner import Countersigner, countersigner_of
from assessment.models import Decision
from competence.models import CompetenceEntry, Practice, RegisterEnforced, awards_for
from competence.standing import Scope, competent, enforced, scope_where_enforced, scopes_at
from iqa.models import Sample
from portal.audit import audit_append, lock_chain
from portal.models import Centre, Role, RoleKind, User
from portal.refusals import Refused
from portfolios.models import Registration, still_open_sql
from portfolios.readiness import readiness_changed
from qualifications.models import Unit

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
    return trainee_iqa(actor, registration) or out_of_scope_iqa(actor, registration, unit_id)


def trainee_iqa(actor: User, registration: Registration) -> bool:
    return Role.objects.filter(
        user=actor, centre_id=registration.centre_id, kind=RoleKind.IQA, is_trainee=True
    ).exists()


def out_of_scope_iqa(actor: User, registration: Registration, unit_id: int) -> bool:
    """The centre enforces its register and no current IQA award of the actor's covers the unit
    or its qualification: whether it enforces and what the awards cover read in one query
    (`scope_where_enforced`, SQL: the ORM's union of three querysets cost the sample form
    about 3 ms of Python for a query PostgreSQL answers in 0.1 ms)."""
    scope = scope_where_enforced(
        actor.pk, registration.centre_id, Practice.VERIFYING, timezone.localdate()
    )
    return scope is not None and not scope.covers(registration.qualification_id, unit_id)


# What the IQA is told before and after recording a sample that will be (is) provisional, and
# who can countersign it; the words follow the assessor's (`assessment.provisional`).
BECAUSE_TRAINEE_IQA = "you sample as a trainee IQA"
BECAUSE_OUT_OF_SCOPE_IQA = (
    "your current IQA awards in the centre's competence register do not cover unit {unit}"
)
SAMPLE_WAITS_FOR = (
    "waits for a countersignature by a qualified IQA competent for this unit, and until then "
    "counts for no plan item and no claim"
)
WHO_CAN_IQA = "At the centre, {names} can countersign it."
NOBODY_CAN_IQA = (
    "Nobody at the centre can countersign it at present: no other qualified IQA has a current "
    "award covering this unit. Ask your centre admin to record one in the competence register."
)
SAMPLE_WILL_BE = "Your sample will be provisional because {why}: it {waits}. {who}"
SAMPLE_RECORDED_PROVISIONALLY = (
    "The sample is recorded provisionally because {why}: it {waits}. {who}"
)


def sample_because(
    actor: User, registration: Registration, unit_id: int, code: str, trainee: bool | None = None
) -> str:
    """Why the actor's sample of the unit is (will be) provisional, or "" (`sample_provisional`):
    whether they are a trainee IQA there is read once, unless the caller knows (`trainee`)."""
    if trainee_iqa(actor, registration) if trainee is None else trainee:
        return BECAUSE_TRAINEE_IQA
    if out_of_scope_iqa(actor, registration, unit_id):
        return BECAUSE_OUT_OF_SCOPE_IQA.format(unit=code)
    return ""


def iqa_countersigners(
    registration: Registration, unit_id: int, *, besides: Collection[int]
) -> list[str]:
    """The names of the qualified IQAs of the centre who could countersign a sample of the unit:
    not the people `besides` (who sampled, decided or countersigned its decisions), the learner
    or the registration's assessor, and where the register is enforced with a current IQA
    award covering the unit or its qualification."""
    found = (
        User.objects.filter(
            roles__centre_id=registration.centre_id,
            roles__kind=RoleKind.IQA,
            roles__is_trainee=False,
        )
        .exclude(pk__in=[*besides, registration.learner_id, registration.assessor_id or 0])
        .order_by("full_name", "pk")
    )
    if enforced(registration.centre_id):
        covering = (
            CompetenceEntry.objects.current_on(timezone.localdate())
            .filter(centre_id=registration.centre_id, award__in=awards_for(Practice.VERIFYING))
            .filter(Q(qualifications=registration.qualification_id) | Q(units=unit_id))
        )
        found = found.filter(pk__in=covering.values("person_id"))
    return list(dict.fromkeys(found.values_list("full_name", flat=True)))


def who_can_iqa(names: Sequence[str]) -> str:
    if not names:
        return NOBODY_CAN_IQA
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return WHO_CAN_IQA.format(names=listed)


def sample_notice(
    actor: User, registration: Registration, unit_id: int, code: str, *, trainee: bool
) -> str:
    """What the sample form says before recording, where the sample will be provisional:
    `trainee`, whether the actor is a trainee IQA at the registration's centre, as the page
    knows from the roles it read."""
    why = sample_because(actor, registration, unit_id, code, trainee)
    if not why:
        return ""
    who = who_can_iqa(iqa_countersigners(registration, unit_id, besides=[actor.pk]))
    return SAMPLE_WILL_BE.format(why=why, waits=SAMPLE_WAITS_FOR, who=who)


def sample_recorded_message(sample: Sample, code: str) -> str:
    """What the IQA is told once their sample is recorded provisionally."""
    registration = sample.registration
    why = sample_because(sample.sampled_by, registration, sample.unit_id, code)
    besides = {sample.sampled_by_id, sample.assessor_id}
    for decided, countersigned in sample.decisions.values_list(
        "decided_by_id", "countersigned_by_id"
    ):
        besides.update(p for p in (decided, countersigned) if p)
    who = who_can_iqa(iqa_countersigners(registration, sample.unit_id, besides=besides))
    return SAMPLE_RECORDED_PROVISIONALLY.format(
        why=why or "it needs a countersignature", waits=SAMPLE_WAITS_FOR, who=who
    )


@dataclass(frozen=True)
class StrandedSample:
    """A provisional sample nobody at the centre can countersign, named for the centre admin."""

    sample_id: int
    unit: str
    learner: str
    sampled_by: str

    @property
    def words(self) -> str:
        return f"{self.unit} of {self.learner} (sampled by {self.sampled_by})"


def stranded_samples(centre: Centre) -> list[StrandedSample]:
    """The provisional samples on the centre's open registrations that no qualified IQA of the
    centre may countersign (`countersignable_by`'s rule, read for everyone at once): for the
    centre admin's to-do list. A fixed number of queries whatever their number: the samples,
    their decisions' people, the qualified IQAs, the switch and where enforced the scopes."""
    # Written as SQL (decision 66): built by the ORM, this one query cost some 4,000 Python
    # calls on every view of the admin's home, where there is most often no sample to find.
    still, params = still_open_sql("r")
    users = User._meta.db_table
    sql = (
        "SELECT s.id, s.unit_id, un.code, r.qualification_id, r.learner_id, lu.full_name,"
        " r.assessor_id, s.assessor_id, s.sampled_by_id, bu.full_name"
        f" FROM {Sample._meta.db_table} s JOIN {Registration._meta.db_table} r"
        " ON r.id = s.registration_id"
        f" JOIN {users} lu ON lu.id = r.learner_id JOIN {users} bu ON bu.id = s.sampled_by_id"
        f" JOIN {Unit._meta.db_table} un ON un.id = s.unit_id"
        f" WHERE s.provisional AND r.centre_id = %s AND {still} ORDER BY s.sampled_at, s.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [centre.pk, *params])
        samples = cursor.fetchall()
    if not samples:
        return []
    involved: dict[int, set[int]] = {}
    through = Sample.decisions.through.objects.filter(sample_id__in=[s[0] for s in samples])
    for sample_id, decided, countersigned in through.values_list(
        "sample_id", "decision__decided_by_id", "decision__countersigned_by_id"
    ):
        involved.setdefault(sample_id, set()).update((decided, countersigned))
    qualified = set(
        Role.objects.filter(centre=centre, kind=RoleKind.IQA, is_trainee=False).values_list(
            "user_id", flat=True
        )
    )
    scopes = (
        scopes_at(centre.pk, Practice.VERIFYING, timezone.localdate())
        if enforced(centre.pk)
        else None
    )
    found = []
    for pk, unit, code, qualification, learner, name, assessor, s_assessor, by, by_name in samples:
        excluded = {learner, assessor, s_assessor, by} | involved.get(pk, set())
        if not any(
            person not in excluded
            and (scopes is None or scopes.get(person, Scope()).covers(qualification, unit))
            for person in qualified
        ):
            found.append(StrandedSample(pk, code, name, by_name))
    return found


def iqa_countersigner_of(user: User) -> Countersigner:
    """The centres where the user is a qualified IQA and, at those enforcing their register,
    what their current IQA awards cover: one query (`countersigner_of`)."""
    return countersigner_of(user, kind=RoleKind.IQA, practice=Practice.VERIFYING)


def countersignable_by(user: User, countersigner: Countersigner | None = None) -> Q:
    """The provisional samples `user` may countersign, as a condition on samples (read in the
    query, whatever their number): at a centre where they are a qualified IQA; not their own
    sample; not on a registration where they are the learner or the assessor, nor of the
    decisions of a sample where they decided or countersigned any; and at a centre enforcing
    its competence register, on a unit their current IQA awards cover (decision 49).

    The centres and scopes are read first (`iqa_countersigner_of`, a query, unless the caller
    has read them) and written in as values: as subqueries (`in_scope_where_enforced`)
    PostgreSQL tested them on every provisional sample of the portal (decision 58)."""
    countersigner = countersigner or iqa_countersigner_of(user)
    return not_their_own(user) & countersigner.samples_in_scope()


def not_their_own(user: User) -> Q:
    """Provisional samples not taken by the user, not on a registration where they are the
    learner or the assessor, nor of decisions they decided or countersigned."""
    own_work = Decision.objects.filter(samples=OuterRef("pk")).filter(
        Q(decided_by=user) | Q(countersigned_by=user)
    )
    return Q(
        ~Exists(own_work),
        ~Q(sampled_by=user),
        ~Q(registration__learner=user),
        ~Q(registration__assessor=user),
        ~Q(assessor=user),
        provisional=True,
    )


def waiting_at(user: User, centre_id: int, day: datetime.date | None = None) -> QuerySet[Sample]:
    """The provisional samples at one centre where the user is a qualified IQA (the caller
    knows: the role they act in) that they may countersign, for the to-do's count in the same
    single query as before: with the centre a value, whether it enforces its register is read
    once (an uncorrelated subquery) and their awards' scope only on the centre's provisional
    samples (`sample_awaiting_countersign`), not on every one of the portal's. `day`: the day
    their awards must be current on, today (`timezone.localdate`) unless given."""
    current = CompetenceEntry.objects.current_on(day or timezone.localdate()).filter(
        person_id=user.pk, award__in=awards_for(Practice.VERIFYING), centre_id=centre_id
    )
    in_scope = (
        ~Exists(RegisterEnforced.objects.filter(centre_id=centre_id))
        | Exists(current.filter(qualifications=OuterRef("registration__qualification_id")))
        | Exists(current.filter(units=OuterRef("unit_id")))
    )
    return Sample.objects.filter(registration__centre_id=centre_id).filter(
        not_their_own(user) & in_scope
    )


def awaiting_iqa_countersignature(
    user: User, countersigner: Countersigner | None = None
) -> QuerySet[Sample]:
    """The provisional samples `user` may countersign (`countersignable_by`)."""
    return (
        Sample.objects.filter(countersignable_by(user, countersigner))
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
