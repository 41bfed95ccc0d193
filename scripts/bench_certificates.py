"""Benchmark: certificates rendered by real Celery workers, beside the plain way, in one run.

    .venv/bin/python scripts/bench_certificates.py [--count 1000] [--workers 2] [--baseline 250]

Needs PostgreSQL and Redis (the machine's own, as the integration tests use):
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/portal_bench; that database is
dropped and made afresh, only if a benchmark made it or it holds no tables:
scripts/bench_database.py) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/14).

1. Builds `count` pending certificates (full and unit, every seed qualification that has rules,
   real snapshots from the catalogue, a different learner each) in the bench database.
2. Baseline, first half: renders an evenly spread sample of those certificates the plain way, in
   this one process: one `HTML(string=...).write_pdf()` per certificate from a first-draft
   template (scripts/bench_baseline_certificate.html: automatic table layout, the system's
   default fonts, styles in the page; the same QR code image as the portal's).
3. Starts one Celery worker with `workers` pool processes on a queue of its own, sends one
   `render_certificate` task per certificate, and times until every certificate is ready
   (the time includes everything the task does: reading the row under a lock, rendering,
   storing the file, saving the row).
4. Baseline, second half (so drift in the machine's speed shows as a gap between the halves).

Prints certificates per second and milliseconds per certificate per worker for both, the ratio
of throughput per worker, and how noisy the machine was: load average, CPU time stolen by the
hypervisor while the workers ran, and the spread of the baseline's timings. The goal (issue 8):
1,000 certificates in under 30 s with two workers, and at least 1.5 times the baseline's
throughput per worker. docs/benchmarks.md records runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
LOGLEVEL = os.environ.get("BENCH_LOGLEVEL", "WARNING")  # INFO logs each task's time
NAMES = [
    "Leo Brown", "Amara Okafor", "Zoë Ní Bhriain", "José Álvarez-Ruiz", "Priya Ramanathan",
    "Tomasz Wiśniewski", "Siobhán O'Connell", "Kwame Mensah-Bonsu", "Chloé Dubois",
    "Ahmed Al-Rashid", "Mei Ling Chan", "Björn Åkesson", "Grace Thompson-Achebe",
]  # fmt: skip


def build_certificates(count: int) -> list[int]:
    """`count` pending certificates, one registration each, spread over the qualifications."""
    from django.utils import timezone

    from certification.models import Certificate, Kind
    from certification.services import certificate_number, learner_identifier, snapshot_of
    from portal.models import Centre, RoleKind, User
    from portfolios.models import Registration
    from qualifications.models import Qualification
    from qualifications.rules import shortest_route
    from qualifications.rules.adapter import rules_for
    from qualifications.rules.versions import current_version

    centre = Centre.objects.create(name="Riverside Skills Academy", ao_centre_number="C00001")
    admin = User.objects.create_user(email="admin@bench.example", full_name="Ada Admin")
    admin.roles.create(centre=centre, kind=RoleKind.CENTRE_ADMIN)
    routes = []
    for qualification in Qualification.objects.filter(rules_published=True).order_by("code"):
        route = shortest_route(rules_for(qualification), [])
        if route.found and route.units:
            routes.append((qualification, list(route.units)))
    learners = User.objects.bulk_create(
        User(email=f"learner{n}@bench.example", full_name=f"{NAMES[n % len(NAMES)]} {n}")
        for n in range(count)
    )
    today = timezone.localdate()
    registrations = Registration.objects.bulk_create(
        Registration(
            learner=learner,
            centre=centre,
            qualification=routes[n % len(routes)][0],
            pinned_rules_id=current_version(routes[n % len(routes)][0]).id,
            start_date=today,
        )
        for n, learner in enumerate(learners)
    )
    certificates = []
    for n, registration in enumerate(registrations):
        units = routes[n % len(routes)][1]
        kind = Kind.UNIT if n % 4 == 3 else Kind.FULL
        if kind == Kind.UNIT:
            units = units[: max(1, len(units) // 2)]
        certificates.append(
            Certificate(
                number=certificate_number(),
                learner_identifier=learner_identifier(registration.learner),
                registration=registration,
                centre_id=registration.centre_id,
                kind=kind,
                snapshot=snapshot_of(registration, kind, units),
                issued_at=timezone.now(),
                issued_by=admin,
            )
        )
    return [c.pk for c in Certificate.objects.bulk_create(certificates)]


def baseline_render(certificates: list[Any]) -> list[float]:
    """Milliseconds per certificate, the plain way: the page rendered from a first-draft
    template, then one HTML(...).write_pdf() with WeasyPrint's defaults."""
    import segno
    from django.template import Context, Template
    from weasyprint import HTML

    from certification.rendering import verification_url

    template = Template((ROOT / "scripts" / "bench_baseline_certificate.html").read_text())
    timings = []
    for certificate in certificates:
        began = time.perf_counter()
        url = verification_url(certificate)
        qr = segno.make(url, error="m", mask=4).png_data_uri(scale=1, border=0)
        context = {"certificate": certificate, "s": certificate.snapshot, "verify_url": url}
        html = template.render(Context({**context, "qr": qr}))
        pdf = HTML(string=html).write_pdf()
        timings.append((time.perf_counter() - began) * 1000)
        assert pdf.startswith(b"%PDF")
    return timings


