"""A unit signed off by someone the specification would not accept waits for a qualified,
competent assessor's countersignature before the learner may countersign it (decision 53).

As decisions are (decision 49), a sign-off is *provisional* when its signer is a trainee
assessor, or, at a centre enforcing its competence register, holds no current assessor award
covering the unit. A provisional sign-off is kept and locks the unit's decisions like any
other, but the unit is not achieved: the learner cannot countersign it until a qualified
(not trainee) assessor of the centre, neither its signer nor the learner, and competent for
the unit where the register is enforced, countersigns it (`sign_off_countersign`). The
countersigning page lists the sign-offs waiting for the user (`awaiting_sign_offs`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from assessment import notices
from assessment.countersigner import Countersigner, countersigner_of
from assessment.models import UnitSignOff
from competence.models import Practice
from competence.standing import enforced, scope_of
from portal.audit import audit_append, lock_chain
from portal.compiled import compiled_once
from portal.models import Role, RoleKind, User
from portal.refusals import Refused
from portfolios.models import Registration, still_open
from qualifications.models import Unit

AWAITS_ASSESSOR = (
    "This sign-off awaits a qualified assessor's countersignature: {why} You can countersign "
    "the unit once a qualified assessor competent for it has countersigned the sign-off."
)
WHY_TRAINEE = "it was made by a trainee assessor."
WHY_OUT_OF_SCOPE = (
    "its assessor has no current assessor award covering this unit in the centre's competence "
    "register."
)
NOT_A_SIGN_OFF_COUNTERSIGNER = (
    "Only a qualified assessor of the centre, other than the one who signed the unit off and "
    "the learner, can countersign a sign-off."
)
NOT_COMPETENT_FOR_SIGN_OFF = (
    "Unit {unit} is outside the scope of your current assessor awards in the centre's "
    "competence register: an assessor competent for it countersigns its sign-off."
)
NOTHING_TO_COUNTERSIGN = (
    "This sign-off is not waiting for a countersignature: it was countersigned or unlocked."
)


class SignOffRefused(Refused):
    """A countersignature of a sign-off (the learner's or an assessor's) that cannot be made."""


def sign_off_provisional(registration: Registration, unit_id: int, actor: User) -> bool:
    """Whether the actor's sign-off of the unit is provisional: they sign as a trainee, or the
    centre enforces its register and no current assessor award of theirs covers the unit. Read
    under the registration's lock by the sign-off."""
    trainee = Role.objects.filter(
        user=actor, centre_id=registration.centre_id, kind=RoleKind.ASSESSOR, is_trainee=True
    ).exists()
    if trainee:
        return True
    if not enforced(registration.centre_id):
        return False
    scope = scope_of(actor.pk, registration.centre_id, Practice.ASSESSING, timezone.localdate())
    return not scope.covers(registration.qualification_id, unit_id)


def refuse_while_provisional(sign_off: UnitSignOff) -> None:
    """The learner countersigns only a sign-off that counts: refused, saying why, while it
    awaits an assessor's countersignature. `sign_off` is the locked row."""
    if sign_off.provisional:
        trainee = Role.objects.filter(
            user_id=sign_off.signed_by_id,
            centre_id=sign_off.registration.centre_id,
            kind=RoleKind.ASSESSOR,
            is_trainee=True,
        ).exists()
        why = WHY_TRAINEE if trainee else WHY_OUT_OF_SCOPE
        raise SignOffRefused(AWAITS_ASSESSOR.format(why=why))


def _qualified_centres(user: User) -> set[int]:
    return set(
        Role.objects.filter(user=user, kind=RoleKind.ASSESSOR, is_trainee=False).values_list(
            "centre_id", flat=True
        )
    )


def may_countersign(sign_off: UnitSignOff, user: User) -> bool:
    """Whether `user` may countersign the provisional sign-off (for the sign-off page)."""
    try:
        _refuse_countersigner(sign_off, sign_off.registration, user)
    except (PermissionDenied, SignOffRefused):
        return False
    return sign_off.awaits_countersignature


def _refuse_countersigner(sign_off: UnitSignOff, registration: Registration, actor: User) -> None:
    if registration.centre_id not in _qualified_centres(actor) or actor.pk in (
        sign_off.signed_by_id,
        registration.learner_id,
    ):
        raise PermissionDenied(NOT_A_SIGN_OFF_COUNTERSIGNER)
    if enforced(registration.centre_id):
        scope = scope_of(actor.pk, registration.centre_id, Practice.ASSESSING, timezone.localdate())
        if not scope.covers(registration.qualification_id, sign_off.unit_id):
            raise SignOffRefused(NOT_COMPETENT_FOR_SIGN_OFF.format(unit=sign_off.unit.code))


