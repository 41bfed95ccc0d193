"""Profile one main page at the biggest centre of the load population: where its time goes.

    BENCH_DATABASE_URL=... .venv/bin/python scripts/profile_page.py "IQA plan" --rounds 20 \
        [--sort tottime] [--lines 40] [--small]

The page is fetched as scripts/bench_pages.py fetches it (the busiest person of its role, the
test client, DEBUG off, writes rolled back), once to warm up and then --rounds times under
cProfile; the top functions are printed with the median time per fetch and the query count.
The cache is emptied before each fetch (--keep-cache: not), as the page benchmark does.
A tool for finding what to fix, not a benchmark: the profiler slows Python code several times.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", help="a main page's name, as scripts/main_pages.py names it")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--small", action="store_true", help="the small centre, not the big")
    parser.add_argument(
        "--keep-cache", action="store_true",
        help="keep what pages put in the cache between fetches (emptied before each by default, "
        "as scripts/bench_pages.py does)",
    )  # fmt: skip
    parser.add_argument("--queries", action="store_true", help="print each query and its time")
    parser.add_argument(
        "--time", default="", metavar="DOTTED,...",
        help="time these functions (module.function or module.Class.method, comma-separated) "
        "without the profiler: the median ms per fetch spent in each",
    )  # fmt: skip
    parser.add_argument(
        "--explain", type=float, default=0, metavar="MS",
        help="with --queries: EXPLAIN ANALYZE the SELECTs slower than this",
    )  # fmt: skip
    args = parser.parse_args()

    from scripts.bench_pages import DATABASE_URL, configure

    configure(tempfile.mkdtemp(prefix="profile-page-"))
    from django.core.cache import cache

    from scripts.main_pages import PAGES_BY_NAME, client_for, prepare, send, the_population

    def emptied() -> None:
        if not args.keep_cache:
            cache.clear()

    page = PAGES_BY_NAME[args.page]
    found = the_population(DATABASE_URL)
    centre = found[0][0] if args.small else found[-1][0]
    person = page.person_at(centre)
    if person is None:
        sys.exit(f"Nobody at {centre} has a {page.name}.")
    where = page.find(person)
    if where is None:
        sys.exit(f"{person} has no {page.name}.")
    client = client_for(person)
    first = send(client, where, prepare(page, person), count=True)
    print(f"{page.name} at {centre}: {where} -> {first.response.status_code}, "
          f"{first.queries} queries, {len(first.response.content) // 1024} KB")  # fmt: skip
    times = []
    for _ in range(5):
        data = prepare(page, person)
        emptied()
        began = time.perf_counter()
        send(client, where, data)
        times.append(time.perf_counter() - began)
    print(f"median without the profiler: {statistics.median(times) * 1000:.1f} ms")
    if args.time:
        spent = timed_functions(args.time.split(","))
        per_fetch: dict[str, list[float]] = {name: [] for name in spent}
        for _ in range(max(args.rounds, 5)):
            data = prepare(page, person)
            emptied()
            for found_times in spent.values():
                found_times.clear()
            send(client, where, data)
            for name, found_times in spent.items():
                per_fetch[name].append(sum(found_times))
        for name, each in per_fetch.items():
            print(f"{statistics.median(each) * 1000:7.2f} ms  {name}")
    if args.queries:
        from django.db import connection

        seen: list[tuple[float, str, Any]] = []

        def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                seen.append((time.perf_counter() - began, sql, params))

        # The page's own queries only: those finding what a write sends are made before.
        data = prepare(page, person)
        emptied()
        with connection.execute_wrapper(timed):
            send(client, where, data)
        for seconds, sql, _ in seen:
            print(f"{seconds * 1000:7.2f} ms  {sql[:300]}")
        if args.explain:
            with connection.cursor() as cursor:
                for seconds, sql, params in seen:
                    if seconds * 1000 >= args.explain and sql.lstrip().startswith("SELECT"):
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                        print(f"\n--- {seconds * 1000:.2f} ms: {sql}")
                        print("\n".join(row[0] for row in cursor.fetchall()))
    profiler = cProfile.Profile()
    for _ in range(args.rounds):
        data = prepare(page, person)
        emptied()
        profiler.enable()
        send(client, where, data)
        profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats(args.sort).print_stats(args.lines)


def timed_functions(names: list[str]) -> dict[str, list[float]]:
    """Wrap each named function where it is defined and where views imported it, so that every
    call adds its time to the list returned under its name."""
    import functools
    import importlib

    spent: dict[str, list[float]] = {}
    for name in (n.strip() for n in names if n.strip()):
        module_name, _, attribute = name.rpartition(".")
        owner: Any
        try:
            owner = importlib.import_module(module_name)
        except ModuleNotFoundError:  # module.Class.method
            module_name, _, class_name = module_name.rpartition(".")
            owner = getattr(importlib.import_module(module_name), class_name)
        original = getattr(owner, attribute)
        times = spent.setdefault(name, [])

        def wrapper(
            *a: Any, _original: Any = original, _times: list[float] = times, **k: Any
        ) -> Any:
            began = time.perf_counter()
            try:
                return _original(*a, **k)
            finally:
                _times.append(time.perf_counter() - began)

        wrapped = functools.wraps(original)(wrapper)
        setattr(owner, attribute, wrapped)
        for module in list(sys.modules.values()):  # `from x import f` copies, too
            if getattr(module, attribute, None) is original:
                setattr(module, attribute, wrapped)
    return spent


if __name__ == "__main__":
    main()
