"""A learner's portfolio pack for the awarding organisation: a ZIP of their evidence files, the
mapping index, the assessment decisions and sign-offs, the IQA history and the certificates,
with a manifest of every file's size and SHA-256.

The records are read first, in one consistent snapshot, into small CSV and JSON documents; the
evidence files are then copied from storage a chunk at a time as the ZIP is sent
(`portal.archives.ZipStream`), each hashed on the way and checked against the hash taken at
upload. Nothing is held whole, and nothing is written to disk (decision 31).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from assessment.models import Decision, RequirementShown, SufficiencyRecord, UnitSignOff
from certification.exports.batch import ExportRefused
from certification.exports.formats import Family, family_of
from certification.models import Certificate
from iqa.models import Action, PlanItem, Sample
from portal.archives import CHUNK, Part, StoredFile, ZipStream, safe_name, to_json
from portal.spreadsheets import Cell, csv_text
from portfolios.models import (
    Evidence,
    EvidenceFile,
    Mapping,
    PriorLearning,
    PriorLearningItem,
    Registration,
    WitnessRequest,
)
from qualifications.models import Criterion, KnowledgeItem, RangeItem

FORMAT = "qualifications-portal portfolio pack, version 1"
NO_CANDIDATE_NUMBER = (
    "CXC names a CVQ portfolio by the candidate number and the CVQ code; record {name}'s "
    "candidate number (the AO registration number on the registration) first."
)
DOCUMENTS = {
    "README.txt": "what this pack is, in words",
    "candidate.json": "the learner as the awarding organisation registers them, the "
    "registration and the qualification",
    "evidence-index.csv": "every evidence item, with its files in this pack",
    "mapping-index.csv": "which evidence covers which criterion, range or knowledge item",
    "decisions.csv": "every assessment decision, superseded ones included, with feedback",
    "sign-offs.csv": "unit sign-offs and the learner's countersignatures",
    "requirements-shown.csv": "the evidence requirement items the assessor recorded as shown, "
    "with the evidence showing each",
    "sufficiency.csv": "the occasions, customers and periods the assessor recorded toward "
    "each unit's sufficiency",
    "prior-learning.csv": "units and items met through recognition of prior learning (RPL), "
    "and units exempt, with what the prior learning was",
    "witness-testimony.csv": "witness testimony (without the witnesses' e-mail addresses)",
    "iqa-planned.csv": "the units planned for IQA sampling",
    "iqa-samples.csv": "IQA samples: rules of evidence, verdicts, feedback",
    "iqa-actions.csv": "the actions IQA raised, the assessor's answers and their closing",
    "certificates.csv": "the certificates claimed for the registration",
}


@dataclass
class Pack:
    registration: Registration
    filename: str
    documents: dict[str, bytes] = field(default_factory=dict)
    files: list[StoredFile] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def plain(text: str) -> str:
    """Letters, digits and dashes only: what is safe in a file name on any computer."""
    return re.sub(r"[^A-Za-z0-9-]+", "", text.replace("/", "-"))


def pack_name(registration: Registration) -> str:
    """CXC's rule for a CVQ: `<candidate number><CVQ code>.zip` (refused without a candidate
    number). Any other AO: `<AO registration number, else ULN, else the portal's learner
    identifier>-<qualification number>-portfolio.zip`."""
    qualification = registration.qualification
    code = plain(qualification.number or qualification.code)
    number = plain(registration.ao_registration_number)
    if family_of(qualification) == Family.CVQ:
        if not number:
            raise ExportRefused(NO_CANDIDATE_NUMBER.format(name=registration.learner.full_name))
        return f"{number}{code}.zip"
    learner = registration.learner
    who = number or plain(learner.uln) or f"QPL{learner.pk:08d}"
    return f"{who}-{code}-portfolio.zip"


def name(user: Any) -> str:
    return user.full_name if user is not None else ""


def when(moment: Any) -> str:
    """Times and dates in ISO 8601, times in the portal's zone with the offset shown."""
    if moment is None:
        return ""
    if hasattr(moment, "tzinfo"):
        return timezone.localtime(moment).isoformat(timespec="seconds")
    return str(moment.isoformat())


