from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from home.load_data import DEFAULT_PASSWORD, LoadDataRefused, Options, Report, generate


class Command(BaseCommand):
    help = (
        "Fill the database with a load population the size of a large provider (centres "
        "'Load centre NN', people @cNN.load.test), written in bulk but as the services would "
        "have made it. See docs/performance.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--centres", type=int, default=20, help="Big centres (default 20).")
        parser.add_argument("--learners", type=int, default=20000, help="Spread over them.")
        parser.add_argument("--assessors", type=int, default=400, help="Spread over them.")
        parser.add_argument(
            "--iqas",
            type=int,
            help="Spread over them (default: one per ten assessors, at least one per centre).",
        )
        parser.add_argument(
            "--small-centre-learners",
            type=int,
            default=5,
            help=(
                "Learners of the small centre 00, with two assessors (assessor2 a trainee) "
                "and one IQA (0: none)."
            ),
        )
        parser.add_argument("--seed", type=int, default=1, help="The same seed, the same shape.")
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="Every account's password."
        )
        parser.add_argument(
            "--render-certificates",
            type=int,
            default=0,
            metavar="N",
            help="Render the first N certificates' PDFs now (about 0.1 s each); the rest stay "
            "pending for the worker's sweep.",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=2,
            help="Processes making centres side by side, on PostgreSQL (default 2).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Remove a load population made before (and everything done in it) first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "generate_load_data makes accounts with a known password: not in production."
            )
        chosen = Options(
            centres=options["centres"],
            learners=options["learners"],
            assessors=options["assessors"],
            iqas=options["iqas"],
            small_centre_learners=options["small_centre_learners"],
            seed=options["seed"],
            password=options["password"],
            render_certificates=options["render_certificates"],
            jobs=options["jobs"],
        )
        try:
            report = generate(chosen, replace=options["replace"])
        except LoadDataRefused as refused:
            raise CommandError(str(refused)) from refused
        self.summary(report, chosen)

    def summary(self, report: Report, chosen: Options) -> None:
        out = self.stdout.write
        if report.catalogue_loaded:
            out("The catalogue was not loaded: loaded it from fixtures/catalogue.")
        if report.removed:
            out(f"Removed the previous load population: {sum(report.removed.values()):,} rows.")
        out(
            self.style.SUCCESS(
                f"Made {len(report.centres)} centres: {', '.join(report.centres[:2])} ..."
            )
        )
        out("Rows written, by table:")
        width = max(len(name) for name in report.rows)
        for name, count in sorted(report.rows.items()):
            out(f"  {name:<{width}}  {count:>12,}")
        out(f"  {'total':<{width}}  {sum(report.rows.values()):>12,}")
        processes = f", added up over {report.jobs} processes" if report.jobs > 1 else ""
        out(f"Seconds, by stage{processes}:")
        for stage, seconds in report.seconds.items():
            out(f"  {stage:<40} {seconds:8.1f}")
        out(f"Wall time: {report.wall:.1f} s")
        if report.database_bytes is not None:
            out(f"Database size: {report.database_bytes / 2**20:,.0f} MiB")
        if report.not_claimed:
            out(f"{report.not_claimed} certified learners were not ready and were not claimed.")
        if report.rendered:
            out(f"Rendered {report.rendered} certificate PDFs; the rest wait for the sweep.")
        out(f"Every account's password: {chosen.password}")