def sign_off_countersign(*, sign_off: UnitSignOff, actor: User) -> UnitSignOff:
    """A qualified assessor competent for the unit countersigns a provisional sign-off: it then
    counts, and the learner is asked to countersign it. Sent twice, the second is refused and
    changes nothing."""
    registration = sign_off.registration
    with transaction.atomic():
        lock_chain(registration.centre_id)
        locked_registration = Registration.objects.lock(registration, refused=SignOffRefused)
        locked = (
            UnitSignOff.objects.select_for_update()
            .select_related("unit", "registration__learner")
            .get(pk=sign_off.pk)
        )
        _refuse_countersigner(locked, locked_registration, actor)
        if not locked.awaits_countersignature:
            raise SignOffRefused(NOTHING_TO_COUNTERSIGN)
        locked.provisional = False
        locked.countersigned_by, locked.countersigned_at = actor, timezone.now()
        locked.save(update_fields=["provisional", "countersigned_by", "countersigned_at"])
        audit_append(
            actor=actor,
            action="unit.sign_off_countersigned",
            centre_id=registration.centre_id,
            subject=f"sign_off:{locked.pk}",
            before={"registration": registration.pk, "unit": locked.unit_id, "provisional": True},
            after={"provisional": False, "countersigned_by": actor.pk},
        )
        notices.unit_signed_off(locked)  # the learner: countersign it now
    return locked


@compiled_once
def _waiting_rows(user_id: int, centres: list[int]) -> QuerySet[UnitSignOff, Any]:
    """`_waiting_sign_offs` as `sign_offs_waiting` counts them, by SQL compiled once per
    process (`portal.compiled`): built and compiled each time, this count of what is nearly
    always nothing cost more Python than PostgreSQL spends answering it."""
    return _waiting_sign_offs(User(pk=user_id), centres).values_list(
        "registration__centre_id", "registration__qualification_id", "unit_id"
    )


def _waiting_sign_offs(user: User, centres: Collection[int]) -> QuerySet[UnitSignOff]:
    """The provisional sign-offs at these centres (the countersigner's), on open registrations,
    neither signed by them nor theirs as learner (their scopes not applied yet)."""
    return (
        UnitSignOff.objects.filter(
            provisional=True,
            unlocked_at__isnull=True,
            registration__centre__in=sorted(centres),
        )
        .filter(still_open("registration__"))
        .exclude(signed_by=user)
        .exclude(registration__learner=user)
    )


def awaiting_sign_offs(user: User, countersigner: Countersigner | None = None) -> list[UnitSignOff]:
    """The provisional sign-offs `user` may countersign, oldest first: at the centres where
    they are a qualified assessor, on open registrations, neither signed by them nor theirs as
    learner, and (where the centre enforces its register) in units their awards cover. Two
    queries whatever there is: the user's centres and scopes (`countersigner_of`, unless the
    caller has read them), then the sign-offs."""
    countersigner = countersigner or countersigner_of(user)
    if not countersigner.centres:
        return []
    # By SQL compiled once per process (`portal.compiled`), as rows made into the objects the
    # page reads (the sign-off, its learner, unit and signer): built with `select_related` at
    # each request, the query cost several milliseconds of Python for a list nearly always
    # empty (issue 17, sixth round).
    return [
        _sign_off_of(row)
        for row in _waiting_listed(user.pk, sorted(countersigner.centres))
        if countersigner.covers(row[3], row[4], row[2])
    ]


# What the countersigning page shows of a sign-off waiting (`_sign_off_of`).
LISTED = (
    "pk",
    "registration_id",
    "unit_id",
    "registration__centre_id",
    "registration__qualification_id",
    "registration__learner_id",
    "registration__learner__full_name",
    "unit__code",
    "unit__title",
    "signed_by_id",
    "signed_by__full_name",
    "signed_at",
)


@compiled_once
def _waiting_listed(user_id: int, centres: list[int]) -> QuerySet[UnitSignOff, Any]:
    return (
        _waiting_sign_offs(User(pk=user_id), centres)
        .order_by("signed_at", "pk")
        .values_list(*LISTED)
    )


def _sign_off_of(row: tuple[Any, ...]) -> UnitSignOff:
    """A sign-off with its registration (and learner), unit and signer, from a row of `LISTED`:
    what the page reads of them, no more."""
    (pk, registration, unit, centre, qualification, learner, learner_name, code, title,
     signed_by, signer_name, signed_at) = row  # fmt: skip
    sign_off = UnitSignOff(pk=pk, registration_id=registration, unit_id=unit, signed_at=signed_at)
    sign_off.signed_by = User(pk=signed_by, full_name=signer_name)
    sign_off.unit = Unit(pk=unit, code=code, title=title)
    sign_off.registration = Registration(
        pk=registration, centre_id=centre, qualification_id=qualification, learner_id=learner
    )
    sign_off.registration.learner = User(pk=learner, full_name=learner_name)
    return sign_off


def sign_offs_waiting(user: User, countersigner: Countersigner) -> int:
    """How many sign-offs `awaiting_sign_offs` lists, read as narrow rows (for the to-do list):
    one query. Loaded with their learner, qualification, unit and signer, the same read cost
    about as much Python and planning as the rest of the to-do, for a count that is nearly
    always nothing."""
    if not countersigner.centres:
        return 0
    found = _waiting_rows(user.pk, sorted(countersigner.centres))
    return sum(
        1
        for centre, qualification, unit in found
        if countersigner.covers(centre, qualification, unit)
    )
