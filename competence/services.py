"""Writes to the competence register, by the centre's admin: each under the centre's audit
chain, with an audit entry, as every service writes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from competence.models import (
    OTHER_AWARDS,
    Award,
    CompetenceEntry,
    EntryStatus,
    RegisterEnforced,
)
from portal.audit import audit_append, lock_chain
from portal.models import Centre, Role, RoleKind, User
from portal.refusals import Refused
from qualifications.models import Qualification, Unit
from qualifications.requirements import SimulationRule

ONLY_THE_ADMIN = "Only a centre admin of the centre keeps its competence register."
NOT_PRACTITIONER = "Only the centre's assessors and IQAs have entries in its competence register."
TITLE_NEEDED = "Give the award's title: it is not one of those listed."
ACHIEVED_NEEDED = "Give the date the award was achieved."
DEADLINE_NEEDED = "Give the date by which they should achieve it."
SCOPE_NEEDED = "Choose at least one qualification or unit they may assess or verify."
EXPIRES_BEFORE = "The award cannot expire before it was achieved."
ACHIEVED_FUTURE = "The award cannot be achieved after today."
OWN_ENTRY = (
    "You cannot record your own competence: another centre admin of {centre} records it for you."
)
# Seed 001, lines 117-122: assessors "for competence-based units or qualifications will normally
# need to hold appropriate assessor or verifier qualifications, such as: Award in Assessing
# Competence in the Work Environment; Award in Assessing Vocationally Related Achievement;
# Certificate in Assessing Vocational Achievement ...". Which is appropriate is the unit's own
# rule: where its performance evidence must come from real work ("Simulation is not allowed
# for any performance evidence within this unit"), its assessor assesses competence in the work
# environment, which the award for vocationally related achievement does not (decision 49,
# amended on 7 December 2026).
VRA_NOT_FOR_WORK = (
    "The Award in Assessing Vocationally Related Achievement does not qualify its holder to "
    "assess units whose evidence must come from real work: {units}. Seed 001 asks for an "
    "“appropriate” assessor qualification for “competence-based units or qualifications”, "
    "and these units say: “{quote}”. Record the Award in Assessing Competence in the Work "
    "Environment or the Certificate in Assessing Vocational Achievement for them, and keep "
    "this award's scope to units assessed otherwise."
)
ENDED = "This entry was ended on {day}: record a new one instead."
REASON_NEEDED = "Say why the entry ends: it is kept with the entry."
ALREADY_ENFORCED = "The register is already enforced at {centre}."
NOT_ENFORCED = "The register is not enforced at {centre}."


class CompetenceRefused(Refused):
    """A register change that cannot be made as asked; `field` names the form's field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class EntryDetails:
    award: str
    status: str
    title: str = ""
    achieved_on: datetime.date | None = None
    certificate_reference: str = ""
    expires_on: datetime.date | None = None
    deadline: datetime.date | None = None
    qualifications: list[Qualification] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)


def entry_problems(details: EntryDetails, today: datetime.date) -> list[tuple[str, str]]:
    """What is wrong with the details, each (field, message): the form shows each under its
    field, and the service refuses the first."""
    problems = []
    if details.award in OTHER_AWARDS and not details.title.strip():
        problems.append(("title", TITLE_NEEDED))
    if details.status == EntryStatus.HELD:
        if details.achieved_on is None:
            problems.append(("achieved_on", ACHIEVED_NEEDED))
        elif details.achieved_on > today:
            problems.append(("achieved_on", ACHIEVED_FUTURE))
        elif details.expires_on is not None and details.expires_on < details.achieved_on:
            problems.append(("expires_on", EXPIRES_BEFORE))
    if details.status == EntryStatus.WORKING_TOWARDS and details.deadline is None:
        problems.append(("deadline", DEADLINE_NEEDED))
    if not details.qualifications and not details.units:
        problems.append(("qualifications", SCOPE_NEEDED))
    elif details.award == Award.ASSESSING_VRA:
        problems += vra_problems(details)
    return problems


