"""A synthetic population the size of a large provider, for measuring the portal
(`manage.py generate_load_data`, docs/performance.md).

It is written in bulk (COPY on PostgreSQL), never through the services one request at a time,
but every row is what the services would have made: units the rules engine accepts, mappings
settled by decisions, trainees' decisions countersigned, units signed off only when every item
is met by a decision that counts, IQA plans from the real planner, claims only where ready, and
each centre's audit chain hashed by `portal.audit.entry_hash`, so `verify_audit` passes.

Each centre is made, then written in its own transaction that takes the centre's audit chain
first; on PostgreSQL two processes (`jobs`) make centres side by side.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import random
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.db import connection, connections, transaction
from django.db.models import Model
from django.utils import timezone

from assessment.kept import keep_decided_work
from assessment.models import DecidedWork
from certification.models import Certificate, RenderStatus
from home.load_data.catalogue import QualificationInfo, ensure_catalogue, read_catalogue
from home.load_data.claims import Snapshots, claim_all
from home.load_data.competence import add_register
from home.load_data.context import CentreContext
from home.load_data.ids import Ids, IdSource, id_source, table_name
from home.load_data.journeys import add_people, tell_story
from home.load_data.layout import CentrePlan, centre_plans
from home.load_data.quality import QualityAssurance
from home.load_data.replace import load_centres, remove_load_population
from home.load_data.writer import (
    TABLES,
    Batch,
    delete_files,
    label,
    seal_chain,
    store_files,
    write,
)
from portal.audit import lock_chain
from portal.models import Centre, User
from portfolios.models import Registration
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
    jobs: int = 2  # processes making centres side by side (PostgreSQL only)

    @property
    def iqa_count(self) -> int:
        return self.iqas if self.iqas is not None else max(self.centres, self.assessors // 10)

    def problems(self) -> list[str]:
        found = []
        counts = {
            "--centres": self.centres,
            "--learners": self.learners,
            "--assessors": self.assessors,
            "--iqas": self.iqas or 0,
            "--small-centre-learners": self.small_centre_learners,
            "--render-certificates": self.render_certificates,
        }
        negative = [flag for flag, count in counts.items() if count < 0]
        if negative:
            found.append(f"Counts cannot be negative: {', '.join(negative)}.")
        if self.jobs < 1:
            found.append("--jobs must be at least 1.")
        if self.centres == 0 and self.small_centre_learners == 0:
            found.append("Nothing to make: no centres and no small centre.")
        if self.assessors < self.centres:
            found.append("Every centre needs an assessor: --assessors at least --centres.")
        if self.iqa_count < self.centres:
            found.append("Every centre needs an IQA: --iqas at least --centres.")
        if not self.password:
            found.append("The password cannot be empty.")
        return found


class Timings(dict[str, float]):
    """Seconds by stage; the same stage for every centre (and every process) adds up."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self[name] = self.get(name, 0.0) + time.perf_counter() - started

    def add(self, other: dict[str, float]) -> None:
        for name, seconds in other.items():
            self[name] = self.get(name, 0.0) + seconds


@dataclass
class CentreResult:
    name: str
    rows: Counter[str] = field(default_factory=Counter)
    seconds: Timings = field(default_factory=Timings)
    not_claimed: int = 0


@dataclass
class Report:
    rows: Counter[str] = field(default_factory=Counter)
    seconds: Timings = field(default_factory=Timings)
    centres: list[str] = field(default_factory=list)
    jobs: int = 1
    catalogue_loaded: bool = False
    removed: dict[str, int] = field(default_factory=dict)
    not_claimed: int = 0
    rendered: int = 0
    wall: float = 0.0
    database_bytes: int | None = None

    def add(self, result: CentreResult) -> None:
        self.centres.append(result.name)
        self.rows.update(result.rows)
        self.seconds.add(result.seconds)
        self.not_claimed += result.not_claimed


