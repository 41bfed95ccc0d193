"""Benchmark: how long the shortest route takes on each seed qualification.

    .venv/bin/python scripts/bench_rules.py [--repeat 50]

Loads the catalogue into a throwaway SQLite database, then times `shortest_route` from several
starting points per qualification (nothing achieved; the mandatory units; random halves of the
units, with a fixed seed) and prints the median, 95th percentile and maximum in milliseconds.
The goal (issue 4) is under 50 ms for the largest qualification on this machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=50, help="timings per starting point")
    args = parser.parse_args()

    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ["PORTAL_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-rules-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from qualifications.models import Qualification
    from qualifications.rules import shortest_route
    from qualifications.rules.adapter import rules_for

    call_command("migrate", verbosity=0)
    call_command("load_qualifications", verbosity=0)
    chance = random.Random(4)
    header = f"{'qualification':<14} {'units':>5} {'start':<12} {'first':>8} "
    print(header + f"{'median':>8} {'p95':>8} {'max':>8}   (later calls)")
    for qualification in Qualification.objects.filter(rules_published=True).order_by("code"):
        rules = rules_for(qualification)
        mandatory = [c for g in rules.groups if g.mandatory for c in g.units]
        starts = {"nothing": [], "mandatory": mandatory}
        for n in range(3):
            starts[f"random-{n}"] = chance.sample(sorted(rules.units), len(rules.units) // 2)
        for name, achieved in starts.items():
            timings = []
            for _ in range(args.repeat + 1):
                began = time.perf_counter()
                route = shortest_route(rules, achieved)
                timings.append((time.perf_counter() - began) * 1000)
            assert route.found
            first, timings = timings[0], sorted(timings[1:])
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(
                f"{qualification.code:<14} {len(rules.units):>5} {name:<12} {first:>6.2f}ms "
                f"{statistics.median(timings):>6.2f}ms {p95:>6.2f}ms {timings[-1]:>6.2f}ms"
            )


if __name__ == "__main__":
    main()