def start_worker(workers: int, media: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    from portal.celery import app

    queue = f"bench-{uuid.uuid4().hex[:10]}"
    name = f"{queue}@{socket.gethostname()}"
    log = Path(media) / "worker.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "CELERY_QUEUE": queue}
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--hostname", name,
               "--queues", queue, "--concurrency", str(workers), "--loglevel", LOGLEVEL,
               "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    with open(log, "w") as output:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[name], timeout=1.0):
        if worker.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"The Celery worker did not start:\n{log.read_text()}")
    return worker, queue, log


def stolen_jiffies() -> tuple[int, int]:
    """(steal, total) CPU jiffies so far: the hypervisor's share shows how noisy the host was."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (fields[7] if len(fields) > 7 else 0), sum(fields)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="certificates to render")
    parser.add_argument("--workers", type=int, default=2, help="worker pool processes")
    parser.add_argument("--baseline", type=int, default=250, help="certificates in the baseline")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for workers")
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="bench-certificates-")
    os.environ.update(
        DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, MEDIA_ROOT=media, PORTAL_VAR_DIR=media,
        DJANGO_SETTINGS_MODULE="portal.settings", DEBUG="false",
        CONN_MAX_AGE="60",  # as in production: a worker keeps its database connection
    )  # fmt: skip
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count

    from certification.models import Certificate, RenderStatus
    from certification.tasks import render_certificate
    from scripts.bench_database import recreate_database

    print(f"Building {args.count} certificates in {DATABASE_URL} ...", flush=True)
    recreate_database()
    call_command("migrate", verbosity=0)
    call_command("load_qualifications", verbosity=0)
    ids = build_certificates(args.count)
    every = max(1, len(ids) // max(1, args.baseline))
    sample = list(Certificate.objects.filter(pk__in=ids[::every][: args.baseline]).order_by("pk"))
    half = len(sample) // 2
    load_before = os.getloadavg()

    print(f"Baseline, first half ({half} certificates, one process) ...", flush=True)
    baseline = baseline_render(sample[:half])

    worker, queue, log = start_worker(args.workers, media)
    print(f"{args.count} certificates through {args.workers} worker processes ...", flush=True)
    steal_before, total_before = stolen_jiffies()
    began = time.perf_counter()
    for pk in ids:
        render_certificate.apply_async((pk,), queue=queue)
    ready = failed = 0
    while time.perf_counter() - began < args.timeout:
        time.sleep(0.2)  # the bench database holds these certificates and no others
        counts = dict(Certificate.objects.values_list("status").annotate(n=Count("pk")))
        ready, failed = counts.get(RenderStatus.READY, 0), counts.get(RenderStatus.FAILED, 0)
        if ready + failed == len(ids):
            break
    elapsed = time.perf_counter() - began
    steal_after, total_after = stolen_jiffies()
    worker.terminate()
    worker.wait(timeout=60)
    if ready != len(ids):
        sys.exit(f"Only {ready} of {len(ids)} certificates were rendered ({failed} failed):\n"
                 f"{log.read_text()[-3000:]}")  # fmt: skip
    stored = sum(1 for _ in (Path(media) / "certificates").glob("*.pdf"))
    assert stored == len(ids), f"{stored} files stored for {len(ids)} certificates"

    print(f"Baseline, second half ({len(sample) - half} certificates) ...", flush=True)
    second = baseline_render(sample[half:])
    load_after = os.getloadavg()

    plain_ms = statistics.mean(baseline + second)
    worker_ms = elapsed * 1000 * args.workers / len(ids)
    steal = 100 * (steal_after - steal_before) / max(1, total_after - total_before)
    spread = statistics.stdev(baseline + second) / plain_ms * 100
    print()
    print(f"{'':<34}{'certificates/s':>16}{'ms/certificate/worker':>24}")
    print(f"{'baseline (plain, 1 process)':<34}{1000 / plain_ms:>16.1f}{plain_ms:>24.1f}")
    print(f"{f'portal ({args.workers} Celery worker processes)':<34}"
          f"{len(ids) / elapsed:>16.1f}{worker_ms:>24.1f}")  # fmt: skip
    print()
    print(f"{len(ids)} certificates in {elapsed:.1f} s; throughput per worker "
          f"{plain_ms / worker_ms:.2f}x the baseline's")  # fmt: skip
    print(f"baseline halves: {statistics.mean(baseline):.1f} ms before, "
          f"{statistics.mean(second):.1f} ms after; median "
          f"{statistics.median(baseline + second):.1f} ms, "
          f"spread (stdev/mean) {spread:.0f}%")  # fmt: skip
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"CPU stolen by the hypervisor while the workers ran: {steal:.1f}%")  # fmt: skip
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(media, ignore_errors=True)
    else:
        print(media)


if __name__ == "__main__":
    main()
