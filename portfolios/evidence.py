"""Adding, changing and removing evidence: every write to a portfolio's evidence is here."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from portal.audit import audit_append, lock_chain
from portal.models import User
from portal.refusals import Refused
from portfolios import notices
from portfolios.models import (
    LEARNER_METHODS,
    Evidence,
    EvidenceFile,
    EvidenceMethod,
    EvidenceSetting,
    Registration,
)
from portfolios.uploads import BAD_NAME, Inspected, UploadRejected, inspect

ONLY_THE_LEARNER = "Only the learner can add or change evidence in their portfolio."
DECLARATION_NEEDED = "Confirm that the evidence is your own work before you add it."
NO_FILES = (
    "Choose at least one file, or, for a reflective account, write it instead: choose "
    "“Reflective account” and write it under “Description”, or use “Write an account”."
)
# Evidence typed on the page rather than uploaded: a reflective account, whose text is its
# description (as an assessor's record's is). Long enough for a few pages, no longer.
ACCOUNT_MAX_LENGTH = 10_000
ACCOUNT_NEEDED = "Write your account: without a file, the text is the evidence."
ACCOUNT_TOO_LONG = (
    "Your account is {length} characters long; the most is {limit}. Shorten it, or add it as a "
    "document."
)
ONLY_AN_ACCOUNT_WITHOUT_FILES = (
    "Evidence without a file can only be a reflective account: choose a file, or choose "
    "“Reflective account”."
)
LOCKED = "An assessor has judged this evidence, so it can no longer be changed or removed."
# Decision 53: what the assessor said of the evidence stays as they said it.
SET_BY_THE_ASSESSOR = (
    "Your assessor has said whether this evidence is real work or simulated, and its kind: only "
    "they can change those now."
)
ALREADY_HERE = "{name} is already in this portfolio, in “{title}” (added {when})."
TWICE_IN_ONE = "{name} was chosen twice."
NOT_A_LEARNER_METHOD = (
    "“{method}” is not a method for evidence you add yourself: your assessor records "
    "observations, professional discussions and questioning, and witness testimony comes from "
    "the witness, through “Ask a witness”."
)
SIGNED_TESTIMONY = (
    "A witness has signed this testimony, so it is kept exactly as they signed it: nobody can "
    "change or remove it."
)
ANSWERS_KEPT = (
    "These are your answers to your assessor's questions, kept exactly as you sent them: nobody "
    "can change or remove them."
)
NOT_YOUR_RECORD = (
    "This is your assessor's record: you can change or remove only evidence you added yourself."
)
GONE = (
    "This evidence is no longer in the portfolio: it was removed (in another tab, or a moment ago)."
)


class EvidenceRejected(Refused):
    """Evidence that cannot be added, changed or removed as asked; `messages` say why, and
    `fields` which form field a message is about (its date, its text), to show it there."""

    def __init__(self, messages: str | Sequence[str], fields: dict[str, str] | None = None):
        super().__init__(messages)
        self.fields = fields or {}


DATE_IN_FUTURE = "The date cannot be in the future: give the day it happened."
DATE_BEFORE_START = (
    "The date is before the registration started on {start:%-d %B %Y}: give a day from then on."
)
RECORD_TOO_LONG = (
    "The record is {length} characters long; the most is {limit}. Shorten it, or add the rest "
    "as a file."
)


def date_problems(registration: Registration, occurred_on: datetime.date) -> list[str]:
    """A record written on the page (a learner's account, an assessor's record) is of
    something that happened during the registration, up to today."""
    if occurred_on > timezone.localdate():
        return [DATE_IN_FUTURE]
    if occurred_on < registration.start_date:
        return [DATE_BEFORE_START.format(start=registration.start_date)]
    return []


def written_refusal(problems: list[str], fields: dict[str, list[str]]) -> EvidenceRejected:
    """The refusal of a record written on the page, with the field each of `fields`' messages
    is about (its date, its text), so the form shows it there."""
    return EvidenceRejected(
        problems, {m: field for field, messages in fields.items() for m in messages}
    )


def refused_on_evidence_form(form: forms.Form, rejected: EvidenceRejected) -> None:
    """Each message under its field, where the form has it; the others at the form's top."""
    for message in rejected.messages:
        field = rejected.fields.get(message)
        form.add_error(field if field in form.fields else None, message)


class EvidenceGone(EvidenceRejected):
    """The evidence was removed by a request just before this one."""


