from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualifications.models import Qualification
from qualifications.validation import ERROR, validate


class Command(BaseCommand):
    help = "Check every qualification's data; exit 1 listing each error (warnings do not fail)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", help="Only these qualifications.")

    def handle(self, *args: Any, **options: Any) -> None:
        qualifications = Qualification.objects.order_by("code")
        if options["codes"]:
            qualifications = qualifications.filter(code__in=options["codes"])
            unknown = sorted(
                set(options["codes"]) - set(qualifications.values_list("code", flat=True))
            )
            if unknown:
                raise CommandError(f"No qualification has the code {', '.join(unknown)}.")
        findings = [f for q in qualifications for f in validate(q)]
        for finding in findings:
            style = self.style.ERROR if finding.severity == ERROR else self.style.WARNING
            self.stdout.write(style(str(finding)))
        errors = sum(f.severity == ERROR for f in findings)
        summary = f"{qualifications.count()} qualifications checked: {errors} error(s), "
        summary += f"{len(findings) - errors} warning(s)."
        self.stdout.write(summary)
        if errors:
            raise SystemExit(1)