def item_of(row: Decision | Mapping | PriorLearningItem) -> tuple[str, str, str]:
    """(unit, item, its text) as the catalogue prints them: `F/506/2131`, `1.1`, `Describe...`;
    a CVQ range item `1R(i)`, a knowledge item `K3`."""
    item: Criterion | RangeItem | KnowledgeItem
    if row.criterion is not None:
        item = row.criterion
        number = item.number
    elif row.range_item is not None:
        item = row.range_item
        number = item.reference
    else:
        assert row.knowledge_item is not None  # a mapping or decision is about one item
        item = row.knowledge_item
        number = f"K{item.number}"
    return item.unit.reference or item.unit.code, number, item.text


ITEM_RELATED = ("criterion__unit", "range_item__unit", "knowledge_item__unit")


def table(header: list[str], rows: list[list[Cell]]) -> bytes:
    return csv_text(header, rows).encode()


def file_path(row: EvidenceFile) -> str:
    return f"evidence/{row.evidence_id}/{row.pk}-{safe_name(row.original_name, row.content_type)}"


def evidence_index(pack: Pack) -> list[list[Cell]]:
    registration = pack.registration
    files: dict[int, list[EvidenceFile]] = {}
    for row in EvidenceFile.objects.filter(registration=registration).order_by("pk"):
        files.setdefault(row.evidence_id, []).append(row)
        what = f"a file of evidence item {row.evidence_id}, uploaded as {row.original_name!r}"
        pack.files.append(StoredFile(file_path(row), row.file.name or "", what, row.sha256))
    items = Evidence.objects.filter(registration=registration).select_related("created_by")
    return [
        [
            e.pk,
            e.title,
            when(e.occurred_on),
            e.get_method_display(),
            e.description,
            when(e.declared_at),
            name(e.created_by),
            when(e.created_at),
            "; ".join(file_path(f) for f in files.get(e.pk, [])),
        ]
        for e in items.order_by("pk")
    ]


def mapping_index(registration: Registration) -> list[list[Cell]]:
    found = Mapping.objects.filter(evidence__registration=registration).select_related(
        *ITEM_RELATED, "evidence", "proposed_by", "reviewed_by"
    )
    rows: list[list[Cell]] = []
    for m in found:
        unit, item, text = item_of(m)
        rows.append(
            [
                unit,
                item,
                text,
                m.evidence_id,
                m.evidence.title,
                m.get_status_display(),
                name(m.proposed_by),
                when(m.proposed_at),
                name(m.reviewed_by),
                when(m.reviewed_at),
                m.feedback,
            ]
        )
    return sorted(rows, key=lambda r: (str(r[0]), str(r[1]), int(r[3] or 0)))


def decisions(registration: Registration) -> list[list[Cell]]:
    found = (
        Decision.objects.filter(registration=registration)
        .select_related(*ITEM_RELATED, "decided_by", "countersigned_by")
        .prefetch_related("evidence")
        .order_by("pk")
    )
    rows: list[list[Cell]] = []
    for d in found:
        unit, item, text = item_of(d)
        evidence = " ".join(str(e.pk) for e in sorted(d.evidence.all(), key=lambda e: e.pk))
        rows.append(
            [
                unit,
                item,
                text,
                d.get_outcome_display(),
                d.get_method_display(),
                when(d.assessed_on),
                name(d.decided_by),
                when(d.decided_at),
                "Yes" if d.provisional else "No",
                name(d.countersigned_by),
                when(d.countersigned_at),
                "Yes" if d.current else "No",
                evidence,
                d.feedback,
            ]
        )
    return rows


def sign_offs(registration: Registration) -> list[list[Cell]]:
    found = UnitSignOff.objects.filter(registration=registration).select_related(
        "unit", "signed_by", "unlocked_by"
    )
    return [
        [
            s.unit.reference or s.unit.code,
            s.unit.title,
            name(s.signed_by),
            when(s.signed_at),
            s.signature,
            s.learner_signature,
            when(s.learner_signed_at),
            name(s.unlocked_by),
            when(s.unlocked_at),
            s.unlock_reason,
        ]
        for s in found.order_by("signed_at", "pk")
    ]


def withdrawn(r: RequirementShown | SufficiencyRecord) -> list[Cell]:
    return [name(r.withdrawn_by), when(r.withdrawn_at), r.withdraw_reason]


