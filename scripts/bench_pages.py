"""Benchmark: each role's main pages at a small centre and at a big one, against the floor page.

    .venv/bin/python scripts/bench_pages.py [--rounds 7] [--pages "IQA plan,admin claims"]
    .venv/bin/python scripts/bench_pages.py --generate --centres 1 --learners 1000 \\
        --assessors 20 --small-centre-learners 5    # the population (drops a DB a benchmark made)

Reads the PostgreSQL database BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/portal_bench_pages) and the cache in BENCH_REDIS_URL (default
redis://127.0.0.1:6379/2; the pages' cache there is emptied before each fetch, the whole Redis
database, so give the benchmarks one of their own). With --generate that database is dropped
and made afresh (only one a benchmark made, or one holding no tables: scripts/bench_database.py),
migrated,
the catalogue loaded, and the population made by `manage.py generate_load_data` with the flags
given (docs/performance.md, "The load population"; it ends with VACUUM (ANALYZE) of the
tables it wrote, so the plans and reads are those of a settled database).

The small centre is the one with the fewest learners, the big one the one with the most. For
each main page of scripts/main_pages.py, the busiest person of the page's role at each centre
(force_login, then the role switch as the site does it, DEBUG off) fetches it with Django's test
client: once to warm up, once counting queries, then `rounds` times, each fetch preceded by one
of the floor page (/accounts/password_change/, logged in) in the same run, so drift in the
machine's speed touches both alike. Writes (a decision, a plan generated) are sent in a
transaction rolled back afterwards, so every round finds the same data. The cache is emptied
before each fetch of a page (--keep-cache: not), since what the portal keeps there lasts until
the next write at the centre. Prints, per page: the
queries at each centre, the median server time at each, the big centre's median as a multiple
of the floor's median, and the size of the big centre's response; then the machine and the date.

The test client leaves out the network and gunicorn: what is measured is Django's time for the
request, queries included. The whole stack under load is scripts/bench_load.py.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench_pages"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")


def configure(media: str) -> None:
    """Production's settings where they bear on speed (DEBUG off, PostgreSQL, the Redis cache),
    with the test client's host allowed and uploads kept in a throwaway folder."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings", DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL, DEBUG="false", ALLOWED_HOSTS="testserver", MEDIA_ROOT=media,
        CONN_MAX_AGE="60", CELERY_QUEUE="bench-pages",
    )  # fmt: skip
    import logging

    import django

    django.setup()
    # A refusal (403, 404) shows in the table; only server errors are worth a traceback here.
    logging.getLogger("django.request").setLevel(logging.ERROR)


def generate(args: argparse.Namespace) -> None:
    """A fresh database with the load population (`manage.py generate_load_data`)."""
    from django.core.management import call_command

    from scripts.bench_database import recreate_database

    recreate_database()
    print(f"Making the population in {DATABASE_URL} ...", flush=True)
    call_command("migrate", verbosity=0)
    call_command("load_qualifications", verbosity=0)
    flags = ["--centres", args.centres, "--learners", args.learners]
    flags += ["--assessors", args.assessors, "--small-centre-learners", args.small_centre_learners]
    flags += ["--seed", args.seed, "--password", args.password]
    if args.iqas is not None:
        flags += ["--iqas", args.iqas]
    began = datetime.datetime.now()
    # In a process of its own: the generator forks its workers, and a fork of this process
    # (which has run migrations and holds connections and locks) hung in a child.
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "generate_load_data", *map(str, flags)],
        check=True,
        cwd=ROOT,
    )
    print(f"Generated in {(datetime.datetime.now() - began).total_seconds():.0f} s", flush=True)


@dataclass
class Side:
    """One centre's fetches of one page."""

    label: str  # "small" or "big"
    where: str | None = None
    queries: int | None = None
    size: int = 0
    status: str = ""
    times: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.times) * 1000 if self.times else None


@dataclass
class Row:
    page: Any  # scripts.main_pages.MainPage
    sides: list[Side]
    floor: list[float] = field(default_factory=list)

    @property
    def floor_ms(self) -> float | None:
        return statistics.median(self.floor) * 1000 if self.floor else None