@dataclass(frozen=True)
class EvidenceDetails:
    title: str
    occurred_on: datetime.date
    method: str
    description: str = ""
    setting: str = EvidenceSetting.REAL_WORK
    kind: str = ""  # not stated


def require_learner(registration: Registration, actor: User) -> None:
    if registration.learner_id != actor.pk:
        raise PermissionDenied(ONLY_THE_LEARNER)


def method_problems(method: str) -> list[str]:
    """A learner labels their evidence only with a learner's method (decision 17)."""
    if method in LEARNER_METHODS:
        return []
    label = dict(EvidenceMethod.choices).get(method, method)
    return [NOT_A_LEARNER_METHOD.format(method=label)]


def typed_problems(details: EvidenceDetails, has_files: bool) -> list[str]:
    """Evidence without a file is a reflective account written on the page: its text (the
    description) is the evidence, so it must be there, and within the limit. Any description
    is kept within the limit too."""
    text = details.description.strip()
    problems = []
    if len(text) > ACCOUNT_MAX_LENGTH:
        problems.append(ACCOUNT_TOO_LONG.format(length=len(text), limit=ACCOUNT_MAX_LENGTH))
    if has_files:
        return problems
    if details.method != EvidenceMethod.REFLECTIVE_ACCOUNT:
        problems.append(ONLY_AN_ACCOUNT_WITHOUT_FILES)
    elif not text:
        problems.append(ACCOUNT_NEEDED)
    return problems


def change_refusal(evidence: Evidence) -> list[str]:
    """Why the learner may not change or remove this evidence; empty if they may. Read under
    the centre's chain (`locked_for_change`), the registration's state is as it stands."""
    if closed := evidence.registration.closed_because:
        return [closed]
    if evidence.is_signed_testimony:
        return [SIGNED_TESTIMONY]
    if evidence.is_answered_questions:
        return [ANSWERS_KEPT]
    if evidence.created_by_id != evidence.registration.learner_id:
        return [NOT_YOUR_RECORD]
    if evidence.is_locked:
        return [LOCKED]
    return []


def check_files(registration: Registration, files: Sequence[UploadedFile]) -> list[Inspected]:
    """Inspect every file; collect every problem so the learner sees them all at once."""
    problems, inspected, seen = [], [], set()
    for upload in files:
        try:
            result = inspect(upload)
        except UploadRejected as rejected:
            problems.append(str(rejected))
            continue
        if result.sha256 in seen:
            problems.append(TWICE_IN_ONE.format(name=upload.name))
        seen.add(result.sha256)
        known = (
            EvidenceFile.objects.filter(registration=registration, sha256=result.sha256)
            .select_related("evidence")
            .first()
        )
        if known is not None:
            problems.append(already_here(upload, known))
        inspected.append(result)
    if problems:
        raise EvidenceRejected(problems)
    return inspected


def already_here(upload: UploadedFile, known: EvidenceFile) -> str:
    when = date_format(timezone.localtime(known.uploaded_at), "j F Y")
    return ALREADY_HERE.format(name=upload.name, title=known.evidence.title, when=when)


def refuse_files_added_meanwhile(
    registration: Registration, files: Sequence[UploadedFile], inspected: Sequence[Inspected]
) -> None:
    """The same file sent twice at once (a double click, two tabs): the second is told where
    the first went, under the registration's lock, instead of failing on the database."""
    known = {
        f.sha256: f
        for f in EvidenceFile.objects.filter(
            registration=registration, sha256__in=[i.sha256 for i in inspected]
        ).select_related("evidence")
    }
    problems = [
        already_here(upload, known[facts.sha256])
        for upload, facts in zip(files, inspected, strict=True)
        if facts.sha256 in known
    ]
    if problems:
        raise EvidenceRejected(problems)


def evidence_add(
    *,
    registration: Registration,
    details: EvidenceDetails,
    files: Sequence[UploadedFile],
    declared: bool,
    actor: User,
    altered_names: Sequence[str] = (),
) -> Evidence:
    """Add an evidence item with its files to a learner's portfolio, all or nothing.

    `altered_names` are file names as sent, which Django had to clean (folders, control
    characters): each is refused with a message.
    """
    require_learner(registration, actor)
    problems = method_problems(details.method)
    problems += [] if declared else [DECLARATION_NEEDED]
    problems += [BAD_NAME.format(name=name) for name in altered_names]
    if not files and details.method != EvidenceMethod.REFLECTIVE_ACCOUNT:
        problems.append(NO_FILES)
    else:
        problems += typed_problems(details, bool(files))
    try:
        inspected = check_files(registration, files)
    except EvidenceRejected as rejected:
        problems += rejected.messages
    if problems:
        raise EvidenceRejected(problems)
    return evidence_store(registration, details, files, inspected, actor, action="evidence.added")


