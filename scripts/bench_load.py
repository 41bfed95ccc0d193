"""Load benchmark: each role's mix of main pages through gunicorn, driven by locust.

    .venv/bin/pip install -c requirements/constraints.txt ".[bench]"     # locust, once
    .venv/bin/python scripts/bench_load.py [--mixes "centre admin,assessor,learner"] \\
        [--users 10,50] [--time 60] [--workers 2]

Reads the population in BENCH_DATABASE_URL (default the page benchmark's,
postgres://postgres@127.0.0.1:5432/portal_bench_pages: make it with
`scripts/bench_pages.py --generate ...`); its writes (decisions, uploads) stay there. Redis:
BENCH_REDIS_URL (default redis://127.0.0.1:6379/2). Loopback only: gunicorn listens on
127.0.0.1 and locust runs headless on this machine, with bounded users and time.

1. Chooses the people: for each mix, as many distinct people of the role as the most users
   asked for, the busiest first, at the centre with the most learners first, then the others
   (only centres of at least --min-learners, 100 by default: not the small centre);
   and for each person the concrete path of every page of the mix (scripts/main_pages.py), and
   the form of each write (an assessor's decision, a learner's upload).
2. Starts gunicorn as the production image does (portal.wsgi, `--workers 2` by default, DEBUG
   off, PORTAL_ENV=production with plain HTTP allowed on loopback: no HTTPS redirect, cookies
   not marked secure; static files collected for WhiteNoise; CONN_MAX_AGE 60).
3. For each mix and number of users: locust logs every user in through the login page (django-
   axes and sessions at work), waits until all are in, then measures for `--time` seconds with
   no think time (each user sends its next request as soon as the last is answered), and
   prints, per page and for the floor page: requests, requests/s, p50/p95/p99 in ms, errors.
4. Stops gunicorn at the end, whatever happened.

Login throttling counts failures per login name and address, so distinct users never lock each
other out, and every password is right (checked before the run); the verification page, which
is limited per address, is not in any mix. Where a population has fewer people of a role than
users (one centre admin per centre), users share people, each with its own session.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench_pages"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
QUEUE = "bench-load"  # tasks sent during a run wait here (no worker): removed at the end
STATIC = ROOT / "var" / "bench-static"
FLOOR_NAME = "floor (password change)"

# What a person of each role does in a working day, as page names of scripts/main_pages.py and
# weights. Writes: the assessor's decisions, the trainee's, the learner's uploads. Left out:
# claims and countersigning (each can be done once, so a run would use them up), generating IQA
# plans (each makes a new plan the IQA's pages then show); so the centre admin's and the IQA's
# mixes read only.
MIXES: dict[str, list[tuple[str, int]]] = {
    "centre admin": [
        ("admin home (people)", 4),
        ("admin registrations", 2),
        ("admin registrations search", 2),
        ("admin registration", 2),
        ("admin claims", 2),
        ("admin certificates", 1),
        ("admin invitations", 1),
    ],
    "assessor": [
        ("assessor home (caseload)", 4),
        ("assessor evidence review", 3),
        ("assessor decision", 1),
        ("assessor registration", 2),
        ("assessor unit progress", 2),
        ("assessor item history", 1),
        ("assessor countersigning", 1),
    ],
    "trainee assessor": [
        ("trainee home (caseload)", 4),
        ("trainee evidence review", 3),
        ("trainee decision", 1),
        ("trainee registration", 2),
        ("trainee item history", 1),
    ],
    "learner": [
        ("learner home", 4),
        ("learner registration", 3),
        ("learner unit progress", 2),
        ("learner evidence", 2),
        ("learner upload page", 1),
        ("learner upload", 1),
    ],
    "IQA": [
        ("IQA home", 3),
        ("IQA plan", 2),
        ("IQA sample form", 2),
        ("IQA sample report", 2),
        ("IQA registration status", 1),
    ],
}
FLOOR_WEIGHT = 1  # the floor page in every mix, so its figures under the same load show too


def configure() -> None:
    """Django in this process, only to choose the people and their pages."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings", DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL
    )
    import django

    django.setup()


def people_for(label: str, count: int, least: int) -> list[Any]:
    """`count` distinct people of the role (fewer if the population has fewer), the busiest at
    the biggest centre first, at centres of at least `least` learners."""
    from scripts.main_pages import centres_by_learners, people_at

    chosen: list[Any] = []
    for centre, learners in reversed(centres_by_learners()):
        if learners < least:
            continue
        for person in people_at(centre, label):
            if len(chosen) == count:
                return chosen
            chosen.append(person)
    return chosen