def measure(
    page: Any, centres: list[tuple[str, Any]], rounds: int, clients: dict, keep_cache: bool = False
) -> Row:
    """Warm up, count queries, then `rounds` rounds of floor-then-page at each centre.

    The cache is emptied before every fetch of the page (not timed), unless `keep_cache`: what
    the portal keeps there (an IQA plan's period's work) is kept until the next write at the
    centre, and at a centre of a thousand learners there is one every few seconds, so an empty
    cache is the common case, and the like-for-like one with the figures before the cache."""
    from django.core.cache import cache

    from scripts.main_pages import FLOOR, answered, client_for, prepare, send

    def emptied() -> None:
        if not keep_cache:
            cache.clear()

    row = Row(page, [])
    runs = []
    for label, centre in centres:
        side = Side(label)
        row.sides.append(side)
        person = page.person_at(centre)
        if person is None:
            side.status = f"no {page.role}"
            continue
        where = side.where = page.find(person)
        if where is None:
            side.status = "nothing to show"
            continue
        if person.role.pk not in clients:  # one client per role: a person may hold several
            clients[person.role.pk] = client_for(person)
        runs.append((side, where, person, clients[person.role.pk]))
    if not runs:
        return row
    floor_client = runs[-1][3]
    for _, where, person, client in runs:  # warm up: the role switch's message shows here
        send(client, where, prepare(page, person))
        send(floor_client, FLOOR, None)
    for side, where, person, client in runs:
        emptied()
        fetched = send(client, where, prepare(page, person), count=True)
        side.queries, side.size = fetched.queries, len(fetched.response.content)
        side.status = "" if answered(page, fetched.response) else f"{fetched.response.status_code}!"
    for _ in range(rounds):
        for side, where, person, client in runs:
            data = prepare(page, person)
            row.floor.append(send(floor_client, FLOOR, None).seconds)
            emptied()
            side.times.append(send(client, where, data).seconds)
    return row


def floor_queries(client: Any) -> int | None:
    from scripts.main_pages import FLOOR, send

    return send(client, FLOOR, None, count=True).queries


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def print_table(rows: list[Row], floor_row: tuple[int | None, float]) -> None:
    header = (
        f"{'page':<30} {'role':<16} {'method':<6} {'queries':>13} {'median ms':>17} "
        f"{'big/floor':>9} {'KB big':>7}"
    )
    print(header)
    print(f"{'':<30} {'':<16} {'':<6} {'small':>6} {'big':>6} {'small':>8} {'big':>8}")
    print("-" * len(header))
    queries, floor_ms = floor_row
    ratios: dict[str, float] = {}  # page -> the big centre's median over the floor's
    print(
        f"{'floor (password change)':<30} {'any':<16} {'GET':<6} {number(queries):>6} "
        f"{number(queries):>6} {number(floor_ms, 1):>8} {number(floor_ms, 1):>8} {'1.0':>9}"
    )
    for row in rows:
        small, big = row.sides
        ratio = None
        if big.median_ms is not None and row.floor_ms:
            ratio = big.median_ms / row.floor_ms
        differ = None not in (small.queries, big.queries) and small.queries != big.queries
        marks = "  queries differ" if differ else ""
        notes = " ".join(s.status for s in (small, big) if s.status)
        print(
            f"{row.page.name:<30} {row.page.role:<16} {row.page.method:<6} "
            f"{number(small.queries):>6} {number(big.queries):>6} "
            f"{number(small.median_ms, 1):>8} {number(big.median_ms, 1):>8} "
            f"{number(ratio, 1):>9} {number(big.size / 1024 if big.where else None, 0):>7}"
            f"{marks}{'  ' + notes if notes else ''}"
        )
        if ratio is not None:
            ratios[row.page.name] = ratio
    above = [name for name, ratio in ratios.items() if ratio > 3]
    print(f"\n{len(ratios) - len(above)} of {len(ratios)} pages within 3x the floor at the big "
          f"centre{': above, ' + ', '.join(above) if above else ''}.")  # fmt: skip


