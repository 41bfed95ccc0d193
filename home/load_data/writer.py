"""Writing the load population: ids given out here, rows kept by table, then written in bulk
(PostgreSQL's COPY, or one executemany per table elsewhere), with each centre's audit chain
sealed by the audit log's own hash.

Ids are given by the generator, not by the database, because rows refer to each other (and
audit entries name them) before anything is written. They follow on from the largest id in each
table, read while the tables are locked against other writers (PostgreSQL) or inside SQLite's
write transaction, and each table's sequence is moved past them before the transaction ends.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Model

from assessment.models import Decision, UnitSignOff
from certification.models import Certificate
from iqa.models import Action, AssessorRisk, PlanItem, Sample, SamplingPlan, SamplingStrategy
from portal.audit import GENESIS, entry_hash
from portal.models import AuditEntry, Centre, Role, User
from portfolios.models import Evidence, EvidenceFile, Mapping, Registration, RegistrationUnit

DECISION_EVIDENCE: type[Model] = Decision.evidence.through
SAMPLE_DECISIONS: type[Model] = Sample.decisions.through
SAMPLE_EVIDENCE: type[Model] = Sample.evidence.through

# Every table the generator writes, in an order in which each row's references come first.
TABLES: tuple[type[Model], ...] = (
    Centre,
    User,
    Role,
    Registration,
    RegistrationUnit,
    Evidence,
    EvidenceFile,
    Mapping,
    Decision,
    DECISION_EVIDENCE,
    UnitSignOff,
    SamplingStrategy,
    AssessorRisk,
    SamplingPlan,
    PlanItem,
    Sample,
    SAMPLE_DECISIONS,
    SAMPLE_EVIDENCE,
    Action,
    Certificate,
    AuditEntry,
)

NULL = "\\N"
REQUIRED = object()  # a column with no default: every row must give it


def table_name(model: type[Model]) -> str:
    return str(model._meta.db_table)


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
    defaults: dict[str, Any]

    @classmethod
    def of(cls, model: type[Model]) -> Columns:
        fields = model._meta.concrete_fields
        defaults = {}
        for f in fields:
            if f.has_default() or f.null or f.empty_strings_allowed:
                defaults[f.attname] = f.get_default()
            else:
                defaults[f.attname] = REQUIRED
        return cls(tuple(f.attname for f in fields), tuple(str(f.column) for f in fields), defaults)


COLUMNS: dict[type[Model], Columns] = {}


def columns_of(model: type[Model]) -> Columns:
    if model not in COLUMNS:
        COLUMNS[model] = Columns.of(model)
    return COLUMNS[model]


class Ids:
    """The next id of each table, following on from what the database holds."""

    def __init__(self, start: dict[type[Model], int]) -> None:
        self.last = dict(start)
        self.first = {model: last + 1 for model, last in start.items()}

    @classmethod
    def after_current(cls) -> Ids:
        with connection.cursor() as cursor:
            start = {}
            for model in TABLES:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table_name(model)}")
                start[model] = int(cursor.fetchone()[0])
        return cls(start)

    def next(self, model: type[Model]) -> int:
        self.last[model] += 1
        return self.last[model]

    def used(self, model: type[Model]) -> bool:
        return self.last[model] >= self.first[model]


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

    def add(self, model: type[Model], **values: Any) -> int:
        """Add a row; returns its id (given here unless `values` has one)."""
        if "id" not in values:
            values["id"] = self.ids.next(model)
        cols = columns_of(model)
        row = tuple(values.get(name, cols.defaults[name]) for name in cols.names)
        if len(values) > len(cols.names) or REQUIRED in row:
            missing = [n for n, v in zip(cols.names, row, strict=True) if v is REQUIRED]
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

    def counts(self) -> dict[type[Model], int]:
        return {model: len(rows) for model, rows in self.rows.items()}


def seal_chain(batch: Batch, centre_id: int) -> None:
    """Turn the centre's events into its audit chain: in time order, each entry hashed by
    `portal.audit.entry_hash` over its content and the hash of the one before. The centre is
    new, so its chain starts here."""
    entry = AuditEntry(centre_id=centre_id)  # one instance, reused only to be hashed
    previous = GENESIS
    for event in sorted(batch.events, key=lambda e: (e.at, e.seq)):
        entry.at, entry.actor_id, entry.action = event.at, event.actor, event.action
        entry.subject, entry.before, entry.after = event.subject, event.before, event.after
        entry.previous_hash = previous
        digest = entry_hash(entry)
        batch.add(
            AuditEntry,
            at=event.at,
            centre_id=centre_id,
            actor_id=event.actor,
            action=event.action,
            subject=event.subject,
            before=event.before,
            after=event.after,
            previous_hash=previous,
            hash=digest,
        )
        previous = digest
    batch.events.clear()


def store_files(batch: Batch, saved: list[str]) -> None:
    """Store each evidence file through Django's storage; `saved` collects the names, so the
    caller can remove them if the transaction fails."""
    rows = batch.rows[EvidenceFile]
    position = columns_of(EvidenceFile).names.index("file")
    for index, wanted, content in batch.files:
        name = default_storage.save(wanted, ContentFile(content))
        saved.append(name)
        if name != wanted:  # the storage chose another name: the row says where it is
            row = list(rows[index])
            row[position] = name
            rows[index] = tuple(row)
    batch.files.clear()


def delete_files(names: Iterable[str]) -> None:
    for name in names:
        default_storage.delete(name)


def lock_tables() -> None:
    """Hold off other writers to these tables until the transaction ends (reads go on), so
    the ids read next stay free. SQLite's write transaction does that already."""
    if connection.vendor != "postgresql":
        return
    names = ", ".join(table_name(model) for model in TABLES)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")


def write(batch: Batch) -> None:
    """Write every row of the batch, table by table, then move the sequences past them."""
    for model in TABLES:
        rows = batch.rows.get(model)
        if rows:
            if connection.vendor == "postgresql":
                copy_rows(model, rows)
            else:
                insert_rows(model, rows)
    if connection.vendor == "postgresql":
        move_sequences(batch.ids)
    batch.rows.clear()


def csv_cell(value: Any) -> Any:
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder)
    return value


def copy_rows(model: type[Model], rows: Sequence[tuple[Any, ...]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([csv_cell(v) for v in row] for row in rows)
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
        return json.dumps(value, cls=DjangoJSONEncoder)
    return value


def insert_rows(model: type[Model], rows: Sequence[tuple[Any, ...]]) -> None:
    cols = columns_of(model)
    names = ", ".join(connection.ops.quote_name(c) for c in cols.db_names)
    marks = ", ".join(["%s"] * len(cols.db_names))
    sql = f"INSERT INTO {table_name(model)} ({names}) VALUES ({marks})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[sqlite_value(v) for v in row] for row in rows])


def move_sequences(ids: Ids) -> None:
    """Each table's next id, for whoever writes after the generator, is past its rows."""
    with connection.cursor() as cursor:
        for model in TABLES:
            if ids.used(model):
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [table_name(model), ids.last[model]],
                )