def vra_problems(details: EntryDetails) -> list[tuple[str, str]]:
    """A VRA award's scope may not hold a unit assessed in the work environment (its rule
    forbids simulated performance evidence), named directly or through a qualification: one
    query for each, under the field that named it."""
    problems = []
    scopes = [
        ("qualifications", details.qualifications, "unit__memberships__qualification__in"),
        ("units", details.units, "unit__in"),
    ]
    for name, chosen, path in scopes:
        if not chosen:
            continue
        scope = Q(**{path: chosen})
        rules = list(
            SimulationRule.objects.filter(scope, element="", allowed=False)
            .select_related("unit")
            .distinct()
            .order_by("unit__code")
        )
        if rules:
            named = sorted({f"{r.unit.code} {r.unit.title}" for r in rules})
            units = ", ".join(named[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "")
            problems.append((name, VRA_NOT_FOR_WORK.format(units=units, quote=rules[0].quote)))
    return problems


def _holds(user: User, centre: Centre, *kinds: str) -> bool:
    return Role.objects.filter(user=user, centre=centre, kind__in=kinds).exists()


def _check(centre: Centre, person: User, details: EntryDetails | None, actor: User) -> None:
    if not _holds(actor, centre, RoleKind.CENTRE_ADMIN):
        raise PermissionDenied(ONLY_THE_ADMIN)
    if person.pk == actor.pk:
        raise CompetenceRefused(OWN_ENTRY.format(centre=centre))
    if not _holds(person, centre, RoleKind.ASSESSOR, RoleKind.IQA):
        raise CompetenceRefused(NOT_PRACTITIONER)
    if details is not None and (problems := entry_problems(details, timezone.localdate())):
        raise CompetenceRefused(problems[0][1], problems[0][0])


def summary(entry: CompetenceEntry) -> dict[str, Any]:
    """What the audit log keeps of an entry."""
    return {
        **summary_fields(entry),
        "qualifications": sorted(q.pk for q in entry.qualifications.all()),
        "units": sorted(u.pk for u in entry.units.all()),
    }


def _fill(entry: CompetenceEntry, details: EntryDetails) -> None:
    held = details.status == EntryStatus.HELD
    entry.award = details.award
    entry.title = details.title.strip() if details.award in OTHER_AWARDS else ""
    entry.status = details.status
    entry.achieved_on = details.achieved_on if held else None
    entry.certificate_reference = details.certificate_reference.strip() if held else ""
    entry.expires_on = details.expires_on if held else None
    entry.deadline = None if held else details.deadline


def _wanted(details: EntryDetails, person: User) -> dict[str, Any]:
    unsaved = CompetenceEntry(person=person)
    _fill(unsaved, details)
    return {
        **summary_fields(unsaved),
        "qualifications": sorted(q.pk for q in details.qualifications),
        "units": sorted(u.pk for u in details.units),
    }


def summary_fields(entry: CompetenceEntry) -> dict[str, Any]:
    """The entry's own fields, as the audit log keeps them."""
    return {
        "person": entry.person_id,
        "award": entry.award,
        "title": entry.title,
        "status": entry.status,
        "achieved_on": entry.achieved_on,
        "certificate_reference": entry.certificate_reference,
        "expires_on": entry.expires_on,
        "deadline": entry.deadline,
    }


def entry_record(
    *,
    centre: Centre,
    person: User,
    details: EntryDetails,
    actor: User,
    entry: CompetenceEntry | None = None,
) -> CompetenceEntry:
    """Record a new entry for a person at the centre, or change `entry`. The same details
    again (a second click) change nothing and write nothing."""
    _check(centre, person, details, actor)
    wanted = _wanted(details, person)
    with transaction.atomic():
        lock_chain(centre.pk)
        if entry is None:
            same = _same_entry(centre, person, wanted)
            if same is not None:
                return same
            before = None
            entry = CompetenceEntry(centre=centre, person=person)
        else:
            entry = CompetenceEntry.objects.select_for_update().get(pk=entry.pk, centre=centre)
            if entry.ended_on is not None:
                raise CompetenceRefused(ENDED.format(day=f"{entry.ended_on:%-d %B %Y}"))
            before = summary(entry)
            if before == wanted:
                return entry
        _fill(entry, details)
        entry.recorded_by, entry.recorded_at = actor, timezone.now()
        entry.save()
        entry.qualifications.set(details.qualifications)
        entry.units.set(details.units)
        audit_append(
            actor=actor,
            action="competence.changed" if before else "competence.recorded",
            centre_id=centre.pk,
            subject=f"competence:{entry.pk}",
            before=before,
            after=wanted,
        )
    return entry


def _same_entry(centre: Centre, person: User, wanted: dict[str, Any]) -> CompetenceEntry | None:
    found = (
        CompetenceEntry.objects.not_ended().filter(
            centre=centre, person=person, award=wanted["award"], status=wanted["status"]
        )
    ).prefetch_related("qualifications", "units")
    return next((e for e in found if summary(e) == wanted), None)


def entry_end(*, entry: CompetenceEntry, reason: str, actor: User) -> CompetenceEntry:
    """End an entry (recorded in error, or no longer true): it counts no more from today, and
    stays on the person's register with the day, who ended it and why. Never deleted. Ended
    already (a second click), it changes nothing and writes nothing."""
    centre = entry.centre
    reason = reason.strip()
    _check(centre, entry.person, None, actor)
    if not reason:
        raise CompetenceRefused(REASON_NEEDED, "reason")
    with transaction.atomic():
        lock_chain(centre.pk)
        found = CompetenceEntry.objects.select_for_update().get(pk=entry.pk, centre=centre)
        if found.ended_on is not None:
            return found
        found.ended_on, found.ended_by, found.end_reason = timezone.localdate(), actor, reason
        found.save(update_fields=["ended_on", "ended_by", "end_reason"])
        audit_append(
            actor=actor,
            action="competence.ended",
            centre_id=centre.pk,
            subject=f"competence:{found.pk}",
            before=summary(found),
            after={"ended_on": found.ended_on, "reason": reason},
        )
    return found


def register_enforce(*, centre: Centre, on: bool, actor: User) -> None:
    """Turn the register's enforcement on or off at the centre (decision 49)."""
    if not _holds(actor, centre, RoleKind.CENTRE_ADMIN):
        raise PermissionDenied(ONLY_THE_ADMIN)
    with transaction.atomic():
        lock_chain(centre.pk)
        found = RegisterEnforced.objects.filter(centre=centre)
        if on == found.exists():
            raise CompetenceRefused(
                (ALREADY_ENFORCED if on else NOT_ENFORCED).format(centre=centre)
            )
        if on:
            RegisterEnforced.objects.create(centre=centre, since=timezone.now(), turned_on_by=actor)
        else:
            found.delete()
        audit_append(
            actor=actor,
            action="competence.enforced" if on else "competence.not_enforced",
            centre_id=centre.pk,
            subject=f"centre:{centre.pk}",
            after={"enforced": on},
        )
