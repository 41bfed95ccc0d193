"""Registering learners and choosing their units. Every write goes through here."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from portal.audit import audit_append, lock_chain
from portal.models import Centre, Role, RoleKind, User
from portal.refusals import Refused
from portfolios.models import Registration, RegistrationStatus, RegistrationUnit
from qualifications.models import Qualification, Unit
from qualifications.rules import check_choice
from qualifications.rules.adapter import rules_for

NOT_ADMIN = "Only a centre admin of this centre may register learners or change their units."
NOT_A = "{person} is not {article} {role} at {centre}."
SAME_PERSON_ASSESSOR_IQA = (
    "The IQA must not be the learner's assessor: an IQA never samples their own decisions."
)
ENDS_BEFORE_START = "The planned end date is before the start date."
NOT_IN_QUALIFICATION = "{code} is not a unit of {title}."
NUMBER_TAKEN = "AO registration number {number} is already used for {title}."
ALREADY_REGISTERED = (
    "{learner} already has an active registration on {title}: a learner is registered on a "
    "qualification once at a time."
)


class RegistrationRejected(Refused):
    """A registration or unit choice the rules do not allow; `messages` say why, one per line."""


@dataclass(frozen=True)
class RegistrationDetails:
    learner: User
    qualification: Qualification
    start_date: datetime.date
    assessor: User | None = None
    iqa: User | None = None
    ao_registration_number: str = ""
    planned_end_date: datetime.date | None = None


def holds(user: User | None, kind: RoleKind, centre: Centre) -> bool:
    return user is not None and Role.objects.filter(user=user, kind=kind, centre=centre).exists()


def require_centre_admin(actor: User, centre: Centre) -> None:
    if not holds(actor, RoleKind.CENTRE_ADMIN, centre):
        raise PermissionDenied(NOT_ADMIN)


def people_problems(
    centre: Centre, details: RegistrationDetails, *, learner_role_given: bool = False
) -> list[str]:
    """What is wrong with the people of a registration, the learner's other registrations on
    the qualification included. With `learner_role_given`, the learner need not hold the
    learner role yet (bulk registration gives it)."""
    problems = []
    for person, kind, article, role in (
        (None if learner_role_given else details.learner, RoleKind.LEARNER, "a", "learner"),
        (details.assessor, RoleKind.ASSESSOR, "an", "assessor"),
        (details.iqa, RoleKind.IQA, "an", "IQA"),
    ):
        if person is not None and not holds(person, kind, centre):
            problems.append(
                NOT_A.format(person=person.full_name, article=article, role=role, centre=centre)
            )
    if details.iqa is not None and details.iqa == details.assessor:
        problems.append(SAME_PERSON_ASSESSOR_IQA)
    if details.planned_end_date and details.planned_end_date < details.start_date:
        problems.append(ENDS_BEFORE_START)
    return problems + already_registered(details)


def already_registered(details: RegistrationDetails) -> list[str]:
    """The learner already has an active registration on the qualification (wherever it is).
    The database enforces it too; this says so in words."""
    learner, qualification = details.learner, details.qualification
    if learner.pk is None:  # someone bulk registration is about to create
        return []
    active = Registration.objects.filter(
        learner=learner, qualification=qualification, status=RegistrationStatus.ACTIVE
    )
    if not active.exists():
        return []
    return [ALREADY_REGISTERED.format(learner=learner.full_name, title=qualification.title)]


def number_taken(details: RegistrationDetails) -> list[str]:
    number, qualification = details.ao_registration_number.strip(), details.qualification
    taken = Registration.objects.filter(qualification=qualification, ao_registration_number=number)
    if not number or not taken.exists():
        return []
    return [NUMBER_TAKEN.format(number=number, title=qualification.title)]


def unit_plan(
    qualification: Qualification, optional: Iterable[str]
) -> tuple[list[Unit], list[str]]:
    """The units of a registration (mandatory ones always included) and, if the choice cannot
    satisfy the rules of combination, why, in the rules engine's words."""
    rules = rules_for(qualification)
    mandatory = {code for g in rules.groups if g.mandatory for code in g.units}
    chosen = set(optional) | mandatory
    problems = [
        NOT_IN_QUALIFICATION.format(code=code, title=qualification.title)
        for code in sorted(chosen - rules.units.keys())
    ]
    if not problems and rules.published:
        choice = check_choice(rules, chosen)
        if not choice.complete:
            problems = choice.explain(rules)
    units = list(Unit.objects.filter(code__in=chosen & rules.units.keys()).order_by("code"))
    return units, problems