def plan_for(label: str, count: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Each person: how to log in, and the path (and form) of every page of the mix."""
    from django.db.models import Count

    from portal.models import Role
    from scripts.main_pages import FLOOR, PAGES_BY_NAME

    people = []
    for person in people_for(label, count, args.min_learners):
        pages: dict[str, str] = {FLOOR_NAME: FLOOR}
        forms: dict[str, dict[str, Any]] = {}
        uploads = []
        for name, _ in MIXES[label]:
            page = PAGES_BY_NAME[name]
            where = page.find(person)
            if where is None:
                continue
            pages[name] = where
            if page.form is not None:
                forms[name] = page.form(person)
            if page.upload:
                uploads.append(name)
        roles = Role.objects.filter(user=person.user).aggregate(n=Count("pk"))["n"]
        people.append(
            {
                "email": person.user.email,
                "role_id": person.role.pk,
                # The site acts in the oldest role until the person switches.
                "switch": roles > 1,
                "centre": person.centre.name,
                "pages": pages,
                "forms": forms,
                "uploads": uploads,
            }
        )
    if people:
        check_password(people[0]["email"], args.password)
    return people


def check_password(email: str, password: str) -> None:
    """A wrong password would fail every login (and count towards lockouts): refuse to start."""
    from portal.models import User

    if not User.objects.get(email=email).check_password(password):
        sys.exit(f"The password given does not open {email}'s account: see --password.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_environment(media: str) -> dict[str, str]:
    """The production settings, on loopback over plain HTTP (as docker-compose.yml allows with
    SECURE_SSL_REDIRECT=false), with no proxy in front (TRUSTED_PROXY_COUNT=0)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_ENV": "production",
        "SECRET_KEY": f"bench-load-{os.getpid()}-{time.time_ns()}-not-a-real-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_QUEUE": QUEUE,
        "EMAIL_URL": "smtp://127.0.0.1:2525",  # nothing in the mixes sends mail
        "TRUSTED_PROXY_COUNT": "0",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(STATIC),
        "MEDIA_ROOT": media,
        "PORTAL_VAR_DIR": media,
        "LOG_LEVEL": "WARNING",
    }