def requirements_shown(registration: Registration) -> list[list[Cell]]:
    found = (
        RequirementShown.objects.filter(registration=registration)
        .select_related("unit", "recorded_by", "withdrawn_by")
        .prefetch_related("evidence")
    )
    return [
        [
            r.unit.reference or r.unit.code,
            r.reference,
            " ".join(str(e.pk) for e in sorted(r.evidence.all(), key=lambda e: e.pk)),
            name(r.recorded_by),
            when(r.recorded_at),
            *withdrawn(r),
        ]
        for r in found.order_by("recorded_at", "pk")
    ]


def sufficiency(registration: Registration) -> list[list[Cell]]:
    found = SufficiencyRecord.objects.filter(registration=registration).select_related(
        "unit", "recorded_by", "withdrawn_by"
    )
    return [
        [
            r.unit.reference or r.unit.code,
            r.measure,
            r.evidence_id,
            r.description,
            name(r.recorded_by),
            when(r.recorded_at),
            *withdrawn(r),
        ]
        for r in found.order_by("recorded_at", "pk")
    ]


# How a criterion (or range or knowledge item) met through RPL is said (decision 54).
ITEM_RPL = "Met through recognition of prior learning (RPL)"


def prior_learning(registration: Registration) -> list[list[Cell]]:
    """Whole units (RPL or exempt), then single items (RPL), each in the order agreed."""
    rows: list[list[Cell]] = []
    units = PriorLearning.objects.filter(registration=registration).select_related(
        "unit", "agreed_by", "withdrawn_by"
    )
    items = PriorLearningItem.objects.filter(registration=registration).select_related(
        "unit", "agreed_by", "withdrawn_by", *ITEM_RELATED
    )
    records: list[PriorLearning | PriorLearningItem] = [
        *units.order_by("agreed_at", "pk"),
        *items.order_by("agreed_at", "pk"),
    ]
    for record in records:
        if isinstance(record, PriorLearning):
            item, kind = "", record.get_kind_display()
        else:
            item, kind = item_of(record)[1], ITEM_RPL
        rows.append(
            [
                record.unit.reference or record.unit.code,
                item,
                kind,
                record.description,
                when(record.achieved_on),
                record.evidence_id,
                name(record.agreed_by),
                when(record.agreed_at),
                name(record.withdrawn_by),
                when(record.withdrawn_at),
                record.withdrawal_reason,
            ]
        )
    return rows


def testimony(registration: Registration) -> list[list[Cell]]:
    found = WitnessRequest.objects.filter(registration=registration).select_related("requested_by")
    return [
        [
            w.pk,
            name(w.requested_by),
            when(w.requested_at),
            w.witness_name,
            w.witness_role,
            w.statement,
            when(w.confirmed_at),
            w.signed_name,
            w.job_title,
            w.relationship,
            w.evidence_id or "",
        ]
        for w in found.order_by("pk")
    ]


def planned(registration: Registration) -> list[list[Cell]]:
    found: QuerySet[PlanItem] = PlanItem.objects.filter(registration=registration)
    rows: list[list[Cell]] = [
        [
            p.unit.reference or p.unit.code,
            p.get_stage_display(),
            name(p.assessor),
            name(p.plan.iqa),
            when(p.plan.starts_on),
            when(p.plan.ends_on),
        ]
        for p in found.select_related("unit", "assessor", "plan__iqa").order_by("pk")
    ]
    return rows


def samples(registration: Registration) -> list[list[Cell]]:
    found = Sample.objects.filter(registration=registration).select_related(
        "unit", "assessor", "sampled_by", "lock_lifted_by"
    )
    return [
        [
            s.pk,
            s.unit.reference or s.unit.code,
            s.get_stage_display(),
            name(s.assessor),
            name(s.sampled_by),
            when(s.sampled_at),
            *("Yes" if getattr(s, rule) else "No" for rule in Sample.RULES_OF_EVIDENCE),
            s.get_verdict_display(),
            s.feedback,
            when(s.lock_lifted_at),
            s.lock_lift_reason,
        ]
        for s in found.order_by("sampled_at", "pk")
    ]


def actions(registration: Registration) -> list[list[Cell]]:
    found = Action.objects.filter(sample__registration=registration).select_related(
        "sample__unit", "closed_by"
    )
    return [
        [
            a.sample_id,
            a.sample.unit.reference or a.sample.unit.code,
            a.text,
            when(a.due_on),
            a.get_status_display(),
            a.response,
            when(a.responded_at),
            name(a.closed_by),
            when(a.closed_at),
        ]
        for a in found.order_by("pk")
    ]