def evidence_write(
    *,
    registration: Registration,
    title: str,
    occurred_on: datetime.date,
    text: str,
    declared: bool,
    actor: User,
    setting: str = EvidenceSetting.REAL_WORK,
    kind: str = "",
) -> Evidence:
    """Add a reflective account the learner wrote on the page, without a file: mapped, judged
    and shown like any evidence, its text kept as its description; real work or simulated, and
    its kind, as the learner says (decision 51), as on the upload form."""
    require_learner(registration, actor)
    details = EvidenceDetails(
        title, occurred_on, EvidenceMethod.REFLECTIVE_ACCOUNT, text, setting=setting, kind=kind
    )
    problems = [] if declared else [DECLARATION_NEEDED]
    dates = date_problems(registration, occurred_on)
    written = typed_problems(details, has_files=False)
    problems += dates + written
    if problems:
        raise written_refusal(problems, {"occurred_on": dates, "text": written})
    return evidence_store(registration, details, [], [], actor, action="evidence.written")


def evidence_store(
    registration: Registration,
    details: EvidenceDetails,
    files: Sequence[UploadedFile],
    inspected: Sequence[Inspected],
    actor: User,
    *,
    action: str,
) -> Evidence:
    """Create the evidence row and store its checked files, all or nothing, with an audit entry
    saying how it came (`action`: added by the learner, recorded by the assessor)."""
    stored: list[EvidenceFile] = []
    try:
        with transaction.atomic():
            lock_chain(registration.centre_id)
            Registration.objects.lock(registration, refused=EvidenceRejected)
            refuse_files_added_meanwhile(registration, files, inspected)
            evidence = Evidence.objects.create(
                registration=registration,
                title=details.title,
                occurred_on=details.occurred_on,
                method=details.method,
                description=details.description,
                setting=details.setting,
                kind=details.kind,
                declared_at=timezone.now(),
                created_by=actor,
            )
            for upload, facts in zip(files, inspected, strict=True):
                stored.append(store_file(evidence, upload, facts, actor))
            audit_append(
                actor=actor,
                action=action,
                centre_id=registration.centre_id,
                subject=f"evidence:{evidence.pk}",
                after={**evidence_facts(evidence), "files": len(files)},
            )
    except Exception:
        # The database rolled back; take back the files already written to storage too.
        for row in stored:
            row.file.delete(save=False)
        raise
    return evidence


def evidence_facts(evidence: Evidence) -> dict[str, object]:
    """What the audit log keeps of an evidence item's details."""
    return {
        "title": evidence.title,
        "method": evidence.method,
        "occurred_on": evidence.occurred_on,
        "description": evidence.description,
        "setting": evidence.setting,
        "kind": evidence.kind,
    }


def store_file(
    evidence: Evidence, upload: UploadedFile, facts: Inspected, actor: User
) -> EvidenceFile:
    row = EvidenceFile(
        evidence=evidence,
        registration=evidence.registration,
        original_name=upload.name or "",
        size=facts.size,
        content_type=facts.content_type,
        sha256=facts.sha256,
        uploaded_by=actor,
    )
    row.file.save("upload", upload, save=False)  # the storage name comes from upload_to
    row.save()
    return row


def locked_for_change(evidence: Evidence) -> Evidence:
    """The evidence row, held for the transaction, if the learner may still change it."""
    lock_chain(evidence.registration.centre_id)
    locked = (
        Evidence.objects.select_for_update(of=("self",))
        .select_related("registration")
        .filter(pk=evidence.pk)
        .first()
    )
    if locked is None:  # removed by a request that had the chain before this one
        raise EvidenceGone(GONE)
    problems = change_refusal(locked)
    if problems:
        raise EvidenceRejected(problems)
    return locked


