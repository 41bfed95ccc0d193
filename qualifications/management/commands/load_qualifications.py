from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualifications.loader import CatalogueError, catalogue_load


class Command(BaseCommand):
    help = "Load the qualification catalogue from fixtures/catalogue/ (or the files given)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", type=Path, help="YAML files (default: all)")
        parser.add_argument(
            "--force", action="store_true", help="Load files even if they have not changed."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = catalogue_load(options["files"] or None, force=options["force"])
        except (CatalogueError, OSError) as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] < 1:
            return
        for name in report.loaded:
            self.stdout.write(f"Loaded {name}")
        if report.unchanged:
            self.stdout.write(f"Unchanged since last loaded: {len(report.unchanged)} file(s)")
