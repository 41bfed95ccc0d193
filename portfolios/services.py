"""Registering learners and choosing their units. Every write goes through here."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal import identity
from portal.audit import audit_append, lock_chain
from portal.models import AuditEntry, Centre, Role, RoleKind, User
from portal.refusals import Refused
from portfolios.models import (
    Funding,
    PriorLearning,
    PriorLearningItem,
    PriorLearningKind,
    Registration,
    RegistrationStatus,
    RegistrationUnit,
)
from portfolios.notices import (
    allocation_changed,
    registration_withdrawn,
    unit_allocation_changed,
)
from portfolios.readiness import readiness_changed
from qualifications.claim_policy import age_refusal, number_problem, policy_of
from qualifications.lifecycle import registration_refusal
from qualifications.models import Qualification, Unit
from qualifications.rules import Rules, check_choice
from qualifications.rules.adapter import rules_for
from qualifications.rules.versions import current_version, version

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
# Names no learner: a centre must not learn who else is in the portal.
ULN_TAKEN = (
    "ULN {uln} is already recorded for another learner in the portal: the Learning Records "
    "Service gives each learner one ULN, so check it with the learner."
)
SEX_UNKNOWN = "Sex is written M or F, as the awarding organisations take it: not {value!r}."
FUNDING_UNKNOWN = "Funding is funded or non-funded (or not yet known): not {value!r}."
ANONYMISED = "This learner's records are anonymised: their details cannot be changed."
ALREADY_CURRENT = (
    "This registration is already judged by the current rules of combination: there is "
    "nothing to transfer."
)
REASON_NEEDED = "Say why the registration moves to the current rules: the reason is kept."
TRANSFER_REFUSED = (
    "The learner's units cannot meet the current rules of combination (version {number}), so "
    "the registration stays on version {pinned}. Under the current rules:"
)


class RegistrationRejected(Refused):
    """A registration or unit choice the rules do not allow; `messages` say why, one per line."""


@dataclass(frozen=True)
class LearnerIdentity:
    """The learner's identity as awarding organisations register it, as a form or a CSV row
    gives it (normalised by `cleaned`). Blank is "not recorded"."""

    legal_first_names: str = ""
    legal_last_name: str = ""
    date_of_birth: datetime.date | None = None
    sex: str = ""
    postcode: str = ""
    uln: str = ""

    @classmethod
    def of(cls, person: User) -> LearnerIdentity:
        return cls(**{f.name: getattr(person, f.name) for f in fields(cls)})

    def cleaned(self) -> LearnerIdentity:
        return replace(
            self,
            # Composed (NFC): "Á" typed as A and a combining accent is one character, as an
            # AO's template counts it against its 20 and 30.
            legal_first_names=identity.clean_name(self.legal_first_names),
            legal_last_name=identity.clean_name(self.legal_last_name),
            postcode=identity.normalise_postcode(self.postcode),
            uln=identity.normalise_uln(self.uln),
        )

    def over(self, recorded: LearnerIdentity) -> LearnerIdentity:
        """What is recorded, with what this gives put over it: a blank changes nothing (the
        registration form and the CSV file add details; the learner's details page sets all)."""
        given = {f.name: getattr(self, f.name) for f in fields(self)}
        return replace(recorded, **{name: value for name, value in given.items() if value})

    def facts(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def identity_problems(
    given: LearnerIdentity, *, learner: User | None, email: str = ""
) -> list[str]:
    """What is wrong with a learner's identity (already `cleaned`): names over the AOs'
    limits, a date of birth that cannot be a learner's, a postcode or ULN of the wrong shape,
    a ULN another person holds. `learner` is who it is for (None: someone not yet in the
    portal, invited at `email`, whose own account elsewhere, if any, does not count as
    another person: a centre learns nothing of accounts elsewhere)."""
    problems = [
        identity.first_names_problem(given.legal_first_names),
        identity.last_name_problem(given.legal_last_name),
        identity.postcode_problem(given.postcode) if given.postcode else "",
        identity.uln_problem(given.uln) if given.uln else "",
    ]
    if given.date_of_birth is not None:
        today = timezone.localdate()
        problems.append(identity.date_of_birth_problem(given.date_of_birth, today=today))
    if given.sex and given.sex not in identity.Sex.values:
        problems.append(SEX_UNKNOWN.format(value=given.sex))
    if given.uln and not any(problems):
        others = User.objects.filter(uln=given.uln)
        others = others.exclude(pk=learner.pk) if learner and learner.pk else others
        if others.exclude(email=email).exists() if email else others.exists():
            problems.append(ULN_TAKEN.format(uln=given.uln))
    return [p for p in problems if p]


def identity_record(
    *, learner: User, given: LearnerIdentity, centre: Centre, actor: User | None
) -> list[str]:
    """Record a learner's identity (checked already, under the centre's chain): the fields
    that change, audited on the learner's account; returns their names. Another centre's
    change of the same ULN at the same moment loses to the database's constraint, and is
    told so in the same words."""
    before = LearnerIdentity.of(learner).facts()
    after = given.facts()
    changed = [name for name in after if after[name] != before[name]]
    if not changed:
        return []
    for name in changed:
        setattr(learner, name, after[name])
    try:
        with transaction.atomic():
            learner.save(update_fields=changed)
    except IntegrityError:
        if User.objects.filter(uln=given.uln).exclude(pk=learner.pk).exists():
            raise RegistrationRejected(ULN_TAKEN.format(uln=given.uln)) from None
        raise
    audit_append(
        actor=actor,
        action="learner.identity_changed",
        centre_id=centre.pk,
        subject=f"user:{learner.pk}",
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return changed


@dataclass(frozen=True)
class RegistrationDetails:
    learner: User
    qualification: Qualification
    start_date: datetime.date
    assessor: User | None = None
    iqa: User | None = None
    ao_registration_number: str = ""
    planned_end_date: datetime.date | None = None
    funding: str = ""
    # Details of the learner given with the registration, put over what is recorded (`over`).
    identity: LearnerIdentity | None = None

    def identity_to_record(self) -> LearnerIdentity | None:
        if self.identity is None:
            return None
        recorded = (
            LearnerIdentity() if self.learner.pk is None else LearnerIdentity.of(self.learner)
        )
        return self.identity.cleaned().over(recorded)


def holds(user: User | None, kind: RoleKind, centre: Centre | int) -> bool:
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
    if details.funding and details.funding not in Funding.values:
        problems.append(FUNDING_UNKNOWN.format(value=details.funding))
    if (given := details.identity_to_record()) is not None:
        learner = details.learner
        problems += identity_problems(
            given, learner=learner, email="" if learner.pk else learner.email
        )
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


def lifecycle_problems(qualification: Qualification) -> list[str]:
    """Why the qualification takes no registration today (a draft, withdrawn, not yet open or
    past its last registration date), in words: the day counted is the day the centre
    registers the learner, as the awarding organisation counts it (docs/lifecycle.md)."""
    refusal = registration_refusal(qualification, timezone.localdate())
    return [refusal] if refusal else []


def policy_problems(details: RegistrationDetails) -> list[str]:
    """What the awarding organisation's claim policy refuses at registration: a learner under
    its age limit today (by the date of birth given, or else recorded), an AO registration
    number not in its stated format (docs/claim-policy.md). Asked on the same paths as
    `lifecycle_problems`: the form, each CSV row, an invitation accepted."""
    policy = policy_of(details.qualification)
    given = details.identity_to_record()
    born = given.date_of_birth if given is not None else None
    if born is None and details.learner.pk is not None:
        born = details.learner.date_of_birth
    problems = [
        age_refusal(policy, born, timezone.localdate()),
        number_problem(policy, details.ao_registration_number.strip()),
    ]
    return [p for p in problems if p]


def number_taken(details: RegistrationDetails) -> list[str]:
    return numbers_taken(details.qualification, details.ao_registration_number.strip())


def numbers_taken(
    qualification: Qualification, number: str, *, but: Registration | None = None
) -> list[str]:
    """The AO registration number is another registration's on the qualification (`but` this
    one, whose number is being changed)."""
    taken = Registration.objects.filter(qualification=qualification, ao_registration_number=number)
    if but is not None:
        taken = taken.exclude(pk=but.pk)
    if not number or not taken.exists():
        return []
    return [NUMBER_TAKEN.format(number=number, title=qualification.title)]


def unit_plan(
    qualification: Qualification, optional: Iterable[str], rules: Rules | None = None
) -> tuple[list[Unit], list[str]]:
    """The units of a registration (mandatory ones always included) and, if the choice cannot
    satisfy the rules of combination, why, in the rules engine's words. The rules are those a
    registration made now is judged by, unless given (an existing registration's own)."""
    rules = rules_for(qualification) if rules is None else rules
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

    Refused (RegistrationRejected, nothing saved) when the qualification takes no registrations
    today (its lifecycle), the learner is under its awarding organisation's age limit or the AO
    registration number is not in the AO's format (its claim policy), a person does not hold
    the role at the centre, the IQA is the assessor, the dates are the wrong way round, the
    learner already has an active registration on the qualification, the AO registration
    number is taken, or the chosen units, once achieved, would not meet the rules of
    combination.
    """
    require_centre_admin(actor, centre)
    # The centre's chain first (the house order), which also makes the same centre's
    # registrations take turns: the second of two identical requests finds the first's.
    lock_chain(centre.pk)
    units, unit_problems = unit_plan(details.qualification, optional_units)
    problems = (
        lifecycle_problems(details.qualification)
        + policy_problems(details)
        + people_problems(centre, details)
        + unit_problems
        + number_taken(details)
    )
    if problems:
        raise RegistrationRejected(problems)
    if (given := details.identity_to_record()) is not None:
        identity_record(learner=details.learner, given=given, centre=centre, actor=actor)
    registration = _insert(centre, details, actor)
    _save_units(registration, units, rules_for(details.qualification))
    audit_append(
        actor=actor,
        action="registration.created",
        centre_id=centre.pk,
        subject=f"registration:{registration.pk}",
        after={**registration_facts(registration), "units": sorted(u.code for u in units)},
    )
    return registration


@transaction.atomic
def learner_details_change(
    *,
    registration: Registration,
    given: LearnerIdentity,
    funding: str,
    actor: User,
    ao_registration_number: str | None = None,
) -> list[str]:
    """Set the learner's identity (every field, blanks included) and the registration's
    funding and, if given, its AO registration number, as the centre admin of the
    registration's centre. The identity is the person's: a learner registered at two centres
    has one, which either centre may correct; each change is audited in the chain of the
    centre that made it. Refused (nothing changed) with every reason at once; returns what
    changed ("funding" and "ao_registration_number" among the identity's field names)."""
    require_centre_admin(actor, registration.centre)
    lock_chain(registration.centre_id)
    # The learner's row, under the lock every write to the person takes (anonymisation too).
    learner = (
        User.objects.select_for_update(of=("self",))
        .select_related("anonymisation")
        .get(pk=registration.learner_id)
    )
    if hasattr(learner, "anonymisation"):  # the privacy app's, by its reverse relation
        raise RegistrationRejected(ANONYMISED)
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    number = None if ao_registration_number is None else ao_registration_number.strip()
    given = given.cleaned()
    problems = identity_problems(given, learner=learner)
    if funding and funding not in Funding.values:
        problems.append(FUNDING_UNKNOWN.format(value=funding))
    if number is not None and number != locked.ao_registration_number:
        problems += number_problems(locked, number)
    if problems:
        raise RegistrationRejected(problems)
    changed = identity_record(learner=learner, given=given, centre=registration.centre, actor=actor)
    for name, value in (("funding", funding), ("ao_registration_number", number)):
        if value is not None and getattr(locked, name) != value:
            registration_field_change(locked, name, value, actor)
            setattr(registration, name, value)
            changed.append(name)
    if "ao_registration_number" in changed:
        readiness_changed(registration)  # the AO's claim policy may ask for it (decision 28)
    registration.learner = learner
    return changed


def number_problems(registration: Registration, number: str) -> list[str]:
    """What is wrong with a registration's new AO registration number: the AO's format, or
    another registration's on the qualification."""
    qualification = registration.qualification
    problem = number_problem(policy_of(qualification), number)
    return [problem] if problem else numbers_taken(qualification, number, but=registration)


# The audit action of each field of a registration the learner's details page changes.
FIELD_CHANGED = {
    "funding": "registration.funding_changed",
    "ao_registration_number": "registration.ao_number_changed",
}


def registration_field_change(locked: Registration, name: str, value: str, actor: User) -> None:
    """Change one field of a registration held under its lock, audited. Another centre admin's
    taking the same AO number at the same moment loses to the database's constraint, and is
    told so in the same words."""
    audit_append(
        actor=actor,
        action=FIELD_CHANGED[name],
        centre_id=locked.centre_id,
        subject=f"registration:{locked.pk}",
        before={name: getattr(locked, name)},
        after={name: value},
    )
    setattr(locked, name, value)
    try:
        with transaction.atomic():
            locked.save(update_fields=[name])
    except IntegrityError:
        if taken := numbers_taken(locked.qualification, value, but=locked):
            raise RegistrationRejected(taken) from None
        raise


@transaction.atomic
def registration_choose_units(
    *, registration: Registration, optional_units: Iterable[str], actor: User
) -> Registration:
    """Change a registration's optional units, with the same check as at registration."""
    require_centre_admin(actor, registration.centre)
    lock_chain(registration.centre_id)
    locked = Registration.objects.lock(registration, refused=RegistrationRejected)
    # The rules it is pinned to, read under the lock: a transfer may just have moved it.
    rules = locked.rules
    units, problems = unit_plan(registration.qualification, optional_units, rules)
    if problems:
        raise RegistrationRejected(problems)
    before = sorted(registration.planned_units.values_list("unit__code", flat=True))
    _save_units(registration, units, rules)
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
                # The rules it is made under, for as long as it is not transferred.
                pinned_rules_id=current_version(details.qualification).id,
                assessor=details.assessor,
                iqa=details.iqa,
                ao_registration_number=details.ao_registration_number.strip(),
                funding=details.funding,
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
        "funding": registration.funding,
        "start_date": registration.start_date,
        "planned_end_date": registration.planned_end_date,
        "rules_version": registration.rules_version.number,
    }


# A unit leaving the plan while RPL or an exemption holds it (decision 54).
DROPPED_PRIOR = (
    "{unit} is {what} for this learner: withdraw that first, with the reason, before taking "
    "the unit out of their plan."
)
DROPPED_PRIOR_ITEMS = (
    "Some criteria of {unit} are met through RPL for this learner: withdraw that first, with "
    "the reason, before taking the unit out of their plan."
)
DROPPED_SIGNED_OFF = (
    "{unit} is {what} for this learner: a centre admin unlocks the sign-off first, with the "
    "reason, before taking the unit out of their plan."
)
DROPPED_CERTIFIED = (
    "{unit} is on certificate {number}, which is in force: it stays in the learner's plan."
)


def _save_units(registration: Registration, units: list[Unit], rules: Rules) -> None:
    """The plan becomes `units` (under the registration's lock). Refused if a unit leaving it
    is held by RPL or an exemption in force: that record is someone's judgement with its
    evidence, ended only by a withdrawal that keeps who and why (decision 54)."""
    mandatory = {code for g in rules.groups if g.mandatory for code in g.units}
    held = (
        PriorLearning.objects.in_force()
        .filter(registration=registration)
        .exclude(unit__in=units)
        .order_by("unit__code")
        .values_list("unit__code", "unit__title", "kind")
    )
    # And a unit some of whose items are met through RPL.
    items = (
        PriorLearningItem.objects.in_force()
        .filter(registration=registration)
        .exclude(unit__in=units)
        .order_by("unit__code")
        .values_list("unit__code", "unit__title")
        .distinct()
    )
    problems = [
        DROPPED_PRIOR.format(
            unit=f"{code} {title}",
            what="achieved through RPL" if kind == PriorLearningKind.RPL else "exempt",
        )
        for code, title, kind in held
    ] + [DROPPED_PRIOR_ITEMS.format(unit=f"{code} {title}") for code, title in items]
    problems += _dropped_results(registration, units)
    if problems:
        raise RegistrationRejected(problems)
    registration.planned_units.exclude(unit__in=units).delete()
    existing = set(registration.planned_units.values_list("unit_id", flat=True))
    RegistrationUnit.objects.bulk_create(
        RegistrationUnit(registration=registration, unit=unit, mandatory=unit.code in mandatory)
        for unit in units
        if unit.pk not in existing
    )


def _dropped_results(registration: Registration, units: list[Unit]) -> list[str]:
    """Why units leaving the plan cannot leave it: one signed off (achieved once countersigned)
    and not unlocked, or one on a certificate in force (neither replaced, superseded nor
    revoked). Read through the assessment and certification apps' reverse relations, as
    `closed_because` reads the privacy app's: those apps stand above this one."""
    leaving = Unit.objects.filter(pk__in=registration.planned_units.values("unit_id")).exclude(
        pk__in=[u.pk for u in units]
    )
    signed = (
        registration.sign_offs.filter(unlocked_at__isnull=True, unit__in=leaving)
        .order_by("unit__code")
        .values_list("unit__code", "unit__title", "learner_signed_at")
    )
    problems = [
        DROPPED_SIGNED_OFF.format(
            unit=f"{code} {title}", what="signed off" if countersigned is None else "achieved"
        )
        for code, title, countersigned in signed
    ]
    printed = {u.reference or u.code: u for u in leaving}
    in_force = registration.certificates.filter(
        replaced_by__isnull=True, superseded_by__isnull=True, revoked_at__isnull=True
    ).order_by("pk")
    for number, snapshot in in_force.values_list("number", "snapshot"):
        for printed_unit in (snapshot or {}).get("units", []):
            unit = printed.get(printed_unit.get("reference", ""))
            if unit is not None:
                problems.append(
                    DROPPED_CERTIFIED.format(unit=f"{unit.code} {unit.title}", number=number)
                )
    return problems


@transaction.atomic
def registration_transfer_rules(
    *, registration: Registration, reason: str, actor: User
) -> Registration:
    """Move a registration to the current version of its qualification's rules of combination,
    as the centre admin of its centre, for the reason given (kept in the audit log).

    The learner's chosen units go with it, with any unit the current rules make mandatory
    added (and a unit the old rules made mandatory left out if the qualification no longer has
    it); refused (nothing changed) if the registration is closed or already judged by the
    current rules, if no reason is given, or if those units, once achieved, would not meet the
    current rules: then the refusal gives the rules engine's sentences."""
    require_centre_admin(actor, registration.centre)
    lock_chain(registration.centre_id)
    locked = Registration.objects.lock(registration, refused=RegistrationRejected)
    reason = " ".join(reason.split())
    qualification = locked.qualification
    if locked.rules_are_current:
        raise RegistrationRejected(ALREADY_CURRENT)
    if not reason:
        raise RegistrationRejected(REASON_NEEDED)
    target = current_version(qualification)
    pinned = version(locked.pinned_rules_id)
    before = sorted(locked.planned_units.values_list("unit__code", flat=True))
    rules = rules_for(qualification)
    units, problems = transfer_plan(locked, rules)
    if problems:
        heading = TRANSFER_REFUSED.format(number=target.number, pinned=pinned.number)
        raise RegistrationRejected([heading, *problems])
    locked.pinned_rules_id = target.id
    locked.save(update_fields=["pinned_rules"])
    _save_units(locked, units, rules)
    after = sorted(u.code for u in units)
    audit_append(
        actor=actor,
        action="registration.rules_transferred",
        centre_id=locked.centre_id,
        subject=f"registration:{locked.pk}",
        before={"rules_version": pinned.number, "units": before},
        after={"rules_version": target.number, "units": after, "reason": reason},
    )
    readiness_changed(locked)
    registration.pinned_rules_id = target.id
    return registration


def transfer_plan(registration: Registration, rules: Rules) -> tuple[list[Unit], list[str]]:
    """The units a registration would have under `rules` (the current ones), and why they
    could not meet them, if they could not: the units the learner chose go with them, with
    those the rules make mandatory; a unit only the old rules made mandatory goes too while
    the qualification still has it (the learner may have achieved it)."""
    planned = registration.planned_units.values_list("unit__code", "mandatory")
    chosen = [code for code, mandatory in planned if not mandatory or code in rules.units]
    return unit_plan(registration.qualification, chosen, rules)


NOTHING_CHANGED = "The assessor and IQA are already as chosen: nothing changed."
SELF_ALLOCATED = "{person} is the learner: nobody assesses or quality-assures themselves."
WITHDRAW_REASON_NEEDED = "Give the reason: it is kept with the registration's history."
TRANSFER_WAITING = "A transfer to {centre} is waiting: cancel or decline it first."


@transaction.atomic
def registration_staff_change(
    *, registration: Registration, assessor: User | None, iqa: User | None, actor: User
) -> Registration:
    """Change the learner's assessor or IQA on a registration, as the centre admin of its
    centre, from the centre's assessors (trainees too) and IQAs; audited, and the people
    given and relieved are told. The new assessor finds the learner in their caseload and the
    old one no longer sees them. Refused (nothing changed) if the registration is closed, if
    nothing would change, or if a person newly chosen does not hold that role at the centre."""
    require_centre_admin(actor, registration.centre)
    lock_chain(registration.centre_id)
    locked = Registration.objects.lock(registration, refused=RegistrationRejected)
    before = {"assessor_id": locked.assessor_id, "iqa_id": locked.iqa_id}
    after = {"assessor_id": assessor.pk if assessor else None, "iqa_id": iqa.pk if iqa else None}
    if before == after:
        raise RegistrationRejected(NOTHING_CHANGED)
    centre = locked.centre
    problems = []
    for field, person, kind, article, role in (
        ("assessor_id", assessor, RoleKind.ASSESSOR, "an", "assessor"),
        ("iqa_id", iqa, RoleKind.IQA, "an", "IQA"),
    ):
        if person is None or before[field] == person.pk:
            continue  # kept as it is (even one who has left since): only a change is checked
        if person.pk == locked.learner_id:
            problems.append(SELF_ALLOCATED.format(person=person.full_name))
        elif not holds(person, kind, centre):
            problems.append(
                NOT_A.format(person=person.full_name, article=article, role=role, centre=centre)
            )
    if assessor is not None and assessor == iqa:
        problems.append(SAME_PERSON_ASSESSOR_IQA)
    elif iqa is not None and iqa.pk != before["iqa_id"]:
        problems += iqa_assesses_a_unit(locked, iqa)
    if problems:
        raise RegistrationRejected(problems)
    locked.assessor, locked.iqa = assessor, iqa
    locked.save(update_fields=["assessor", "iqa"])
    entry = audit_append(
        actor=actor,
        action="registration.staff_changed",
        centre_id=locked.centre_id,
        subject=f"registration:{locked.pk}",
        before={"assessor": before["assessor_id"], "iqa": before["iqa_id"]},
        after={"assessor": after["assessor_id"], "iqa": after["iqa_id"]},
    )
    allocation_changed(locked, before, entry, actor)
    return locked


@transaction.atomic
def registration_withdraw(*, registration: Registration, reason: str, actor: User) -> Registration:
    """Withdraw the learner's registration, as the centre admin of its centre, for the reason
    given (kept in the audit log). It is closed from then on: `Registration.objects.lock`
    refuses every write that would add to it, and it leaves the claims page (its readiness is
    marked to be worked out again). Its records are kept, and the learner may be registered on
    the qualification again. Refused if it is closed already, no reason is given or a transfer
    of it waits (cancelled or declined first)."""
    require_centre_admin(actor, registration.centre)
    lock_chain(registration.centre_id)
    locked = Registration.objects.lock(registration, refused=RegistrationRejected)
    reason = " ".join(reason.split())
    if not reason:
        raise RegistrationRejected(WITHDRAW_REASON_NEEDED)
    # A withdrawn registration accepted elsewhere would arrive closed (decision 40). Transfers
    # live above this floor: they are reached through the reverse relation, by their status.
    waiting = locked.transfers.filter(status="pending").select_related("to_centre").first()
    if waiting is not None:
        raise RegistrationRejected(TRANSFER_WAITING.format(centre=waiting.to_centre))
    locked.status = RegistrationStatus.WITHDRAWN
    locked.save(update_fields=["status"])
    audit_append(
        actor=actor,
        action="registration.withdrawn",
        centre_id=locked.centre_id,
        subject=f"registration:{locked.pk}",
        before={"status": RegistrationStatus.ACTIVE},
        after={"status": RegistrationStatus.WITHDRAWN, "reason": reason},
    )
    readiness_changed(locked)
    registration_withdrawn(locked, reason, actor)
    return locked


@dataclass(frozen=True)
class Withdrawal:
    at: datetime.datetime
    by: str
    reason: str


def withdrawals_of(registrations: Iterable[Registration]) -> dict[int, Withdrawal]:
    """When, by whom and why each withdrawn registration given was withdrawn, as its audit
    entry keeps it: one query for those withdrawn, none when none is (a withdrawal is never
    undone, and only `registration_withdraw` writes the entry)."""
    subjects = {
        f"registration:{r.pk}": r.pk
        for r in registrations
        if r.status == RegistrationStatus.WITHDRAWN
    }
    if not subjects:
        return {}
    entries = AuditEntry.objects.filter(
        subject__in=subjects, action="registration.withdrawn"
    ).select_related("actor")
    return {
        subjects[e.subject]: Withdrawal(
            e.at, e.actor.full_name if e.actor else "", (e.after or {}).get("reason", "")
        )
        for e in entries.order_by("pk")
    }


UNIT_NOTHING_CHANGED = "{unit} already has this assessor: nothing changed."
UNIT_NOT_PLANNED = "That unit is not in this registration's plan."
IQA_ASSESSES_A_UNIT = (
    "{person} assesses {unit} of this registration: the IQA must not be one of the learner's "
    "assessors, since an IQA never samples their own decisions."
)


def iqa_assesses_a_unit(registration: Registration, iqa: User) -> list[str]:
    """The IQA chosen is the assessor of one of the registration's units."""
    theirs = registration.planned_units.filter(assessor=iqa).select_related("unit").first()
    if theirs is None:
        return []
    return [IQA_ASSESSES_A_UNIT.format(person=iqa.full_name, unit=theirs.unit)]


def unit_assessor_problems(registration: Registration, assessor: User) -> list[str]:
    """Why `assessor` cannot be given a unit of the registration: the learner, not an active
    assessor of its centre, or its IQA."""
    centre = registration.centre
    if assessor.pk == registration.learner_id:
        return [SELF_ALLOCATED.format(person=assessor.full_name)]
    if not assessor.is_active or not holds(assessor, RoleKind.ASSESSOR, centre):
        return [
            NOT_A.format(person=assessor.full_name, article="an", role="assessor", centre=centre)
        ]
    if assessor.pk == registration.iqa_id:
        return [SAME_PERSON_ASSESSOR_IQA]
    return []


@transaction.atomic
def registration_unit_assessor_change(
    *, registration: Registration, unit: Unit, assessor: User | None, actor: User
) -> RegistrationUnit:
    """Give one unit of the learner's plan its own assessor, change it, or (None) give it back
    to the registration's assessor, as the centre admin of its centre (decision 39). From then
    on only the unit's assessor decides its items, reviews mappings to it and signs it off; the
    learner is in their caseload. Audited; the assessor who had the unit, the one who has it
    now and the learner are told. Refused (nothing changed) if the registration is closed, the
    unit is not in its plan, nothing would change (the person chosen assesses the unit already,
    as its own assessor or as the registration's), or the person is the learner, its IQA, or
    not an active assessor of the centre."""
    require_centre_admin(actor, registration.centre)
    lock_chain(registration.centre_id)
    locked = Registration.objects.lock(registration, refused=RegistrationRejected)
    planned = (
        locked.planned_units.select_for_update(of=("self",))
        .select_related("unit")
        .filter(unit=unit)
        .first()
    )
    if planned is None:
        raise RegistrationRejected(UNIT_NOT_PLANNED)
    before = planned.assessor_id
    chosen = assessor.pk if assessor else None
    # The person who assesses the unit already: its own assessor, or the registration's when
    # it has none (choosing them would only copy the default into the unit and tell people).
    if chosen == before or (before is None and chosen == locked.assessor_id):
        raise RegistrationRejected(UNIT_NOTHING_CHANGED.format(unit=planned.unit))
    if assessor is not None and (problems := unit_assessor_problems(locked, assessor)):
        raise RegistrationRejected(problems)
    planned.assessor = assessor
    planned.save(update_fields=["assessor"])
    entry = audit_append(
        actor=actor,
        action="registration.unit_assessor_changed",
        centre_id=locked.centre_id,
        subject=f"registration:{locked.pk}",
        before={"unit": planned.unit.code, "assessor": before},
        after={"unit": planned.unit.code, "assessor": planned.assessor_id},
    )
    unit_allocation_changed(locked, planned, before or locked.assessor_id, entry, actor)
    return planned
