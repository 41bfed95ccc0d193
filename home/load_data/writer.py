"""Writing the load population: rows kept by table while a centre is made (with ids from
`ids.py`), its audit chain sealed by the audit log's own hash, its evidence files stored, then
everything written in bulk: PostgreSQL's COPY, or one executemany per table elsewhere."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection
from django.db.models import ForeignKey, JSONField, Model

from assessment.models import Decision, RequirementShown, SufficiencyRecord, UnitSignOff
from certification.models import Certificate, DirectClaimsStatus
from competence.models import CompetenceEntry, RegisterEnforced
from home.load_data.ids import Ids, table_name
from iqa.models import Action, AssessorRisk, PlanItem, Sample, SamplingPlan, SamplingStrategy
from portal.audit import GENESIS, entry_hash
from portal.models import AuditEntry, Centre, Role, User
from portfolios.models import Evidence, EvidenceFile, Mapping, Registration, RegistrationUnit

DECISION_EVIDENCE: type[Model] = Decision.evidence.through
REQUIREMENT_EVIDENCE: type[Model] = RequirementShown.evidence.through
SAMPLE_DECISIONS: type[Model] = Sample.decisions.through
SAMPLE_EVIDENCE: type[Model] = Sample.evidence.through
COMPETENCE_SCOPE: type[Model] = CompetenceEntry.qualifications.through

# Every table the generator writes, in an order in which each row's references come first.
TABLES: tuple[type[Model], ...] = (
    Centre,
    User,
    Role,
    CompetenceEntry,
    COMPETENCE_SCOPE,
    RegisterEnforced,
    Registration,
    RegistrationUnit,
    Evidence,
    EvidenceFile,
    Mapping,
    Decision,
    DECISION_EVIDENCE,
    RequirementShown,
    REQUIREMENT_EVIDENCE,
    SufficiencyRecord,
    UnitSignOff,
    SamplingStrategy,
    AssessorRisk,
    SamplingPlan,
    PlanItem,
    Sample,
    SAMPLE_DECISIONS,
    SAMPLE_EVIDENCE,
    Action,
    DirectClaimsStatus,
    Certificate,
    AuditEntry,
)

NULL = "\\N"


def label(model: type[Model]) -> str:
    """How the summary names a table: the model, or the two models a link table joins."""
    return f"{model._meta.app_label}.{model._meta.object_name}"


@dataclass(frozen=True)
class Columns:
    """A table's columns (attribute names, then the database's names) and what a row that does
    not give a column gets: the field's default. A column added to a model later, with a
    default, is filled without the generator knowing about it."""

    names: tuple[str, ...]
    db_names: tuple[str, ...]
    defaults: tuple[tuple[str, Any], ...]  # (name, default) in column order
    required: tuple[str, ...]  # columns with no default, which every row must give
    json: tuple[int, ...]  # positions of JSON columns

    @classmethod
    def of(cls, model: type[Model]) -> Columns:
        fields = model._meta.concrete_fields
        defaults, required = [], []
        for f in fields:
            if f.has_default() or f.null or f.empty_strings_allowed:
                defaults.append((f.attname, f.get_default()))
            else:
                defaults.append((f.attname, None))
                required.append(f.attname)
        return cls(
            names=tuple(f.attname for f in fields),
            db_names=tuple(str(f.column) for f in fields),
            defaults=tuple(defaults),
            required=tuple(required),
            json=tuple(n for n, f in enumerate(fields) if isinstance(f, JSONField)),
        )


COLUMNS: dict[type[Model], Columns] = {}


def columns_of(model: type[Model]) -> Columns:
    if model not in COLUMNS:
        COLUMNS[model] = Columns.of(model)
    return COLUMNS[model]


class Appender:
    """Appends rows to one table from values given in a fixed order of column names: the
    quick way for the tables with most rows. Columns not named get their defaults."""

    def __init__(self, rows: list[tuple[Any, ...]], model: type[Model], names: tuple[str, ...]):
        cols = columns_of(model)
        unknown = set(names) - set(cols.names)
        missing = set(cols.required) - set(names)
        if unknown or missing:
            raise ValueError(
                f"{label(model)}: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        self.rows = rows
        self.same = names == cols.names
        self.shape = [(names.index(n) if n in names else -1, d) for n, d in cols.defaults]

    def __call__(self, *values: Any) -> None:
        if self.same:
            self.rows.append(values)
        else:
            self.rows.append(tuple([values[i] if i >= 0 else d for i, d in self.shape]))


class Event(NamedTuple):
    """An audit entry waiting for its place in the chain: (when, order made, the rest)."""

    at: datetime
    seq: int
    actor: int | None
    action: str
    subject: str
    before: Any
    after: Any


@dataclass
class Batch:
    """One centre's rows, files and audit events, written together in one transaction."""

    ids: Ids
    rows: dict[type[Model], list[tuple[Any, ...]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    events: list[Event] = field(default_factory=list)
    # (index of the EvidenceFile row, the storage name wanted, the content)
    files: list[tuple[int, str, bytes]] = field(default_factory=list)
    appenders: dict[tuple[type[Model], tuple[str, ...]], Appender] = field(default_factory=dict)

    def add(self, model: type[Model], **values: Any) -> int:
        """Add a row; returns its id (given here unless `values` has one)."""
        if "id" not in values:
            values["id"] = self.ids.next(model)
        cols = columns_of(model)
        get = values.get
        row = tuple([get(name, default) for name, default in cols.defaults])
        if len(values) > len(row) or any(name not in values for name in cols.required):
            missing = [n for n in cols.required if n not in values]
            unknown = sorted(set(values) - set(cols.names))
            raise ValueError(f"{label(model)}: missing {missing}, unknown {unknown}")
        self.rows[model].append(row)
        return int(values["id"])

    def record(
        self,
        at: datetime,
        actor: int | None,
        action: str,
        subject: str,
        *,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """An audit entry, as the service that made the change would append it. `before` and
        `after` must already be plain JSON (what the database gives back), as the hash is
        taken on them here."""
        self.events.append(Event(at, len(self.events), actor, action, subject, before, after))

    def add_file(self, wanted_name: str, content: bytes, **values: Any) -> int:
        """An EvidenceFile row whose content is stored under (about) `wanted_name`."""
        index = len(self.rows[EvidenceFile])
        self.files.append((index, wanted_name, content))
        return self.add(EvidenceFile, file=wanted_name, **values)

    def appender(self, model: type[Model], names: tuple[str, ...]) -> Appender:
        """The quick way to add many rows to one table (see Appender)."""
        key = (model, names)
        if key not in self.appenders:
            self.appenders[key] = Appender(self.rows[model], model, names)
        return self.appenders[key]

    def counts(self) -> dict[type[Model], int]:
        return {model: len(rows) for model, rows in self.rows.items()}


AUDIT_COLUMNS = (
    "id",
    "at",
    "centre_id",
    "actor_id",
    "action",
    "subject",
    "before",
    "after",
    "previous_hash",
    "hash",
)


def seal_chain(batch: Batch, centre_id: int) -> None:
    """Turn the centre's events into its audit chain: in time order, each entry hashed by
    `portal.audit.entry_hash` over its content and the hash of the one before. The centre is
    new, so its chain starts here."""
    entry = AuditEntry(centre_id=centre_id)  # one instance, reused only to be hashed
    append = batch.appender(AuditEntry, AUDIT_COLUMNS)
    previous = GENESIS
    for event in sorted(batch.events, key=lambda e: (e.at, e.seq)):
        entry.at, entry.actor_id, entry.action = event.at, event.actor, event.action
        entry.subject, entry.before, entry.after = event.subject, event.before, event.after
        entry.previous_hash = previous
        digest = entry_hash(entry)
        append(
            batch.ids.next(AuditEntry),
            event.at,
            centre_id,
            event.actor,
            event.action,
            event.subject,
            event.before,
            event.after,
            previous,
            digest,
        )
        previous = digest
    batch.events.clear()


FILE_THREADS = 4  # storing a file is mostly waiting for the file system


def store_files(batch: Batch, saved: list[str]) -> None:
    """Store each evidence file through Django's storage, a few at a time; `saved` collects
    the names, so the caller can remove them if the transaction fails."""
    rows = batch.rows[EvidenceFile]
    position = columns_of(EvidenceFile).names.index("file")

    def save(wanted: str, content: bytes) -> str:
        name = default_storage.save(wanted, ContentFile(content))
        saved.append(name)
        return name

    with ThreadPoolExecutor(FILE_THREADS) as pool:
        names = pool.map(save, [w for _, w, _ in batch.files], [c for _, _, c in batch.files])
        for (index, wanted, _), name in zip(batch.files, names, strict=True):
            if name != wanted:  # the storage chose another name: the row says where it is
                row = list(rows[index])
                row[position] = name
                rows[index] = tuple(row)
    batch.files.clear()


def delete_files(names: Iterable[str]) -> None:
    with ThreadPoolExecutor(FILE_THREADS) as pool:
        list(pool.map(default_storage.delete, names))


def write(batch: Batch) -> None:
    """Write every row of the batch, table by table, then move the sequences past them."""
    if unknown := [label(m) for m, rows in batch.rows.items() if rows and m not in TABLES]:
        raise ValueError(f"Rows of tables the writer does not know: {', '.join(unknown)}")
    if connection.vendor != "postgresql":
        for model in TABLES:
            if rows := batch.rows.get(model):
                insert_rows(model, rows)
        batch.rows.clear()
        return
    in_bulk = references_checked_in_bulk()
    for model in TABLES:
        if rows := batch.rows.get(model):
            copy_rows(model, rows)
    if in_bulk:
        # Set back for the rest of the transaction (on a failure, the rollback sets it back).
        set_replication_role("origin")
        check_references(batch.ids)
    batch.rows.clear()


def references_checked_in_bulk() -> bool:
    """Where the session may (a superuser), the references of the rows written are checked
    afterwards by one query per foreign key (`check_references`) instead of row by row by
    PostgreSQL's triggers, which cost more than the rest of the writing. Elsewhere the
    triggers check them, at the end of the transaction as always."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        superuser = bool(cursor.fetchone()[0])
    if superuser:
        set_replication_role("replica")  # no triggers fire, until set back
    return superuser


def set_replication_role(role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL session_replication_role = {role}")


class DanglingReference(IntegrityError):
    """A row written refers to one that is not there; the transaction is rolled back."""


def check_references(ids: Ids) -> None:
    """Every reference of every row the batch wrote (the ranges of ids it was given) leads to
    a row, checked in one query per foreign key; raises DanglingReference if not."""
    broken = []
    with connection.cursor() as cursor:
        for model, ranges in ids.ranges.items():
            written = " OR ".join(["c.id BETWEEN %s AND %s"] * len(ranges))
            bounds = [bound for pair in ranges for bound in pair]
            for f in model._meta.concrete_fields:
                if not isinstance(f, ForeignKey):
                    continue
                target = f.target_field
                cursor.execute(
                    f"SELECT COUNT(*) FROM {table_name(model)} c WHERE ({written}) "
                    f"AND c.{f.column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                    f"{table_name(target.model)} p WHERE p.{target.column} = c.{f.column})",
                    bounds,
                )
                if count := int(cursor.fetchone()[0]):
                    broken.append(f"{label(model)}.{f.attname}: {count}")
    if broken:
        raise DanglingReference("Rows refer to rows that are not there: " + "; ".join(broken))


def json_text(value: Any) -> str:
    """JSON for a column. The values are plain already (what the database gives back), so the
    standard encoder does, and fast; Django's is there for anything else."""
    try:
        return json.dumps(value)
    except TypeError:
        return json.dumps(value, cls=DjangoJSONEncoder)


def csv_rows(model: type[Model], rows: Sequence[tuple[Any, ...]]) -> Iterator[list[Any]]:
    """Rows as COPY's CSV reads them: None as \\N, JSON as text. (Booleans, numbers, dates and
    times are written as Python prints them, which PostgreSQL reads.)"""
    positions = columns_of(model).json
    for row in rows:
        cells = [NULL if v is None else v for v in row]
        for n in positions:
            if row[n] is not None:
                cells[n] = json_text(row[n])
        yield cells


def copy_rows(model: type[Model], rows: Sequence[tuple[Any, ...]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(csv_rows(model, rows))
    buffer.seek(0)
    names = ", ".join(connection.ops.quote_name(c) for c in columns_of(model).db_names)
    sql = f"COPY {table_name(model)} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if hasattr(raw, "copy_expert"):  # psycopg2
            raw.copy_expert(sql, buffer)
        else:  # psycopg 3
            with raw.copy(sql) as copy:
                copy.write(buffer.getvalue())


def sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    if isinstance(value, dict | list):
        return json_text(value)
    return value


def insert_rows(model: type[Model], rows: Sequence[tuple[Any, ...]]) -> None:
    cols = columns_of(model)
    names = ", ".join(connection.ops.quote_name(c) for c in cols.db_names)
    marks = ", ".join(["%s"] * len(cols.db_names))
    sql = f"INSERT INTO {table_name(model)} ({names}) VALUES ({marks})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[sqlite_value(v) for v in row] for row in rows])