def generate(options: Options, *, replace: bool = False) -> Report:
    """Make the load population; refused (LoadDataRefused) if one is there and not `replace`."""
    if problems := options.problems():
        raise LoadDataRefused(" ".join(problems))
    report, started = Report(), time.perf_counter()
    existing = list(load_centres().order_by("name").values_list("name", flat=True))
    if existing and not replace:
        names = ", ".join(existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise LoadDataRefused(LOAD_DATA_EXISTS.format(names=names))
    with report.seconds.stage("catalogue"):
        report.catalogue_loaded = ensure_catalogue()
        cycle = qualification_cycle(read_catalogue(random.Random(options.seed)))
        qualifications = Qualification.objects.select_related("awarding_organisation").in_bulk()
    if existing:
        with report.seconds.stage("removing the previous load population"):
            report.removed = remove_load_population()
    with report.seconds.stage("password hash"):
        password_hash = make_password(options.password)
    shared = Shared(
        options.seed,
        timezone.now(),
        password_hash,
        cycle,
        qualifications,
        {},
        operations_account().pk,
    )
    plans = centre_plans(
        centres=options.centres,
        learners=options.learners,
        assessors=options.assessors,
        iqas=options.iqa_count,
        small_centre_learners=options.small_centre_learners,
    )
    report.jobs = jobs_for(options.jobs, len(plans))
    for result in make_centres(plans, shared, report.jobs):
        report.add(result)
    if options.render_certificates:
        with report.seconds.stage("rendering certificate PDFs"):
            report.rendered = render_certificates(options.render_certificates)
    with report.seconds.stage("vacuum and analyze"):
        tidy_tables()
    report.wall = time.perf_counter() - started
    report.database_bytes = database_size()
    return report


def jobs_for(asked: int, centres: int) -> int:
    """Processes to make centres in: one on SQLite, or inside a transaction (a test's), whose
    uncommitted rows other connections would not see."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, min(asked, centres))


def make_centres(plans: list[CentrePlan], shared: Shared, jobs: int) -> Iterator[CentreResult]:
    """Each centre made and written, here or by `jobs` processes side by side (each centre is
    its own transaction, and ids come from the sequences, so they never wait for each other)."""
    if jobs == 1:
        source = id_source()
        for plan in plans:
            yield make_centre(plan, shared, source)
        return
    connections.close_all()  # each process opens its own connection
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = [pool.submit(make_centre_in_process, plan, shared) for plan in plans]
        try:
            for future in futures:
                yield future.result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


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
    operations: int  # the portal's staff account that records Direct Claims Status


PROCESS_IDS: list[IdSource] = []  # each process's own source of ids, made when first used


def make_centre_in_process(plan: CentrePlan, shared: Shared) -> CentreResult:
    if not PROCESS_IDS:
        PROCESS_IDS.append(id_source())
        # The process says goodbye to PostgreSQL when it ends, rather than just going.
        multiprocessing.util.Finalize(None, connections.close_all, exitpriority=10)
    return make_centre(plan, shared, PROCESS_IDS[0])


def make_centre(plan: CentrePlan, shared: Shared, source: IdSource) -> CentreResult:
    """One centre and everything in it, made, then written in one transaction that takes the
    centre's audit chain before anything else, as every write of the portal does."""
    result = CentreResult(plan.name)
    ids = Ids(source)
    ctx = CentreContext(
        batch=Batch(ids),
        rng=random.Random(f"{shared.seed}:{plan.number}"),
        now=shared.now,
        centre_id=ids.next(Centre),
        plan=plan,
        password_hash=shared.password_hash,
        qualifications=shared.cycle,
    )
    fill_centre(ctx, shared, result)
    result.rows.update({label(m): n for m, n in ctx.batch.counts().items()})
    saved: list[str] = []
    try:
        with result.seconds.stage("storing evidence files"):
            store_files(ctx.batch, saved)
        with result.seconds.stage("writing to the database"), transaction.atomic():
            lock_chain(ctx.centre_id)
            write(ctx.batch)
            # The work kept for the IQA, from the decisions just written, as the services
            # that record and countersign keep it.
            kept = keep_decided_work(
                Registration.objects.filter(centre_id=ctx.centre_id).values_list("pk", flat=True)
            )
            result.rows[label(DecidedWork)] += kept
    except BaseException:
        delete_files(saved)
        raise
    return result


def fill_centre(ctx: CentreContext, shared: Shared, result: CentreResult) -> None:
    with result.seconds.stage("people and learners' work"):
        add_people(ctx)
        add_register(ctx)
        for k in range(1, ctx.plan.learners + 1):
            tell_story(ctx, k)
    with result.seconds.stage("IQA"):
        records = QualityAssurance(ctx).do()
    with result.seconds.stage("claims"):
        result.not_claimed += claim_all(
            ctx, records, shared.qualifications, shared.snapshots, shared.operations
        )
    with result.seconds.stage("audit chain"):
        seal_chain(ctx.batch, ctx.centre_id)


OPERATIONS_EMAIL = "operations@load.test"


def operations_account() -> User:
    """The portal's operations staff, who record Direct Claims Status for the awarding
    organisations (decision 29): one account for every load centre, kept by --replace. It has
    no password: nobody logs in as it."""
    found, made = User.objects.get_or_create(
        email=OPERATIONS_EMAIL,
        defaults={"full_name": "Load operations (portal staff)", "is_staff": True},
    )
    if made:
        found.set_unusable_password()
        found.save(update_fields=["password"])
    return found


def render_certificates(count: int) -> int:
    """Render the first `count` load certificates' PDFs here, as the worker's task would."""
    from certification.rendering import certificate_render  # WeasyPrint: only when asked

    pending = Certificate.objects.filter(
        registration__centre__in=load_centres(), status=RenderStatus.PENDING
    ).order_by("pk")
    ids = list(pending.values_list("pk", flat=True)[:count])
    for pk in ids:
        certificate_render(pk)
    return len(ids)


def tidy_tables() -> None:
    """Statistics for the planner on the tables written (the benchmarks that follow must see
    the plans a live database would use), and, outside a transaction, a vacuum: it marks the
    new pages all-visible, as autovacuum would have long since, and clears what --replace
    removed."""
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        kept: tuple[type[Model], ...] = (DecidedWork,)
        for model in TABLES + kept:
            cursor.execute(f"{command} {table_name(model)}")


def database_size() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])