@transaction.atomic
def evidence_update(*, evidence: Evidence, details: EvidenceDetails, actor: User) -> Evidence:
    """Change the details of the learner's own evidence. Refused for evidence an assessor has
    judged, a witness has signed or the assessor recorded, and for a method not a learner's."""
    require_learner(evidence.registration, actor)
    locked = locked_for_change(evidence)
    problems = method_problems(details.method)
    if locked.classified_at is not None and (details.setting, details.kind) != (
        locked.setting,
        locked.kind,
    ):
        problems.append(SET_BY_THE_ASSESSOR)
    problems += typed_problems(details, locked.files.exists())
    if problems:
        raise EvidenceRejected(problems)
    before = evidence_facts(locked)
    for field, value in details.__dict__.items():
        setattr(locked, field, value)
    # Saving the form unchanged is not an edit. Browsers send a textarea's lines ending in
    # CRLF, so text that differs only in its line endings is the same text, and is left as it was.
    if comparable(evidence_facts(locked)) == comparable(before):
        locked.refresh_from_db()
        return locked
    locked.save()
    audit_append(
        actor=actor,
        action="evidence.edited",
        centre_id=evidence.registration.centre_id,
        subject=f"evidence:{locked.pk}",
        before=before,
        after=evidence_facts(locked),
    )
    return locked


def comparable(facts: dict[str, object]) -> dict[str, object]:
    return {k: v.replace("\r\n", "\n") if isinstance(v, str) else v for k, v in facts.items()}


def evidence_delete(*, evidence: Evidence, actor: User) -> None:
    """Remove the learner's own unjudged evidence with its files and proposed mappings. The
    audit entry keeps what was removed: the details, each file's name, size, type, stored name
    and SHA-256, and the items it was mapped to. Evidence an assessor has judged, a witness has
    signed or the assessor recorded is never removed."""
    require_learner(evidence.registration, actor)
    with transaction.atomic():
        locked = locked_for_change(evidence)
        files = list(locked.files.all())
        audit_append(
            actor=actor,
            action="evidence.removed",
            centre_id=evidence.registration.centre_id,
            subject=f"evidence:{locked.pk}",
            before={
                **evidence_facts(locked),
                "registration": locked.registration_id,
                "files": [file_facts(f) for f in files],
                "mapped": mapped_items(locked),
            },
        )
        for row in files:
            row.delete()
        locked.delete()
    for row in files:
        row.file.delete(save=False)


def file_facts(row: EvidenceFile) -> dict[str, object]:
    """What the audit log keeps of a removed file: enough to say which bytes it was."""
    return {
        "name": row.original_name,
        "size": row.size,
        "content_type": row.content_type,
        "stored_as": row.file.name,
        "sha256": row.sha256,
        "uploaded_at": row.uploaded_at,
    }


def mapped_items(evidence: Evidence) -> dict[str, list[int]]:
    """The items (ids, by kind) the evidence is mapped to, which go with it when it is removed."""
    rows = list(evidence.mappings.values_list("criterion_id", "range_item_id", "knowledge_item_id"))
    kinds = ("criterion", "range_item", "knowledge_item")
    return {
        kind: sorted(row[i] for row in rows if row[i] is not None) for i, kind in enumerate(kinds)
    }


NOT_A_RECORD = (
    "Only your assessor's records (observations, discussions, questions) are acknowledged."
)
ACKNOWLEDGED_ALREADY = "You agreed this is a true record on {when}: nothing more is needed."


def record_acknowledge(*, evidence: Evidence, actor: User) -> Evidence:
    """The learner agrees that their assessor's record about them (an observation, professional
    discussion or questioning) is a true record: once, with the date, in the audit log."""
    require_learner(evidence.registration, actor)
    with transaction.atomic():
        lock_chain(evidence.registration.centre_id)
        Registration.objects.lock(evidence.registration, refused=EvidenceRejected)
        locked = (
            Evidence.objects.select_for_update(of=("self",))
            .select_related("registration")
            .filter(pk=evidence.pk)
            .first()
        )
        if locked is None:
            raise EvidenceGone(GONE)
        if not locked.is_assessor_record:
            raise EvidenceRejected(NOT_A_RECORD)
        if locked.acknowledged_at is not None:
            when = date_format(timezone.localtime(locked.acknowledged_at), "j F Y")
            raise EvidenceRejected(ACKNOWLEDGED_ALREADY.format(when=when))
        locked.acknowledged_at = timezone.now()
        locked.save(update_fields=["acknowledged_at"])
        audit_append(
            actor=actor,
            action="evidence.acknowledged",
            centre_id=locked.registration.centre_id,
            subject=f"evidence:{locked.pk}",
            after={"acknowledged_at": locked.acknowledged_at, "title": locked.title},
        )
        notices.record_acknowledged(locked, actor)
    return locked