def collect_static(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> Any:
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "120",
        "--access-logfile", str(log.with_suffix(".access.log")), "--error-logfile", str(log),
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited at start:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    sys.exit(f"gunicorn did not answer within 60 s:\n{log.read_text()[-3000:]}")


def stop(process: Any) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def stop_locust(locust: Any) -> None:
    """Locust stops by itself once the window closes; if this run is cut short, stop it."""
    if locust.poll() is None:
        locust.terminate()
        try:
            locust.wait(timeout=20)
        except subprocess.TimeoutExpired:
            locust.kill()
            locust.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children so far (gunicorn's workers are its children)."""
    import psutil

    try:
        root = psutil.Process(pid)
        total = 0.0
        for process in [root, *root.children(recursive=True)]:
            times = process.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


def database_cpu() -> dict[int, float]:
    """CPU time so far of each PostgreSQL backend serving the bench database, by process id."""
    import psutil
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    found = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        found[pid] = times.user + times.system
    return found


def busy_seconds() -> tuple[float, float]:
    """(CPU seconds busy, all CPU seconds) of the whole machine so far."""
    import psutil

    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    return sum(times) - idle, sum(times)


class CpuWatch:
    """Where the CPU goes during the measured window: gunicorn (master and workers), the
    PostgreSQL backends of the bench database (sampled often, as a backend may close and
    another open: CONN_MAX_AGE), locust, and the whole machine (the rest is other work)."""

    def __init__(self, server: int, locust: int) -> None:
        self.server, self.locust = server, locust
        self.backends: dict[int, float] = {}
        self.locust_seen = 0.0  # its last figure stays once it has exited
        self.start: dict[str, Any] | None = None

    def sample(self) -> dict[str, Any]:
        self.backends.update(database_cpu())
        self.locust_seen = max(self.locust_seen, cpu_seconds(self.locust))
        busy, total = busy_seconds()
        return {
            "server": cpu_seconds(self.server),
            "locust": self.locust_seen,
            "backends": dict(self.backends),
            "busy": busy,
            "total": total,
        }

    def spent(self, end: dict[str, Any]) -> dict[str, float]:
        start = self.start or end
        database = sum(
            seconds - start["backends"].get(pid, 0.0) for pid, seconds in end["backends"].items()
        )
        return {
            "server_cpu": end["server"] - start["server"],
            "locust_cpu": end["locust"] - start["locust"],
            "database_cpu": database,
            "machine_busy": end["busy"] - start["busy"],
            "machine_total": end["total"] - start["total"],
        }


def run_locust(
    label: str, users: int, people: list[dict[str, Any]], args: argparse.Namespace, port: int,
    folder: Path, server: Any,
) -> dict[str, Any]:  # fmt: skip
    summary = folder / f"{label.replace(' ', '-')}-{users}.json"
    plan = folder / f"plan-{summary.name}"
    mix = [*MIXES[label], (FLOOR_NAME, FLOOR_WEIGHT)]
    plan.write_text(
        json.dumps(
            {"mix": mix, "people": people, "password": args.password, "seconds": args.time,
             "summary": str(summary)}
        )
    )  # fmt: skip
    # Locust's own limit is only a backstop: the window closes itself once everyone is in.
    limit = int(args.time + 60 + users * 2)
    command = [
        str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "scripts" / "locustfile.py"),
        "--headless", "--users", str(users), "--spawn-rate", str(users),
        "--host", f"http://127.0.0.1:{port}", "--run-time", f"{limit}s", "--only-summary",
        "--loglevel", "WARNING", "--stop-timeout", "10", "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = {**os.environ, "BENCH_PLAN": str(plan), "BENCH_WAIT": str(args.wait)}
    log = folder / f"locust-{summary.stem}.log"
    started = Path(f"{summary}.started")  # the locustfile's sign that the window is open
    with open(log, "w") as output:
        locust = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        watch, end = CpuWatch(server.pid, locust.pid), None
        try:
            while locust.poll() is None:
                now = watch.sample()
                if watch.start is None and started.exists():
                    watch.start = now
                if end is None and summary.exists():
                    end = now
                time.sleep(0.5)
        finally:
            stop_locust(locust)
    if end is None:  # locust wrote its figures and quit between two samples
        end = watch.sample()
    found: dict[str, Any] = json.loads(summary.read_text()) if summary.exists() else {}
    if "window" not in found:
        sys.exit(f"locust ended before the window closed:\n{log.read_text()[-3000:]}")
    found.update(watch.spent(end))
    return found


def cost_ms(found: dict[str, Any]) -> float:
    """CPU milliseconds the portal spent per request in the window: what other work on a
    shared machine does not change, unlike requests/s."""
    requests = next(r for r in found["window"]["rows"] if r["name"] == "Aggregated")["requests"]
    return 1000 * (found["server_cpu"] + found["database_cpu"]) / max(requests, 1)


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def print_run(label: str, users: int, people: int, found: dict[str, Any], cores: int) -> None:
    window = found["window"]
    seconds = window["seconds"]
    total = next(row for row in window["rows"] if row["name"] == "Aggregated")
    print()
    print(
        f"{label} mix, {users} users ({people} distinct people), {seconds:.0f} s measured: "
        f"{total['per_second']:.1f} requests/s, {total['failures']} errors "
        f"of {total['requests']:,} requests"
    )
    print(
        f"  {'page':<30} {'requests':>9} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} "
        f"{'errors':>7}"
    )
    rows = sorted(
        (r for r in window["rows"] if r["name"] != "Aggregated"),
        key=lambda r: (r["name"] == FLOOR_NAME, r["name"]),
    )
    for row in [*rows, total]:
        name = "all" if row is total else row["name"]
        print(
            f"  {name:<30} {row['requests']:>9,} {row['per_second']:>7.1f} {ms(row['p50']):>6} "
            f"{ms(row['p95']):>6} {ms(row['p99']):>6} {row['failures']:>7}"
        )
    for error in window["errors"]:
        print(f"  error: {error['method']} {error['name']}: {error['error']} ({error['count']}x)")
    logins = next(
        (r for r in found["logins"]["rows"] if r["name"] == "login" and r["method"] == "POST"),
        None,
    )
    if logins:
        print(
            f"  before the window: {logins['requests']} logins, median {ms(logins['p50'])} ms, "
            f"{logins['failures']} failed"
        )
    others = found["machine_busy"] - found["server_cpu"] - found["locust_cpu"]
    others -= found["database_cpu"]
    print(
        f"  CPU seconds in the window: gunicorn {found['server_cpu']:.0f}, PostgreSQL "
        f"{found['database_cpu']:.0f}, locust {found['locust_cpu']:.0f}, other work on the "
        f"machine {others:.0f}; the {cores} cores were "
        f"{100 * found['machine_busy'] / max(found['machine_total'], 1e-9):.0f}% busy"
    )
    print(f"  server CPU per request (gunicorn + PostgreSQL): {cost_ms(found):.0f} ms")


def print_summary(results: list[tuple[str, int, dict[str, Any]]]) -> None:
    print()
    print(f"{'mix':<18} {'users':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'errors':>7} "
          f"{'floor p50':>10} {'floor p95':>10} {'CPU ms/req':>11} {'others':>7}")  # fmt: skip
    for label, users, found in results:
        rows = {row["name"]: row for row in found["window"]["rows"]}
        total, floor = rows["Aggregated"], rows.get(FLOOR_NAME, {})
        print(
            f"{label:<18} {users:>5} {total['per_second']:>7.1f} {ms(total['p50']):>6} "
            f"{ms(total['p95']):>6} {ms(total['p99']):>6} {total['failures']:>7} "
            f"{ms(floor.get('p50')):>10} {ms(floor.get('p95')):>10} {cost_ms(found):>11.0f} "
            f"{others_share(found):>6.0f}%"
        )
    print(
        "(times in ms, as locust rounds them: to 10 ms above 100 ms, to 100 ms above 1 s; CPU "
        "ms/req: gunicorn's and PostgreSQL's CPU per request; others: the share of the "
        "machine's CPU that other work took during the window)"
    )


def others_share(found: dict[str, Any]) -> float:
    others = found["machine_busy"] - found["server_cpu"] - found["locust_cpu"]
    others -= found["database_cpu"]
    return 100 * others / max(found["machine_total"], 1e-9)


def machine(workers: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"date: {datetime.datetime.now():%Y-%m-%d %H:%M}; commit {commit}")
    print(
        f"machine: {os.cpu_count()} cores; Python {platform.python_version()}; PostgreSQL "
        f"{postgres}; gunicorn {workers} workers (sync); load average {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=f"Database: BENCH_DATABASE_URL (now {DATABASE_URL}); cache: BENCH_REDIS_URL "
        f"(now {REDIS_URL}). Its writes (decisions, uploads) stay there.",
    )
    parser.add_argument("--mixes", default="centre admin,assessor,learner",
                        help=f"comma-separated, of: {', '.join(MIXES)}")  # fmt: skip
    parser.add_argument("--users", default="10,50", help="comma-separated user counts")
    parser.add_argument("--time", type=float, default=60, help="seconds measured per run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--wait", type=float, default=0, help="seconds between a user's requests")
    parser.add_argument("--password", default="load-portal-2026", help="the population's")
    parser.add_argument(
        "--min-learners", type=int, default=100, help="people from centres this big or bigger"
    )
    args = parser.parse_args()
    labels = [m.strip() for m in args.mixes.split(",") if m.strip()]
    unknown = [m for m in labels if m not in MIXES]
    if unknown:
        sys.exit(f"No such mix: {', '.join(unknown)} (there are: {', '.join(MIXES)})")
    try:
        counts = [int(n) for n in args.users.split(",")]
    except ValueError:
        sys.exit(f"--users takes whole numbers separated by commas, not {args.users!r}.")
    if not counts or min(counts) < 1:
        sys.exit("--users: each number of users must be at least 1.")
    if args.time <= 0 or args.workers < 1 or args.wait < 0:
        sys.exit("--time must be above 0 seconds, --workers at least 1, --wait not negative.")
    if shutil.which("locust", path=str(Path(sys.executable).parent)) is None:
        sys.exit('locust is not installed: pip install -c requirements/constraints.txt ".[bench]"')

    # A termination (kill, a CI timeout) unwinds like an interrupt, so gunicorn is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"Stopped by signal {signal.SIGTERM}."))
    configure()
    from scripts.main_pages import the_population

    the_population(DATABASE_URL)  # there, migrated, with people (or a message saying what not)
    plans = {label: plan_for(label, max(counts), args) for label in labels}
    for label, people in plans.items():
        if not people:
            sys.exit(f"Nobody in {DATABASE_URL} acts as {label} at a centre of at least "
                     f"{args.min_learners} learners: make the population first.")  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = server_environment(str(folder / "media"))
    print("Collecting static files for WhiteNoise ...", flush=True)
    collect_static(env)
    port = free_port()
    server = start_gunicorn(env, port, args.workers, folder / "gunicorn.log")
    results, finished = [], False
    try:
        print(f"gunicorn on 127.0.0.1:{port}, {args.workers} workers; {args.time:.0f} s a run")
        for label in labels:
            for users in counts:
                people = plans[label]
                found = run_locust(label, users, people[:users], args, port, folder, server)
                print_run(label, users, min(users, len(people)), found, os.cpu_count() or 1)
                results.append((label, users, found))
        finished = True
    finally:
        stop(server)
        forget_queue()
        if finished:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"gunicorn is stopped; its log and locust's are kept in {folder}")
    print_summary(results)
    machine(args.workers)


def forget_queue() -> None:
    """Tasks sent during the runs had no worker to take them: remove them from our Redis db."""
    import redis

    redis.Redis.from_url(REDIS_URL).delete(QUEUE)


if __name__ == "__main__":
    main()