def certificates(registration: Registration) -> list[list[Cell]]:
    found = Certificate.objects.filter(registration=registration).select_related("replaces")
    return [
        [
            c.number,
            c.get_kind_display(),
            c.state.label,
            when(c.issued_at),
            c.replaces.number if c.replaces else "",
            when(c.revoked_at),
            c.revocation_reason,
        ]
        for c in found.select_related("replaced_by").order_by("issued_at", "pk")
    ]


HEADERS = {
    "evidence-index.csv": [
        "Evidence item",
        "Title",
        "Date",
        "Method",
        "Description",
        "Declared own work at",
        "Added by",
        "Added at",
        "Files in this pack",
    ],
    "mapping-index.csv": [
        "Unit",
        "Item",
        "Item text",
        "Evidence item",
        "Evidence title",
        "Status",
        "Proposed by",
        "Proposed at",
        "Reviewed by",
        "Reviewed at",
        "Feedback",
    ],
    "decisions.csv": [
        "Unit",
        "Item",
        "Item text",
        "Outcome",
        "Method",
        "Assessed on",
        "Decided by",
        "Decided at",
        "Provisional",
        "Countersigned by",
        "Countersigned at",
        "Current",
        "Evidence items",
        "Feedback",
    ],
    "sign-offs.csv": [
        "Unit",
        "Unit title",
        "Signed off by",
        "Signed off at",
        "Assessor's signature",
        "Learner's signature",
        "Learner signed at",
        "Unlocked by",
        "Unlocked at",
        "Unlock reason",
    ],
    "requirements-shown.csv": [
        "Unit",
        "Evidence requirement item",
        "Evidence items",
        "Recorded by",
        "Recorded at",
        "Withdrawn by",
        "Withdrawn at",
        "Withdrawal reason",
    ],
    "sufficiency.csv": [
        "Unit",
        "Measure",
        "Evidence item",
        "Description",
        "Recorded by",
        "Recorded at",
        "Withdrawn by",
        "Withdrawn at",
        "Withdrawal reason",
    ],
    "prior-learning.csv": [
        "Unit",
        "Item",
        "Kind",
        "Prior learning",
        "Achieved on",
        "Evidence item",
        "Agreed by",
        "Agreed at",
        "Withdrawn by",
        "Withdrawn at",
        "Withdrawal reason",
    ],
    "witness-testimony.csv": [
        "Request",
        "Asked by",
        "Asked at",
        "Witness",
        "Witness's role",
        "Statement",
        "Confirmed at",
        "Signed name",
        "Job title",
        "Relationship",
        "Evidence item",
    ],
    "iqa-planned.csv": ["Unit", "Stage", "Assessor", "IQA", "Plan from", "Plan to"],
    "iqa-samples.csv": [
        "Sample",
        "Unit",
        "Stage",
        "Assessor",
        "Sampled by",
        "Sampled at",
        "Valid",
        "Authentic",
        "Current",
        "Sufficient",
        "Reliable",
        "Verdict",
        "Feedback",
        "Lock lifted at",
        "Lock lift reason",
    ],
    "iqa-actions.csv": [
        "Sample",
        "Unit",
        "Action",
        "Due on",
        "Status",
        "Assessor's response",
        "Responded at",
        "Closed by",
        "Closed at",
    ],
    "certificates.csv": [
        "Number",
        "Kind",
        "State",
        "Issued at",
        "Replaces",
        "Revoked at",
        "Revocation reason",
    ],
}


def candidate(registration: Registration) -> dict[str, Any]:
    learner, qualification = registration.learner, registration.qualification
    ao = qualification.awarding_organisation
    return {
        "learner": {
            "full_name": learner.full_name,
            "legal_first_names": learner.legal_first_names,
            "legal_last_name": learner.legal_last_name,
            "date_of_birth": learner.date_of_birth,
            "sex": learner.sex,
            "postcode": learner.postcode,
            "uln": learner.uln,
            "portal_learner_identifier": f"QPL{learner.pk:08d}",
        },
        "registration": {
            "ao_registration_number": registration.ao_registration_number,
            "funding": registration.get_funding_display() if registration.funding else "",
            "start_date": registration.start_date,
            "planned_end_date": registration.planned_end_date,
            "status": registration.get_status_display(),
            "assessor": name(registration.assessor),
            "iqa": name(registration.iqa),
            "units_chosen": [
                p.unit.reference or p.unit.code
                for p in registration.planned_units.select_related("unit").order_by("unit__code")
            ],
        },
        "qualification": {
            "awarding_organisation": ao.name if ao else "",
            "number": qualification.number,
            "ao_number": qualification.ao_number,
            "title": qualification.title,
            "level": qualification.level,
        },
        "centre": {
            "name": registration.centre.name,
            "ao_centre_number": registration.centre.ao_centre_number,
        },
    }


