"""Benchmark: the assessor's and IQA's pages at a large and a small centre, as multiples of the
floor page (`/accounts/password_change/`) measured alternately in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> \\
        .venv/bin/python scripts/bench_assessor_pages.py [--rounds 7] [--centre "Load centre 01"]

Needs a population (`manage.py generate_load_data`: 20 centres of 1,000 learners and a small
centre of 5, `Load centre 00`). Runs with DEBUG off through
Django's test client (no network), logged in with `force_login`. Each page is fetched once to
warm up, then `--rounds` times each alternating with the floor page; the median server time is
printed with the query count (counted in a separate fetch) and the size of the response.
Writes (countersigning everything, generating a plan, adding to a plan) run inside a
transaction that is rolled back, so the population is left as it was.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DEBUG"] = "false"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from assessment.models import Decision  # noqa: E402
from iqa.models import SamplingPlan  # noqa: E402
from iqa.pages import unplanned_work, work_id  # noqa: E402
from iqa.services import plan_generate  # noqa: E402
from portal.models import Centre, User  # noqa: E402
from portfolios.models import Evidence, Registration  # noqa: E402

FLOOR = "/accounts/password_change/"
COUNTERSIGN = "/assess/countersign/"
PERIOD = (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))

settings.ALLOWED_HOSTS = ["testserver"]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def timed(fetch: Callable[[], object]) -> float:
    began = time.perf_counter()
    fetch()
    return (time.perf_counter() - began) * 1000


def rolled_back(fetch: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        with transaction.atomic():
            result = fetch()
            transaction.set_rollback(True)
        return result

    return run


def measure(name: str, client: Client, fetch: Callable[[Client], object], rounds: int) -> None:
    floor_client = client
    fetch(client)  # warm up
    queries: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = fetch(client)
    size = len(getattr(response, "content", b""))
    status = getattr(response, "status_code", "")
    pages, floors = [], []
    for _ in range(rounds):
        floors.append(timed(lambda: floor_client.get(FLOOR)))
        pages.append(timed(lambda: fetch(client)))
    page, floor = statistics.median(pages), statistics.median(floors)
    print(
        f"{name:<44} {status!s:>4} {len(queries):>6} {size / 1024:>8.0f} KB "
        f"{page:>9.1f} ms {floor:>6.1f} ms {page / floor:>6.1f}x",
        flush=True,
    )


def pages_of(centre: Centre, rounds: int) -> None:
    slug = centre.name.split()[-1]
    assessor = User.objects.get(email=f"assessor1@c{slug}.load.test")
    iqa = User.objects.get(email=f"iqa1@c{slug}.load.test")
    registration = (
        Registration.objects.filter(assessor=assessor, centre=centre).order_by("-pk").first()
    )
    assert registration is not None
    decision = (
        Decision.objects.filter(registration__assessor=assessor, registration__centre=centre)
        .exclude(criterion=None)
        .order_by("pk")
        .first()
    )
    assert decision is not None
    evidence = (
        Evidence.objects.filter(registration__assessor=assessor, registration__centre=centre)
        .order_by("-pk")
        .first()
    )
    assert evidence is not None
    # The centre's largest plan, opened by its IQA; made for the period if there is none.
    largest = (
        SamplingPlan.objects.filter(centre=centre)
        .annotate(size=Count("items"))
        .order_by("-size", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if largest is not None:
        plan = SamplingPlan.objects.select_related("iqa", "qualification").get(pk=largest)
    else:
        plan = plan_generate(
            centre=centre,
            qualification=registration.qualification,
            starts_on=PERIOD[0],
            ends_on=PERIOD[1],
            actor=iqa,
        )
    iqa, qualification = plan.iqa, plan.qualification
    as_assessor, as_iqa = client_for(assessor), client_for(iqa)
    history = reverse(
        "assessment:item-history",
        args=[decision.registration_id, "criterion", decision.criterion_id],
    )
    waiting = Decision.objects.filter(
        registration__centre=centre, provisional=True, current=True
    ).count()
    learners = Registration.objects.filter(centre=centre).count()
    print(f"\n{centre.name}: {learners} learners, {waiting} provisional decisions; "
          f"plan {plan.pk} with {plan.items.count()} items")  # fmt: skip
    print(f"{'page':<44} {'code':>4} {'queries':>6} {'size':>11} {'median':>12} "
          f"{'floor':>9} {'x':>7}")  # fmt: skip
    review = reverse("assessment:evidence-review", args=[evidence.pk])
    plan_page = reverse("iqa:plan-detail", args=[plan.pk])
    measure("assessor home (caseload)", as_assessor, lambda c: c.get("/"), rounds)
    measure("countersigning", as_assessor, lambda c: c.get(COUNTERSIGN), rounds)
    measure("evidence review", as_assessor, lambda c: c.get(review), rounds)
    measure("item history", as_assessor, lambda c: c.get(history), rounds)
    measure("IQA plan", as_iqa, lambda c: c.get(plan_page), rounds)
    measure("IQA home", as_iqa, lambda c: c.get("/"), rounds)
    unplanned = unplanned_work(plan)
    if unplanned:
        add = {"add": work_id(unplanned[0])}
        measure("IQA plan: add work (rolled back)", as_iqa,
                rolled_back_post(plan_page, add), rounds)  # fmt: skip
    form = {
        "qualification": qualification.pk,
        "starts_on": plan.starts_on.isoformat(),
        "ends_on": plan.ends_on.isoformat(),
    }
    form_token = iter(range(10**6))
    form = {**form, "form_token": lambda: str(uuid.UUID(int=next(form_token)))}
    measure("IQA plan: generate (rolled back)", as_iqa,  # type: ignore[arg-type]
            rolled_back_post(reverse("iqa:plan-new"), form), rounds)  # fmt: skip
    measure("countersign the first page (rolled back)", as_assessor,
            rolled_back_post(COUNTERSIGN, None), rounds)  # fmt: skip
    trainee = (
        Decision.objects.filter(registration__centre=centre, provisional=True, current=True)
        .values("decided_by")
        .annotate(n=Count("pk"), upto=Max("pk"))
        .order_by("-n")
        .first()
    )
    if trainee is not None:
        scope = {"trainee": f"{trainee['decided_by']}-{trainee['upto']}"}
        measure(f"countersign all {trainee['n']} of a trainee's (rolled back)", as_assessor,
                rolled_back_post(COUNTERSIGN, scope), rounds)  # fmt: skip


def rolled_back_post(url: str, data: dict[str, Any] | None) -> Callable[[Client], object]:
    """POST inside a transaction that is rolled back. `data` None: every decision listed on
    the countersigning page's first page, as a person ticking them all would send."""

    def post(client: Client) -> object:
        def send() -> object:
            if data is not None:
                sent = {k: v() if callable(v) else v for k, v in data.items()}
                return client.post(url, sent)
            page = client.get(url).content.decode()
            ids = re.findall(r'name="decisions" value="(\d+)"', page)
            return client.post(url, {"decisions": ids})

        return rolled_back(send)()

    return post


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--centre", action="append")
    args = parser.parse_args()
    names = args.centre or ["Load centre 01", "Load centre 00"]
    for name in names:
        pages_of(Centre.objects.get(name=name), args.rounds)


if __name__ == "__main__":
    main()
