"""Whose records have passed the retention period.

The clock starts at a learner's last activity: the latest thing that happened on any of their
registrations (evidence, mappings, witness testimony, decisions, sign-offs, evidence
requirements and sufficiency recorded, RPL and exemptions, IQA samples and actions,
certificates issued, revoked or rendered, and every audit entry about them), their invitations
(sent, accepted or withdrawn), their account's creation and their last login.
Failed logins under their address are not: anyone can type an address. A certificate is
activity, so a certified learner is kept for the period after certification at least.
Registrations' status is not used: no workflow sets it (decision 15).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Max, Model, OuterRef, Q, QuerySet, Subquery

from assessment.models import Decision, RequirementShown, SufficiencyRecord, UnitSignOff
from certification.models import Certificate
from iqa.models import Action, Sample
from portal.audit import REDACTED
from portal.models import Role, RoleKind, User
from portfolios.models import (
    Evidence,
    EvidenceComment,
    EvidenceFile,
    Mapping,
    PriorLearning,
    PriorLearningItem,
    QuestionSet,
    Registration,
    WitnessRequest,
)
from privacy.records import LearnerRecords, holds_staff_role, slices

# Each record's dates, and the path from the record to its registration.
ACTIVITY: tuple[tuple[type[Model], str, tuple[str, ...]], ...] = (
    (Evidence, "registration", ("created_at", "judged_at")),
    (EvidenceFile, "registration", ("uploaded_at",)),
    (Mapping, "evidence__registration", ("proposed_at", "reviewed_at")),
    (EvidenceComment, "evidence__registration", ("created_at",)),
    (WitnessRequest, "registration", ("requested_at", "confirmed_at")),
    (QuestionSet, "registration", ("set_at", "saved_at", "submitted_at")),
    (Decision, "registration", ("decided_at", "countersigned_at")),
    (UnitSignOff, "registration", ("signed_at", "learner_signed_at", "unlocked_at")),
    (RequirementShown, "registration", ("recorded_at", "withdrawn_at")),
    (SufficiencyRecord, "registration", ("recorded_at", "withdrawn_at")),
    (PriorLearning, "registration", ("agreed_at", "withdrawn_at")),
    (PriorLearningItem, "registration", ("agreed_at", "withdrawn_at")),
    (Sample, "registration", ("sampled_at", "lock_lifted_at")),
    (Action, "sample__registration", ("responded_at", "closed_at")),
    (Certificate, "registration", ("issued_at", "revoked_at", "rendered_at")),
)


def cutoff_for(now: datetime.datetime, years: int) -> datetime.datetime:
    """`years` before `now`; from 29 February, the 28th."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def latest(model: type[Model], path: str, name: str) -> Subquery:
    rows = (
        model._default_manager.filter(**{path: OuterRef("pk")})
        .order_by()
        .values(path)
        .annotate(latest=Max(name))
        .values("latest")
    )
    return Subquery(rows[:1])


def learners() -> QuerySet[User]:
    """People who hold a learner role or were ever registered, not anonymised yet."""
    holders = Role.objects.filter(kind=RoleKind.LEARNER).values("user_id")
    registered = Registration.objects.values("learner_id")
    return User.objects.filter(Q(pk__in=holders) | Q(pk__in=registered), anonymisation__isnull=True)


def activity_in_records(people: QuerySet[User]) -> dict[int, datetime.datetime]:
    """Each person's latest date found in the record tables, their account and their roles."""
    found: dict[int, datetime.datetime] = {}

    def note(person: int, *dates: datetime.datetime | None) -> None:
        for date in dates:
            if date is not None and (person not in found or date > found[person]):
                found[person] = date

    for user_id, joined, last_login in people.values_list("pk", "date_joined", "last_login"):
        note(user_id, joined, last_login)
    roles = Role.objects.filter(user__in=people)
    for user_id, created in roles.values_list("user_id", "created_at"):
        note(user_id, created)
    dates = {
        f"{model._meta.model_name}_{name}": latest(model, path, name)
        for model, path, names in ACTIVITY
        for name in names
    }
    rows = Registration.objects.filter(learner__in=people).annotate(**dates)
    for row in rows.values("learner_id", "created_at", *dates):
        note(row.pop("learner_id"), *row.values())
    return found


def activity_in_audit(records: LearnerRecords) -> datetime.datetime | None:
    """The latest audit entry about them (what the tables keep no date of, such as a change of
    units, is there). The data-protection commands' own entries are not activity."""
    dates = [
        entry.at
        for entry in records.audit_entries()
        if entry.action != REDACTED and not entry.action.startswith("privacy.")
    ]
    return max(dates, default=None)


def activity_in_invitations(records: LearnerRecords) -> datetime.datetime | None:
    """The latest invitation to them sent, accepted or withdrawn: a centre that invited them
    again last month is not done with them."""
    dates = records.invitations.aggregate(
        Max("sent_at"), Max("accepted_at"), Max("withdrawn_at")
    ).values()
    return max((d for d in dates if d is not None), default=None)


def last_activity(records: LearnerRecords) -> datetime.datetime:
    from_tables = activity_in_records(User.objects.filter(pk=records.learner.pk))
    dates = [
        from_tables.get(records.learner.pk),
        activity_in_invitations(records),
        activity_in_audit(records),
    ]
    return max(d for d in dates if d is not None)


@dataclass
class Due:
    """A learner whose records have passed the retention period."""

    learner: User
    last_activity: datetime.datetime


@dataclass
class Survey:
    cutoff: datetime.datetime
    due: list[Due] = field(default_factory=list)
    staff: list[Due] = field(default_factory=list)  # due as learners, kept as staff


def survey(*, now: datetime.datetime, years: int) -> Survey:
    """Who is due: learners whose last activity is older than the cutoff, in id order. People
    who also hold a staff role (or may log in to the Django admin) are listed apart and kept:
    their staff records must still name them."""
    found = Survey(cutoff=cutoff_for(now, years))
    people = learners()
    quiet = sorted(pk for pk, date in activity_in_records(people).items() if date < found.cutoff)
    for part in slices(quiet):
        for person in people.filter(pk__in=part).order_by("pk"):
            date = last_activity(LearnerRecords(person))
            if date < found.cutoff:
                kept = found.staff if holds_staff_role(person) else found.due
                kept.append(Due(person, date))
    return found


def ids(rows: Iterable[Due]) -> list[int]:
    return [row.learner.pk for row in rows]
