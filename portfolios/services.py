"""Registering learners and choosing their units. Every write goes through here."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction

from portal.audit import audit_append
from portal.models import Centre, Role, RoleKind, User
from portal.refusals import Refused
from portfolios.models import Registration, RegistrationUnit
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
    """What is wrong with the people of a registration. With `learner_role_given`, the learner
    need not hold the learner role yet (bulk registration gives it)."""
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
    return problems


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
    centre, the IQA is the assessor, the dates are the wrong way round, or the chosen units,
    once achieved, would not meet the rules of combination.
    """
    require_centre_admin(actor, centre)
    units, unit_problems = unit_plan(details.qualification, optional_units)
    problems = people_problems(centre, details) + unit_problems
    number = details.ao_registration_number.strip()
    if (
        number
        and Registration.objects.filter(
            qualification=details.qualification, ao_registration_number=number
        ).exists()
    ):
        problems.append(NUMBER_TAKEN.format(number=number, title=details.qualification.title))
    if problems:
        raise RegistrationRejected(problems)
    registration = Registration.objects.create(
        centre=centre,
        learner=details.learner,
        qualification=details.qualification,
        assessor=details.assessor,
        iqa=details.iqa,
        ao_registration_number=number,
        start_date=details.start_date,
        planned_end_date=details.planned_end_date,
        created_by=actor,
    )
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