def read(pack: Pack) -> None:
    registration = pack.registration
    tables = {
        "evidence-index.csv": evidence_index(pack),
        "mapping-index.csv": mapping_index(registration),
        "decisions.csv": decisions(registration),
        "sign-offs.csv": sign_offs(registration),
        "requirements-shown.csv": requirements_shown(registration),
        "sufficiency.csv": sufficiency(registration),
        "prior-learning.csv": prior_learning(registration),
        "witness-testimony.csv": testimony(registration),
        "iqa-planned.csv": planned(registration),
        "iqa-samples.csv": samples(registration),
        "iqa-actions.csv": actions(registration),
        "certificates.csv": certificates(registration),
    }
    pack.documents["candidate.json"] = to_json(candidate(registration))
    for path, rows in tables.items():
        pack.documents[path] = table(HEADERS[path], rows)
        pack.counts[path.removesuffix(".csv").replace("-", "_")] = len(rows)
    pack.counts["evidence_files"] = len(pack.files)


def portfolio_pack(registration: Registration) -> Pack:
    """The pack's documents and the files to copy, read from one snapshot of the database
    (PostgreSQL: a repeatable-read, read-only transaction), so they agree with each other
    while the portal keeps working. ExportRefused if the AO's name for it cannot be made."""
    pack = Pack(registration, pack_name(registration))
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        read(pack)
    pack.documents["README.txt"] = readme(pack).encode()
    return pack


def readme(pack: Pack) -> str:
    registration = pack.registration
    parts = "\n".join(f"  {path}: {what}" for path, what in DOCUMENTS.items())
    return f"""Portfolio pack
==============

{registration.learner.full_name}, {registration.qualification.title},
at {registration.centre.name}: the portfolio as it stood on
{timezone.localtime():%d %B %Y at %H:%M %Z}.

What is in it
-------------
{parts}
  evidence/<evidence item>/<file>: the evidence files, exactly as uploaded

manifest.json lists every file with its size and SHA-256 hash, and each evidence file's hash
taken when it was uploaded ("stored_sha256"), with whether the two match. SHA256SUMS lists the
same hashes for `sha256sum -c SHA256SUMS` (Linux) or `shasum -a 256 -c SHA256SUMS` (macOS).
The CSV files open in a spreadsheet; times are ISO 8601 with their UTC offset.
"""


def manifest(pack: Pack, parts: list[Part], missing: list[str]) -> dict[str, Any]:
    registration = pack.registration
    return {
        "format": FORMAT,
        "name": pack.filename,
        "generated_at": timezone.localtime(),
        "registration": registration.pk,
        "qualification": registration.qualification.number or registration.qualification.code,
        "counts": pack.counts,
        "files": [p.listed() for p in parts],
        "missing_from_storage": missing,
    }


def pack_stream(pack: Pack) -> Iterator[bytes]:
    """The ZIP's bytes as they are made: the documents, the evidence files (opened one at a
    time; one missing from storage is listed as missing), then the manifest and SHA256SUMS."""
    stream = ZipStream()
    parts: list[Part] = []
    missing: list[str] = []
    for path, content in pack.documents.items():
        parts.append((yield from stream.member(path, [content], True, DOCUMENTS.get(path, ""))))
    for stored in pack.files:
        try:
            source = default_storage.open(stored.storage_name, "rb")
        except FileNotFoundError:
            missing.append(stored.path)
            continue
        with source:
            part = yield from stream.member(stored.path, source.chunks(CHUNK), False, stored.what)
        parts.append(Part(part.path, part.what, part.size, part.sha256, stored.stored_sha256))
    listed = to_json(manifest(pack, parts, missing))
    parts.append((yield from stream.member("manifest.json", [listed], True)))
    sums = "".join(f"{p.sha256}  {p.path}\n" for p in parts).encode()
    yield from stream.member("SHA256SUMS", [sums], True)
    yield from stream.close()