def population(centres: list[tuple[str, Any]]) -> None:
    from django.db import connection

    from assessment.models import Decision
    from portal.models import AuditEntry, RoleKind
    from portfolios.models import Evidence, Mapping, Registration

    for label, centre in centres:
        roles = centre.roles
        print(
            f"{label} centre: {centre.name} (id {centre.pk}): "
            f"{roles.filter(kind=RoleKind.LEARNER).count():,} learners, "
            f"{roles.filter(kind=RoleKind.ASSESSOR).count():,} assessors, "
            f"{Registration.objects.filter(centre=centre).count():,} registrations, "
            f"{Evidence.objects.filter(registration__centre=centre).count():,} evidence, "
            f"{Decision.objects.filter(registration__centre=centre).count():,} decisions"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    print(
        f"whole database: {Registration.objects.count():,} registrations, "
        f"{Decision.objects.count():,} decisions, {Mapping.objects.count():,} mappings, "
        f"{AuditEntry.objects.count():,} audit entries, {size}"
    )


def machine() -> None:
    from django import get_version
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
        text=True,
    ).stdout.strip()  # fmt: skip
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    modified = " (with changes not committed)" if dirty else ""
    print(f"date: {datetime.datetime.now():%Y-%m-%d %H:%M}; commit {commit}{modified}")
    print(
        f"machine: {os.cpu_count()} cores ({cpu}); Python {platform.python_version()}; "
        f"PostgreSQL {postgres}; Django {get_version()}; load average {load}"
    )


def wanted(pages: list[Any], filters: str) -> list[Any]:
    if not filters:
        return pages
    words = [w.strip().lower() for w in filters.split(",") if w.strip()]
    return [p for p in pages if any(w in p.name.lower() for w in words)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=f"Database: BENCH_DATABASE_URL (now {DATABASE_URL}); cache: BENCH_REDIS_URL "
        f"(now {REDIS_URL}). With --generate, that database is dropped and made afresh "
        "(only one a benchmark made, or one holding no tables).",
    )
    parser.add_argument("--rounds", type=int, default=7, help="timed fetches per page and centre")
    parser.add_argument(
        "--pages", default="", help="comma-separated parts of page names, e.g. 'IQA plan,claims'"
    )
    parser.add_argument(
        "--keep-cache", action="store_true",
        help="keep what pages put in the cache between fetches (by default it is emptied before "
        "each fetch: the common case at a busy centre, where every write makes a new key)",
    )  # fmt: skip
    parser.add_argument(
        "--generate", action="store_true",
        help="drop the DB (if a benchmark made it), make the population",
    )  # fmt: skip
    parser.add_argument("--centres", type=int, default=1)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--assessors", type=int, default=20)
    parser.add_argument("--iqas", type=int, default=None)
    parser.add_argument("--small-centre-learners", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--password", default="load-portal-2026")
    args = parser.parse_args()
    if args.rounds < 1:
        sys.exit("--rounds must be at least 1.")

    media = tempfile.mkdtemp(prefix="bench-pages-")
    try:
        configure(media)
        if args.generate:
            generate(args)
        run(args)
    finally:
        shutil.rmtree(media, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from scripts.main_pages import ADMIN, MAIN_PAGES, client_for, person_at, the_population

    found = the_population(DATABASE_URL)
    centres = [("small", found[0][0]), ("big", found[-1][0])]
    population(centres)
    pages = wanted(MAIN_PAGES, args.pages)
    if not pages:
        sys.exit(f"No main page matches {args.pages!r}.")
    print(f"{len(pages)} pages, {args.rounds} rounds each ...", flush=True)
    clients: dict[int, Any] = {}
    rows = []
    for page in pages:
        rows.append(measure(page, centres, args.rounds, clients, args.keep_cache))
        print(f"  {page.name}", flush=True)
    floor_person = person_at(centres[-1][1], ADMIN) or person_at(centres[-1][1], pages[0].role)
    assert floor_person is not None
    everything = [t for row in rows for t in row.floor]
    floor = (floor_queries(client_for(floor_person)), statistics.median(everything) * 1000)
    print()
    print_table(rows, floor)
    print()
    print(
        "queries: one fetch each, after a warm-up; median ms: of the timed fetches (the floor's "
        "column: over every page's run); big/floor: the big centre's median over the median of "
        "the floor fetches made alternately with that page's."
    )
    machine()


if __name__ == "__main__":
    main()