@transaction.atomic
def registration_create(
    *, centre: Centre, details: RegistrationDetails, optional_units: Iterable[str], actor: User
) -> Registration:
    """Register a learner on a qualification with a choice of units the rules allow.

    Refused (RegistrationRejected, nothing saved) when a person does not hold the role at the
    centre, the IQA is the assessor, the dates are the wrong way round, the learner already has
    an active registration on the qualification, the AO registration number is taken, or the
    chosen units, once achieved, would not meet the rules of combination.
    """
    require_centre_admin(actor, centre)
    # The centre's chain first (the house order), which also makes the same centre's
    # registrations take turns: the second of two identical requests finds the first's.
    lock_chain(centre.pk)
    units, unit_problems = unit_plan(details.qualification, optional_units)
    problems = people_problems(centre, details) + unit_problems + number_taken(details)
    if problems:
        raise RegistrationRejected(problems)
    registration = _insert(centre, details, actor)
    _save_units(registration, units)
    audit_append(
        actor=actor,
        action="registration.created",
        centre_id=centre.pk,
        subject=f"registration:{registration.pk}",
        after={**registration_facts(registration), "units": sorted(u.code for u in units)},
    )
    return registration


@transaction.atomic
def registration_choose_units(
    *, registration: Registration, optional_units: Iterable[str], actor: User
) -> Registration:
    """Change a registration's optional units, with the same check as at registration."""
    require_centre_admin(actor, registration.centre)
    lock_chain(registration.centre_id)
    Registration.objects.lock(registration, refused=RegistrationRejected)
    units, problems = unit_plan(registration.qualification, optional_units)
    if problems:
        raise RegistrationRejected(problems)
    before = sorted(registration.planned_units.values_list("unit__code", flat=True))
    _save_units(registration, units)
    after = sorted(u.code for u in units)
    if after != before:
        audit_append(
            actor=actor,
            action="registration.units_chosen",
            centre_id=registration.centre_id,
            subject=f"registration:{registration.pk}",
            before={"units": before},
            after={"units": after},
        )
    return registration


def _insert(centre: Centre, details: RegistrationDetails, actor: User) -> Registration:
    """Save the registration. Another centre's request for the same learner and qualification
    (it holds another chain) can still win the race: the database's constraint refuses the
    loser, which is told why in the same words as if it had come second."""
    try:
        with transaction.atomic():  # a savepoint, so the transaction can still ask why
            return Registration.objects.create(
                centre=centre,
                learner=details.learner,
                qualification=details.qualification,
                assessor=details.assessor,
                iqa=details.iqa,
                ao_registration_number=details.ao_registration_number.strip(),
                start_date=details.start_date,
                planned_end_date=details.planned_end_date,
                created_by=actor,
            )
    except IntegrityError:
        problems = already_registered(details) + number_taken(details)
        if problems:
            raise RegistrationRejected(problems) from None
        raise


def registration_facts(registration: Registration) -> dict[str, object]:
    """What the audit log keeps of a registration: who, on what, where, with whom, when."""
    return {
        "learner": registration.learner_id,
        "qualification": registration.qualification.code,
        "centre": registration.centre_id,
        "assessor": registration.assessor_id,
        "iqa": registration.iqa_id,
        "ao_registration_number": registration.ao_registration_number,
        "start_date": registration.start_date,
        "planned_end_date": registration.planned_end_date,
    }


def _save_units(registration: Registration, units: list[Unit]) -> None:
    rules = rules_for(registration.qualification)
    mandatory = {code for g in rules.groups if g.mandatory for code in g.units}
    registration.planned_units.exclude(unit__in=units).delete()
    existing = set(registration.planned_units.values_list("unit_id", flat=True))
    RegistrationUnit.objects.bulk_create(
        RegistrationUnit(registration=registration, unit=unit, mandatory=unit.code in mandatory)
        for unit in units
        if unit.pk not in existing
    )
