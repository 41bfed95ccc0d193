"""The subject-access export: a learner's data and evidence as one ZIP with a manifest.

Files are copied from storage in chunks straight into the ZIP (evidence can be gigabytes), each
hashed on the way; an evidence file's hash is checked against the one stored at upload. The ZIP
is written beside its destination under a temporary name, readable by its owner only, and
renamed into place when complete, so a half-written export never sits under the final name.
"""

from __future__ import annotations

import datetime
import os
import tempfile
import textwrap
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from portal.archives import CHUNK, Part, StoredFile, hash_of, to_json, write_member
from portal.audit import audit_append
from portal.models import AuditEntry, Centre, User
from privacy.documents import WITHHELD, Collected, collect, login_records_said
from privacy.records import LearnerRecords

FORMAT = "qualifications-portal subject-access export, version 1"
PARTS = {
    "README.txt": "what this export is, in words",
    "data/account.json": (
        "your account, the roles you hold, and your legal names, date of birth, sex, postcode "
        "and ULN as your centres recorded them for awarding organisations"
    ),
    "data/registrations.json": (
        "your registrations (each marked funded or non-funded where known) and the units "
        "chosen for each"
    ),
    "data/evidence.json": "your evidence items, their files and their mappings to criteria",
    "data/assessment.json": (
        "assessors' decisions and feedback, unit sign-offs and signatures, and the evidence "
        "requirements and sufficiency (occasions, customers, periods) they recorded, and "
        "units or items met through recognition of prior learning or exempt"
    ),
    "data/witness_testimony.json": "witness testimony about you",
    "data/questions.json": "questions your assessor set you, with your answers",
    "data/iqa.json": "internal quality assurance of your assessment",
    "data/certificates.json": "your certificates, with what each one states",
    "data/invitations.json": "the invitations centres sent you, to join them",
    "data/logins.json": "the login records kept under your e-mail address, and your sessions",
    "data/audit_log.json": "the audit log's entries about you and your records",
}


@dataclass
class ExportReport:
    path: Path
    learner: User
    centre: Centre | None
    counts: dict[str, int]
    parts: list[Part] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # in the records, not in storage
    sha256: str = ""
    entry: AuditEntry | None = None

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def mismatched(self) -> list[Part]:
        return [p for p in self.parts if not p.matches_stored]


def add(archive: zipfile.ZipFile, path: str, chunks: Iterable[bytes], compress: bool) -> Part:
    """Write one member from chunks, hashing them on the way; nothing is held whole."""
    return write_member(archive, path, chunks, compress, PARTS.get(path, ""))


def copy_file(archive: zipfile.ZipFile, stored: StoredFile) -> Part:
    """Copy a stored file in; opened first, so a file missing from storage adds no member."""
    with default_storage.open(stored.storage_name, "rb") as source:
        part = add(archive, stored.path, source.chunks(CHUNK), compress=False)
    return Part(part.path, stored.what, part.size, part.sha256, stored.stored_sha256)


def read_consistently(records: LearnerRecords) -> Collected:
    """All the documents from one snapshot of the database, so the parts agree with each other
    while the portal keeps working (PostgreSQL: a repeatable-read, read-only transaction)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return collect(records)


def readme(report: ExportReport, generated: datetime.datetime) -> str:
    counts = "\n".join(f"  {name.replace('_', ' ')}: {n}" for name, n in report.counts.items())
    parts = "\n".join(f"  {path}: {what}" for path, what in PARTS.items())
    withheld = "\n".join(
        textwrap.fill(line, width=94, initial_indent="  - ", subsequent_indent="    ")
        for line in WITHHELD
    )
    logins = "\n".join(
        textwrap.fill(line, width=94, initial_indent="  - ", subsequent_indent="    ")
        for line in login_records_said()
    )
    scope = f" at {report.centre.name}" if report.centre else ""
    return f"""Subject-access export
=====================

The data the qualifications portal holds about {report.learner.full_name}
<{report.learner.email}>{scope}, as it stood on {generated:%d %B %Y at %H:%M %Z}.

What is in it
-------------
{parts}
  evidence/<registration>/<evidence item>/<file>: your evidence files, exactly as uploaded
  certificates/<number>.pdf: your certificates as issued, where a PDF was made

Counted:
{counts}

manifest.json lists every file with its size and SHA-256 hash. Each evidence file's hash was
checked against the hash the portal took when it was uploaded ("stored_sha256"). To check a
file yourself: `sha256sum <file>` (Linux), `shasum -a 256 <file>` (macOS) or
`Get-FileHash <file>` (Windows PowerShell).

The JSON files are plain text; dates and times are in ISO 8601 (UTC offset shown). People are
named by their full name; "by": null in the audit log means the portal itself, a witness,
or a command an operator ran.

Login records
-------------
{logins}

What is not in it, and why
--------------------------
{withheld}
"""


def write(report: ExportReport, collected: Collected, target: Path) -> None:
    generated = timezone.localtime()
    with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
        for path, data in collected.documents.items():
            report.parts.append(add(archive, path, [to_json(data)], compress=True))
        for stored in collected.files:
            try:
                report.parts.append(copy_file(archive, stored))
            except FileNotFoundError:
                report.missing.append(stored.path)
        text = readme(report, generated).encode()
        report.parts.append(add(archive, "README.txt", [text], compress=True))
        manifest = {
            "format": FORMAT,
            "generated_at": generated,
            "subject": {"id": report.learner.pk, "email": report.learner.email},
            "centre": report.centre.name if report.centre else None,
            "counts": report.counts,
            "files": [p.listed() for p in report.parts],
            "missing_from_storage": report.missing,
            "login_records": login_records_said(),
            "withheld": WITHHELD,
        }
        add(archive, "manifest.json", [to_json(manifest)], compress=True)


def subject_access_export(
    *, learner: User, centre: Centre | None, path: Path, actor: User | None
) -> ExportReport:
    """Write the learner's export to `path` and record that it was made in the audit log
    (counts and the ZIP's hash only; `actor` None: the command, run by the operator)."""
    records = LearnerRecords(learner, centre)
    collected = read_consistently(records)
    report = ExportReport(path, learner, centre, collected.counts)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".zip")
    os.close(handle)  # mkstemp made it readable by its owner only
    try:
        write(report, collected, Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    report.sha256 = hash_of(path)
    with transaction.atomic():
        report.entry = audit_append(
            actor=actor,
            action="privacy.subject_access_exported",
            subject=f"user:{learner.pk}",
            centre_id=centre.pk if centre else None,
            after={"counts": report.counts, "files": len(report.parts), "sha256": report.sha256},
        )
    return report
