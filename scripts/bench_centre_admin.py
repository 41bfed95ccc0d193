"""Benchmark: the centre admin's pages at a large centre, against the floor page, in one run.

    .venv/bin/python scripts/bench_centre_admin.py [--populate] [--learners 1000] [--rounds 9]
                                                   [--admin EMAIL]

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/portal_ready_x) is the database.
With --populate it is dropped (only if a benchmark made it or it holds no tables), made afresh
(migrations, the catalogue) and filled with a centre of `learners` learners ("Bench centre",
admin admin@bench.test) and a centre of five; without, the population already there is used (a
population from `manage.py generate_load_data` too: name its admin with --admin, e.g.
admin@c01.load.test).

The population is built in bulk, not through the services, and holds only what the admin's
pages read: learners on two qualifications with their planned units; a third of them with every
unit of a route signed off and countersigned (ready for a full certificate), a tenth with some
units, the rest with nothing yet; summative IQA samples planned and not done, and open IQA
actions, holding some back; full and unit certificates already issued for some.

Each round fetches every page once, with the floor page (/accounts/password_change/: log-in
check, a form, three queries) fetched before each, with the Django test client (force_login,
DEBUG off, the database's own connection). Prints, per page: median server time, its multiple
of the floor's median, and the queries of one fetch. The first round (cold: readiness computed
and stored where it is stale) is printed apart and left out of the medians.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_ready_x"
)
FLOOR = "/accounts/password_change/"
PAGES = [
    ("admin home", "/"),
    ("claims", "/claims/"),
    ("claims, 2nd page of not ready", "/claims/?waiting=2"),
    ("registrations", "/registrations/"),
    ("certificates", "/certificates/"),
    ("invitations", "/people/invitations/"),
]


def populate(learners: int) -> None:
    from django.core.management import call_command

    from scripts.bench_database import recreate_database

    recreate_database()
    call_command("migrate", verbosity=0)
    call_command("load_qualifications", verbosity=0)
    build_centre("Bench centre", "admin@bench.test", learners)
    build_centre("Small bench centre", "admin@small.bench.test", 5)


def build_centre(name: str, admin_email: str, learners: int) -> None:
    """One centre: an admin, 20 assessors, 2 IQAs and `learners` learners as described above."""
    from django.utils import timezone

    from assessment.models import UnitSignOff
    from certification.models import Certificate, Kind
    from certification.services import certificate_number, learner_identifier, snapshot_of
    from iqa.models import Action, PlanItem, Sample, SamplingPlan, Stage
    from portal.models import Centre, Role, RoleKind, User
    from portfolios.models import Registration, RegistrationUnit
    from qualifications.models import Qualification
    from qualifications.rules import shortest_route
    from qualifications.rules.adapter import rules_for
    from qualifications.rules.versions import current_version

    slug = name.lower().replace(" ", "-")
    centre = Centre.objects.create(name=name, ao_centre_number=slug[:20])
    admin = User.objects.create_user(email=admin_email, full_name="Ada Admin", password="bench")
    Role.objects.create(user=admin, centre=centre, kind=RoleKind.CENTRE_ADMIN)
    staff = User.objects.bulk_create(
        User(email=f"staff{n}@{slug}.test", full_name=f"Staff {n:02d}") for n in range(22)
    )
    assessors, iqas = staff[:20], staff[20:]
    Role.objects.bulk_create(
        [Role(user=u, centre=centre, kind=RoleKind.ASSESSOR) for u in assessors]
        + [Role(user=u, centre=centre, kind=RoleKind.IQA) for u in iqas]
    )
    people = User.objects.bulk_create(
        User(email=f"learner{n}@{slug}.test", full_name=f"Learner {n:05d}") for n in range(learners)
    )
    Role.objects.bulk_create(Role(user=u, centre=centre, kind=RoleKind.LEARNER) for u in people)
    routes: list[tuple[Qualification, list[str]]] = []
    # Two operational qualifications (the SFJ draft takes no registrations: docs/lifecycle.md).
    for code in ("L2-DPSOD", "601/3576/1"):
        qualification = Qualification.objects.get(code=code)
        found = shortest_route(rules_for(qualification), [])
        routes.append((qualification, sorted(found.units)))
    today = timezone.localdate()
    registrations = Registration.objects.bulk_create(
        Registration(
            learner=u,
            centre=centre,
            qualification=routes[n % 2][0],
            pinned_rules_id=current_version(routes[n % 2][0]).id,
            assessor=assessors[n % 20],
            iqa=iqas[n % 2],
            start_date=today - datetime.timedelta(days=200),
        )
        for n, u in enumerate(people)
    )
    units = {q.pk: dict(q.memberships.values_list("unit__code", "unit_id")) for q, _ in routes}
    route_of = {q.pk: route for q, route in routes}
    RegistrationUnit.objects.bulk_create(
        RegistrationUnit(registration=r, unit_id=units[r.qualification_id][code])
        for n, r in enumerate(registrations)
        for code in routes[n % 2][1]
    )
    now = timezone.now()
    sign_offs = []
    for n, r in enumerate(registrations):
        units_of = routes[n % 2][1]
        achieved = units_of if n % 3 == 0 else units_of[:2] if n % 10 == 1 else []
        sign_offs += [
            UnitSignOff(
                registration=r,
                unit_id=units[r.qualification_id][code],
                signed_by=r.assessor,
                signed_at=now,
                signature="Assessor",
                learner_signature="Learner",
                learner_signed_at=now,
            )
            for code in achieved
        ]
    UnitSignOff.objects.bulk_create(sign_offs)
    plans = {
        q.pk: SamplingPlan.objects.create(
            centre=centre,
            qualification=q,
            iqa=iqas[0],
            starts_on=today,
            ends_on=today + datetime.timedelta(days=90),
        )
        for q, _ in routes
    }
    held = [r for n, r in enumerate(registrations) if n % 3 == 0 and n % 9 == 3]
    PlanItem.objects.bulk_create(
        PlanItem(
            plan=plans[r.qualification_id],
            registration=r,
            unit_id=units[r.qualification_id][route_of[r.qualification_id][0]],
            assessor=r.assessor,
            stage=Stage.SUMMATIVE,
        )
        for r in held
    )
    acted = [r for n, r in enumerate(registrations) if n % 3 == 0 and n % 9 == 6]
    samples = Sample.objects.bulk_create(
        Sample(
            registration=r,
            unit_id=min(units[r.qualification_id].values()),
            assessor=r.assessor,
            stage=Stage.INTERIM,
            valid=True,
            authentic=True,
            current=True,
            sufficient=False,
            reliable=True,
            verdict="action_required",
            feedback="More, please.",
            sampled_by=iqas[0],
            sampled_at=now,
        )
        for r in acted
    )
    Action.objects.bulk_create(
        Action(sample=s, text="Add a witness statement.", due_on=today) for s in samples
    )
    issued = [r for n, r in enumerate(registrations) if n % 3 == 0 and n % 9 == 0][::2]
    Certificate.objects.bulk_create(
        Certificate(
            number=certificate_number(),
            learner_identifier=learner_identifier(r.learner),
            registration=r,
            centre_id=r.centre_id,
            kind=Kind.FULL,
            issued_at=now,
            issued_by=admin,
            status="ready",
            snapshot=snapshot_of(r, Kind.FULL, route_of[r.qualification_id]),
        )
        for r in issued
    )


def time_pages(admin_email: str, rounds: int) -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from portal.models import Role, RoleKind, User

    admin = User.objects.get(email=admin_email)
    centre = Role.objects.get(user=admin, kind=RoleKind.CENTRE_ADMIN).centre
    print(f"{centre.name}: {centre.registrations.count()} registrations, "
          f"{Role.objects.filter(centre=centre).count()} roles")  # fmt: skip
    client = Client()
    client.force_login(admin)

    def fetch(url: str) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            took = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        count = len(queries)  # read before the log is cleared: it is read from the log
        reset_queries()
        return took, count

    timings: dict[str, list[float]] = {url: [] for url in [FLOOR] + [u for _, u in PAGES]}
    counts: dict[str, int] = {}
    for round in range(rounds + 1):
        for _, url in PAGES:
            floor, counts[FLOOR] = fetch(FLOOR)
            took, counts[url] = fetch(url)
            if round == 0:
                print(f"  cold {url}: {took:.1f} ms, {counts[url]} queries")
                continue
            timings[FLOOR].append(floor)
            timings[url].append(took)
    floor_median = statistics.median(timings[FLOOR])
    print(f"\n{'page':34} {'median ms':>10} {'x floor':>8} {'queries':>8}")
    print(f"{'floor ' + FLOOR:34} {floor_median:10.1f} {1:8.1f} {counts[FLOOR]:8d}")
    for label, url in PAGES:
        median = statistics.median(timings[url])
        print(f"{label:34} {median:10.1f} {median / floor_median:8.1f} {counts[url]:8d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--populate", action="store_true")
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--admin", default="admin@bench.test")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.pop("REDIS_URL", None)
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    if args.populate:
        started = time.perf_counter()
        populate(args.learners)
        print(f"populated in {time.perf_counter() - started:.1f} s")
    time_pages(args.admin, args.rounds)
    if args.admin == "admin@bench.test":
        print("\nsmall centre (5 learners):")
        time_pages("admin@small.bench.test", 3)


if __name__ == "__main__":
    main()
