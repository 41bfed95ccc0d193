"""A synthetic population the size of a large provider, for measuring the portal
(`manage.py generate_load_data`, docs/performance.md).

It is written in bulk (COPY on PostgreSQL), never through the services one request at a time,
but every row is what the services would have made: units the rules engine accepts, mappings
settled by decisions, trainees' decisions countersigned, units signed off only when every item
is met by a decision that counts, IQA plans from the real planner, claims only where ready, and
each centre's audit chain hashed by `portal.audit.entry_hash`, so `verify_audit` passes.

One centre at a time, each in its own transaction that takes the centre's audit chain first.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from home.load_data.catalogue import QualificationInfo, ensure_catalogue, read_catalogue
from home.load_data.claims import Snapshots, claim_all
from home.load_data.context import CentreContext
from home.load_data.journeys import add_people, tell_story
from home.load_data.layout import CentrePlan, centre_plans
from home.load_data.quality import QualityAssurance
from home.load_data.replace import load_centres, remove_load_population
from home.load_data.writer import (
    Batch,
    Ids,
    delete_files,
    label,
    lock_tables,
    seal_chain,
    store_files,
    table_name,
    write,
)
from portal.audit import lock_chain
from portal.models import Centre
from qualifications.models import Qualification

DEFAULT_PASSWORD = "load-portal-2026"

LOAD_DATA_EXISTS = (
    "The database already has load centres ({names}). Run with --replace to remove them (and "
    "everything in them) first."
)


class LoadDataRefused(Exception):
    """The generator will not run as asked; the message says why."""


@dataclass(frozen=True)
class Options:
    centres: int = 20
    learners: int = 20000
    assessors: int = 400
    iqas: int | None = None  # about one per ten assessors, at least one per centre
    small_centre_learners: int = 5
    seed: int = 1
    password: str = DEFAULT_PASSWORD
    render_certificates: int = 0

    @property
    def iqa_count(self) -> int:
        return self.iqas if self.iqas is not None else max(self.centres, self.assessors // 10)

    def problems(self) -> list[str]:
        found = []
        if min(self.centres, self.learners, self.assessors, self.small_centre_learners) < 0:
            found.append("Counts cannot be negative.")
        if self.centres == 0 and self.small_centre_learners == 0:
            found.append("Nothing to make: no centres and no small centre.")
        if self.assessors < self.centres:
            found.append("Every centre needs an assessor: --assessors at least --centres.")
        if self.iqa_count < self.centres:
            found.append("Every centre needs an IQA: --iqas at least --centres.")
        if not self.password:
            found.append("The password cannot be empty.")
        return found


@dataclass
class Report:
    rows: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    centres: list[str] = field(default_factory=list)
    catalogue_loaded: bool = False
    removed: dict[str, int] = field(default_factory=dict)
    not_claimed: int = 0
    rendered: int = 0
    wall: float = 0.0
    database_bytes: int | None = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage; the same stage for every centre adds up."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def generate(options: Options, *, replace: bool = False) -> Report:
    """Make the load population; refused (LoadDataRefused) if one is there and not `replace`."""
    if problems := options.problems():
        raise LoadDataRefused(" ".join(problems))
    report, started = Report(), time.perf_counter()
    existing = list(load_centres().order_by("name").values_list("name", flat=True))
    if existing and not replace:
        raise LoadDataRefused(LOAD_DATA_EXISTS.format(names=", ".join(existing[:3]) + " ..."))
    with report.stage("catalogue"):
        report.catalogue_loaded = ensure_catalogue()
        cycle = qualification_cycle(read_catalogue(random.Random(options.seed)))
        qualifications = Qualification.objects.select_related("awarding_organisation").in_bulk()
    if existing:
        with report.stage("removing the previous load population"):
            report.removed = remove_load_population()
    with report.stage("password hash"):
        password_hash = make_password(options.password)
    now, snapshots = timezone.now(), Snapshots()
    plans = centre_plans(
        centres=options.centres,
        learners=options.learners,
        assessors=options.assessors,
        iqas=options.iqa_count,
        small_centre_learners=options.small_centre_learners,
    )
    for plan in plans:
        shared = Shared(options.seed, now, password_hash, cycle, qualifications, snapshots)
        make_centre(plan, shared, report)
        report.centres.append(plan.name)
    if options.render_certificates:
        with report.stage("rendering certificate PDFs"):
            report.rendered = render_certificates(options.render_certificates)
    report.wall = time.perf_counter() - started
    report.database_bytes = database_size()
    return report


def qualification_cycle(shares: list[tuple[QualificationInfo, int]]) -> list[QualificationInfo]:
    """The qualifications spread over twenty places by their shares, interleaved, so that any
    run of learners has a mix of them."""
    placed = sorted(
        ((n + 0.5) / share, info.code, info) for info, share in shares for n in range(share)
    )
    return [info for _, _, info in placed]


@dataclass(frozen=True)
class Shared:
    """What every centre's generation reads and nothing changes (snapshots are only cached)."""

    seed: int
    now: datetime
    password_hash: str
    cycle: list[QualificationInfo]
    qualifications: dict[int, Qualification]
    snapshots: Snapshots


def reserve_centre_id() -> int:
    """The new centre's id, before its transaction, so its chain can be taken first thing."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table_name(Centre)])
        else:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table_name(Centre)}")
        return int(cursor.fetchone()[0])


def make_centre(plan: CentrePlan, shared: Shared, report: Report) -> None:
    """One centre, everything in it, and its audit chain, in one transaction."""
    centre_id = reserve_centre_id()
    saved: list[str] = []
    try:
        with transaction.atomic():
            lock_chain(centre_id)  # the centre's chain before any row, as every write does
            lock_tables()
            ids = Ids.after_current()
            ids.last[Centre] = max(ids.last[Centre], centre_id)
            ctx = CentreContext(
                batch=Batch(ids),
                rng=random.Random(f"{shared.seed}:{plan.number}"),
                now=shared.now,
                centre_id=centre_id,
                plan=plan,
                password_hash=shared.password_hash,
                qualifications=shared.cycle,
            )
            fill_centre(ctx, shared, report)
            with report.stage("storing evidence files"):
                store_files(ctx.batch, saved)
            report.rows.update({label(m): n for m, n in ctx.batch.counts().items()})
            with report.stage("writing to the database"):
                write(ctx.batch)
    except BaseException:
        delete_files(saved)
        raise


def fill_centre(ctx: CentreContext, shared: Shared, report: Report) -> None:
    with report.stage("people and learners' work"):
        add_people(ctx)
        for k in range(1, ctx.plan.learners + 1):
            tell_story(ctx, k)
    with report.stage("IQA"):
        records = QualityAssurance(ctx).do()
    with report.stage("claims"):
        report.not_claimed += claim_all(ctx, records, shared.qualifications, shared.snapshots)
    with report.stage("audit chain"):
        seal_chain(ctx.batch, ctx.centre_id)


def render_certificates(count: int) -> int:
    """Render the first `count` load certificates' PDFs here, as the worker's task would."""
    from certification.models import Certificate
    from certification.rendering import certificate_render  # WeasyPrint: only when asked

    pending = Certificate.objects.filter(
        registration__centre__in=load_centres(), status="pending"
    ).order_by("pk")
    ids = list(pending.values_list("pk", flat=True)[:count])
    for pk in ids:
        certificate_render(pk)
    return len(ids)


def database_size() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])
