"""Which queries of the main pages scan a large table: every query each role's main pages make
at a big centre of a load population, explained by PostgreSQL, with the sequential scans of
tables past a size printed (issue 17, docs/performance.md "Indexes").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_load \\
        .venv/bin/python scripts/explain_pages.py [--centre 1] [--analyze] [--min-rows 20000]

It needs a population from `manage.py generate_load_data` (centres `Load centre NN`, people
`ROLEk@cNN.load.test`). It only reads: pages are fetched with GET by Django's test client, and
EXPLAIN ANALYZE runs each SELECT inside a transaction that is rolled back.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from assessment.models import Decision  # noqa: E402
from iqa.models import Sample, SamplingPlan  # noqa: E402
from portal.models import User  # noqa: E402
from portfolios.models import Registration  # noqa: E402

SCAN = re.compile(r"Seq Scan on (\w+)")


def pages(centre: int) -> Iterator[tuple[str, str]]:
    """(person's e-mail, URL) for each role's main pages at the centre."""
    domain = f"c{centre:02d}.load.test"
    admin, assessor, iqa = f"admin@{domain}", f"assessor1@{domain}", f"iqa1@{domain}"
    learner, trainee = f"learner1@{domain}", f"assessor5@{domain}"
    registration = Registration.objects.filter(learner__email=learner).first()
    decision = Decision.objects.filter(registration=registration, criterion__isnull=False).first()
    yield admin, reverse("home")
    yield admin, reverse("certification:claims")
    yield admin, reverse("portfolios:registration-list")
    yield admin, reverse("certification:certificate-list")
    yield admin, reverse("invitation-list")
    yield assessor, reverse("home")
    yield assessor, reverse("assessment:countersign")
    yield trainee, reverse("home")
    if registration is not None and decision is not None:
        yield learner, reverse("home")
        yield learner, reverse("portfolios:registration-detail", args=[registration.pk])
        args = [registration.pk, "criterion", decision.criterion_id]
        yield assessor, reverse("assessment:item-history", args=args)
    yield iqa, reverse("home")
    plan = SamplingPlan.objects.filter(iqa__email=iqa).order_by("-pk").first()
    if plan is not None:
        yield iqa, reverse("iqa:plan-detail", args=[plan.pk])
    sample = Sample.objects.filter(sampled_by__email=iqa).order_by("-pk").first()
    if sample is not None:
        yield iqa, reverse("iqa:sample-detail", args=[sample.pk])


def table_rows() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_live_tup FROM pg_stat_user_tables")
        return {name: rows for name, rows in cursor.fetchall()}


def explain(sql: str, params: Any, analyze: bool) -> list[str]:
    with transaction.atomic(), connection.cursor() as cursor:
        options = "ANALYZE, BUFFERS" if analyze else "COSTS"
        cursor.execute(f"EXPLAIN ({options}) {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--centre", type=int, default=1, help="The load centre's number.")
    parser.add_argument("--analyze", action="store_true", help="EXPLAIN ANALYZE (runs them).")
    parser.add_argument("--min-rows", type=int, default=20000, help="A table this size is large.")
    parser.add_argument("--show", help="Print the whole plan of queries whose SQL has this text.")
    parser.add_argument(
        "--slow", type=float, default=0.02, help="Also list queries that took this many seconds."
    )
    options = parser.parse_args()
    setup_test_environment()
    rows = table_rows()
    client = Client()
    for email, url in pages(options.centre):
        client.force_login(User.objects.get(email=email))
        with CaptureQueriesContext(connection) as captured:
            status = client.get(url).status_code
        print(f"\n{email} GET {url}: {status}, {len(captured)} queries")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            # The captured SQL has its parameters written in (by PostgreSQL's own quoting).
            plan = explain(sql, None, options.analyze)
            large = sorted(
                {
                    t
                    for line in plan
                    for t in SCAN.findall(line)
                    if rows.get(t, 0) >= options.min_rows
                }
            )
            slow = float(query["time"]) >= options.slow
            if large or slow or (options.show and options.show in sql):
                print(f"  scans {', '.join(large) or '-'} ({query['time']} s): {sql[:300]}")
                if options.show and options.show in sql:
                    print("\n".join("      " + line for line in plan))


if __name__ == "__main__":
    main()
