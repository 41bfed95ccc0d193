import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualifications.export import qualification_as_dict, qualifications_for_export


class Command(BaseCommand):
    help = (
        "Print a qualification (or, with --all, every qualification) as JSON; see docs/export.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", nargs="?", help="The qualification's code, e.g. 601/3576/1")
        parser.add_argument("--all", action="store_true", help="Print a list of them all.")

    def handle(self, *args: Any, **options: Any) -> None:
        code, everything = options["code"], options["all"]
        if bool(code) == everything:
            raise CommandError("Give one qualification code, or --all.")
        found = qualifications_for_export()
        if everything:
            data: Any = [qualification_as_dict(q) for q in found.order_by("code")]
        else:
            qualification = found.filter(code=code).first()
            if qualification is None:
                raise CommandError(f"No qualification has the code {code!r}.")
            data = qualification_as_dict(qualification)
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
