"""Anonymising a learner whose records have passed the retention period, and a retention run.

What is kept and what goes, field by field, is decision 15's table
(docs/decisions/0015-subject-access-and-retention.md): an issued certificate keeps everything
it shows, so public verification still answers for it; the person's name and e-mail, their
files and the free text about them go, from the records and from the audit log, whose chains
still verify (`portal.audit.audit_redact`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Least

from certification.models import STANDING, Certificate, Kind
from portal.audit import audit_append, audit_redact, chain_order, lock_chain
from portal.models import AuditEntry, Notification, User
from portfolios.models import RegistrationStatus
from portfolios.readiness import readiness_changed
from portfolios.records import erasing_personal_data
from privacy.logins import sessions_delete, sessions_of
from privacy.models import Anonymisation
from privacy.records import LearnerRecords, holds_staff_role
from privacy.redaction import REMOVED, redacted
from privacy.retention import Due, cutoff_for, last_activity, survey

ANONYMISED_NAME = "Anonymised learner {pk}"
# `.invalid` is reserved (RFC 2606): no mail can ever go there, and the address stays unique.
ANONYMISED_EMAIL = "anonymised-{pk}@anonymised.invalid"


def counts_of(
    records: LearnerRecords, entries: list[AuditEntry], sessions: list[str]
) -> dict[str, int]:
    """What anonymising them removes or changes, counted (the dry run says the same)."""
    return {
        "registrations": records.registrations.count(),
        "evidence_items": records.evidence.count(),
        "evidence_files": records.files.count(),
        "witness_requests": records.witness_requests.count(),
        "question_sets": records.question_sets.count(),
        "decisions": records.decisions.count(),
        "sign_offs": records.sign_offs.count(),
        "sufficiency_records": records.sufficiency_records.count(),
        "requirements_shown": records.requirements_shown.count(),
        "prior_learning": records.prior_learning.count() + records.prior_learning_items.count(),
        "iqa_samples": records.samples.count(),
        "iqa_documents": records.iqa_documents.count(),
        "certificates_kept": records.certificates.count(),
        "invitations": records.invitations.count(),
        "login_records": sum(rows.count() for rows in records.login_records),
        "sessions": len(sessions),
        "audit_entries_redacted": len(redactions(entries)),
    }


def redactions(entries: list[AuditEntry]) -> list[tuple[AuditEntry, Any, Any]]:
    """The entries whose content changes when their free text is removed, with the new content."""
    changes = []
    for entry in entries:
        before, after = redacted(entry.before), redacted(entry.after)
        if (before, after) != (entry.before, entry.after):
            changes.append((entry, before, after))
    return changes


def non_empty(rows: QuerySet[Any], name: str) -> QuerySet[Any]:
    return rows.exclude(**{name: ""})


def blank_records(records: LearnerRecords, now: datetime.datetime) -> None:
    """Free text in their records: blanked, or REMOVED where a field must not be empty."""
    records.registrations.update(ao_registration_number="")
    records.evidence.update(title=REMOVED, description="")
    records.mappings.update(feedback="")
    records.comments.update(text=REMOVED)
    # Notices: their own, and anyone's that names them (a countersignature, an answered IQA
    # action, a comment quoted): the words go, who was told of what and when stays.
    learner = records.learner
    named = Q(recipient=learner)
    if learner.full_name:
        named |= Q(text__contains=learner.full_name)
    Notification.objects.filter(named).update(text=REMOVED)
    records.witness_requests.update(
        witness_name=REMOVED,
        witness_email="",
        witness_role="",
        statement=REMOVED,
        signed_name="",
        job_title="",
        relationship="",
        signature="",
        expires_at=Least("expires_at", now),  # an unused link never works again
    )
    # The questions may name them and the answers are theirs: both go; when, and how many, stay.
    records.question_sets.update(title=REMOVED, questions=[], answers=[])
    records.decisions.update(feedback="")
    records.sign_offs.update(learner_signature="")
    non_empty(records.sign_offs, "unlock_reason").update(unlock_reason=REMOVED)
    # What the assessor wrote of an occasion or a customer (who they were, what happened) and
    # why a record was withdrawn; the item's reference, the measure and the dates stay.
    records.sufficiency_records.update(description=REMOVED)
    for recorded in (records.sufficiency_records, records.requirements_shown):
        non_empty(recorded, "withdraw_reason").update(withdraw_reason=REMOVED)
    # What they learned or achieved before (a course, a certificate and its number), and why
    # RPL or an exemption was withdrawn: the unit or item, the dates and who agreed it stay.
    for prior in (records.prior_learning, records.prior_learning_items):
        prior.update(description=REMOVED)
        non_empty(prior, "withdrawal_reason").update(withdrawal_reason=REMOVED)
    non_empty(records.samples, "feedback").update(feedback=REMOVED)
    non_empty(records.samples, "lock_lift_reason").update(lock_lift_reason=REMOVED)
    records.actions.update(text=REMOVED)
    non_empty(records.actions, "response").update(response=REMOVED)
    certificates = records.certificates
    non_empty(certificates, "revocation_reason").update(revocation_reason=REMOVED)
    non_empty(certificates, "replacement_reason").update(replacement_reason=REMOVED)
    certificates.update(render_error="")


def anonymise_invitations(records: LearnerRecords, now: datetime.datetime) -> None:
    """Their invitations name them as their account will: the anonymised name and address. An
    invitation still open is withdrawn (nobody can accept it at an address nobody has, and it
    must not be sent there again); the registrations one asked for keep their codes, dates and
    ids (`redacted`: the AO registration number and any reasons go). The link's hash stays: it
    opens nothing once accepted or withdrawn."""
    pk = records.learner.pk
    for invitation in records.invitations.select_for_update().order_by("pk"):
        invitation.email = ANONYMISED_EMAIL.format(pk=pk)
        invitation.full_name = ANONYMISED_NAME.format(pk=pk)
        invitation.registrations = redacted(invitation.registrations)
        if invitation.accepted_at is None and invitation.withdrawn_at is None:
            invitation.withdrawn_at = now
        invitation.save(update_fields=["email", "full_name", "registrations", "withdrawn_at"])


def forget_logins(records: LearnerRecords, sessions: list[str]) -> None:
    """Delete django-axes' rows for attempts under their address, and their sessions (which
    log no one in any more: the password they were made with is gone)."""
    for rows in records.login_records:
        rows.delete()
    sessions_delete(sessions)


def close_registrations(records: LearnerRecords) -> None:
    """Registrations still active end: completed where a full certificate stands, withdrawn
    otherwise. A closed registration takes nothing new (`Registration.closed_because`): nobody
    may claim for, assess, sample or plan an anonymised learner."""
    active = records.registrations.filter(status=RegistrationStatus.ACTIVE)
    readiness_changed(*active.values_list("pk", flat=True))  # closed: off the claims page
    certified = Certificate.objects.filter(STANDING, kind=Kind.FULL, registration=OuterRef("pk"))
    active.filter(Exists(certified)).update(status=RegistrationStatus.COMPLETED)
    active.update(status=RegistrationStatus.WITHDRAWN)  # those left


def take_files(records: LearnerRecords) -> list[str]:
    """Delete the rows of their evidence files and of the IQA PDFs naming them; return the
    storage names, deleted from storage once the transaction has committed."""
    names = [f.file.name for f in records.files] + [d.file.name for d in records.iqa_documents]
    records.files.delete()
    records.iqa_documents.delete()
    return [name for name in names if name]


def close_account(user: User) -> None:
    old, old_email = str(user), user.email
    user.full_name = ANONYMISED_NAME.format(pk=user.pk)
    user.email = ANONYMISED_EMAIL.format(pk=user.pk)
    # Their identity as awarding organisations register it: a certificate keeps the ULN it
    # printed (its snapshot), as it keeps the name.
    user.legal_first_names = user.legal_last_name = user.sex = user.postcode = user.uln = ""
    user.date_of_birth = None
    user.set_unusable_password()  # also ends their sessions: the session's hash no longer matches
    user.is_active = False
    user.last_login = None
    user.save()
    # The Django admin's history names a person as "Full Name <e-mail>".
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=str(user))
    LogEntry.objects.filter(object_repr=old).update(object_repr=str(user))
    # Others name them by address, such as django-axes' rows ("Failed access: user <e-mail> on
    # <date> from <network address>"): what they name goes with the address.
    LogEntry.objects.filter(object_repr__icontains=old_email).update(object_repr=REMOVED)


def lock_records(records: LearnerRecords) -> User:
    """Their chains first (the portal's and their centres', in order), then their account and
    registrations: the order every write of the portal takes them in, so nothing deadlocks,
    and writes to their records wait until this is done. Returns their account as it is now."""
    for centre_id in sorted([None, *records.centre_ids], key=chain_order):
        lock_chain(centre_id)
    learner = User.objects.select_for_update().get(pk=records.learner.pk)
    list(records.registrations.select_for_update())
    return learner


def learner_anonymise(
    *,
    due: Due,
    years: int,
    now: datetime.datetime,
    actor: User | None,
    sessions: list[str] | None = None,
) -> Anonymisation | None:
    """Anonymise one learner due under the retention rule, re-checked under their locks: None if
    they were anonymised meanwhile, took a staff role, or something has happened on their
    records since. `sessions`: the keys of their sessions, if a run has looked for everyone's
    at once (`sessions_of`); otherwise they are looked for here. `actor` None: the retention
    command, run by the operator."""
    cutoff = cutoff_for(now, years)
    records = LearnerRecords(due.learner)
    if sessions is None:
        sessions = records.session_keys()
    with transaction.atomic():
        learner = lock_records(records)
        if Anonymisation.objects.filter(user=learner).exists() or holds_staff_role(learner):
            return None
        last = last_activity(records)
        if last >= cutoff:
            return None
        entries = records.entries_to_redact()
        counts = counts_of(records, entries, sessions)
        erasing_personal_data()  # signed testimony is anonymised too, in this transaction only
        blank_records(records, now)
        anonymise_invitations(records, now)
        forget_logins(records, sessions)
        close_registrations(records)
        files = take_files(records)
        audit_redact(
            changes=redactions(entries),
            actor=actor,
            subject=f"user:{learner.pk}",
            after={"reason": "retention period passed"},
        )
        close_account(learner)
        anonymisation = Anonymisation.objects.create(
            user=learner,
            anonymised_at=now,
            last_activity=last,
            retention_years=years,
            counts=counts,
            files_to_delete=files,
        )
        audit_append(
            actor=actor,
            action="privacy.anonymised",
            subject=f"user:{learner.pk}",
            centre_id=None,
            after={
                "last_activity": last,
                "retention_years": years,
                "registrations": sorted(records.registrations.values_list("pk", flat=True)),
                "counts": counts,
            },
        )
    return anonymisation


def files_delete(anonymisation: Anonymisation) -> int:
    """Delete from storage the files an anonymisation took the rows of; safe to repeat."""
    names = list(anonymisation.files_to_delete)
    for name in names:
        default_storage.delete(name)  # a name already gone is no error
    Anonymisation.objects.filter(pk=anonymisation.pk).update(files_to_delete=[])
    return len(names)


@dataclass
class RetentionReport:
    cutoff: datetime.datetime
    years: int
    dry_run: bool
    due: list[tuple[Due, dict[str, int]]] = field(default_factory=list)
    anonymised: list[Anonymisation] = field(default_factory=list)
    skipped: list[Due] = field(default_factory=list)  # activity since the survey
    staff: list[Due] = field(default_factory=list)
    files_deleted: int = 0
    leftover_files_deleted: int = 0  # left by an earlier run that stopped before deleting them
    entry: AuditEntry | None = None

    @property
    def changed_anything(self) -> bool:
        return bool(self.anonymised or self.leftover_files_deleted)


def retention_apply(
    *, now: datetime.datetime, years: int, dry_run: bool, actor: User | None
) -> RetentionReport:
    """Anonymise every learner whose records have passed the retention period, each in a
    transaction of their own, then delete their files from storage. A dry run says what would
    be done and changes nothing. A run that changes something writes one audit entry saying
    what (ids and counts only); a run with nothing to do writes nothing."""
    found = survey(now=now, years=years)
    report = RetentionReport(found.cutoff, years, dry_run, staff=found.staff)
    # Sessions are found by reading every one: once for the whole run.
    sessions = sessions_of(due.learner.pk for due in found.due)
    for due in found.due:
        records = LearnerRecords(due.learner)
        theirs = sessions.get(due.learner.pk, [])
        report.due.append((due, counts_of(records, records.entries_to_redact(), theirs)))
    if dry_run:
        return report
    for leftover in Anonymisation.objects.exclude(files_to_delete=[]):
        report.leftover_files_deleted += files_delete(leftover)
    for due, _ in report.due:
        anonymisation = learner_anonymise(
            due=due, years=years, now=now, actor=actor, sessions=sessions.get(due.learner.pk, [])
        )
        if anonymisation is None:
            report.skipped.append(due)
            continue
        report.anonymised.append(anonymisation)
        report.files_deleted += files_delete(anonymisation)
    if report.changed_anything:
        report.entry = audit_run(report, actor)
    return report


def audit_run(report: RetentionReport, actor: User | None) -> AuditEntry:
    with transaction.atomic():
        return audit_append(
            actor=actor,
            action="privacy.retention_applied",
            subject="retention",
            centre_id=None,
            after={
                "retention_years": report.years,
                "cutoff": report.cutoff,
                "anonymised": [a.user_id for a in report.anonymised],
                "skipped": [due.learner.pk for due in report.skipped],
                "kept_as_staff": [due.learner.pk for due in report.staff],
                "files_deleted": report.files_deleted + report.leftover_files_deleted,
            },
        )
