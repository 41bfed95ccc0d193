import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualifications.models import Qualification, Unit
from qualifications.rules import Route, Rules, Verdict, evaluate, shortest_route
from qualifications.rules.adapter import rules_for
from qualifications.rules.words import verdict_json, verdict_text


def codes(value: str | None) -> list[str]:
    return [code.strip() for code in (value or "").split(",") if code.strip()]


class Command(BaseCommand):
    help = (
        "Say whether a set of achieved units meets a qualification's rules of combination, "
        "rule by rule, and (with --route) the cheapest further units. Exit 0 either way; "
        "exit 2 for an unknown qualification or unit."
    )
    # A question answered from the database: the system checks (which import every view) would
    # cost more than the answer.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--qualification", required=True, help="e.g. 601/3576/1")
        parser.add_argument("--units", default="", help="Achieved units, comma-separated codes.")
        parser.add_argument("--planned", default="", help="Units chosen but not yet achieved.")
        parser.add_argument("--rpl", default="", help="Achieved units gained through RPL.")
        parser.add_argument("--exempt", default="", help="Units the learner is exempt from.")
        parser.add_argument("--route", action="store_true", help="Also find the shortest route.")
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        qualification = Qualification.objects.filter(code=options["qualification"]).first()
        if qualification is None:
            raise CommandError(
                f"No qualification has the code {options['qualification']!r}.", returncode=2
            )
        given = {k: codes(options[k]) for k in ("units", "planned", "rpl", "exempt")}
        unknown = sorted(
            set().union(*given.values())
            - set(
                Unit.objects.filter(code__in=set().union(*given.values())).values_list(
                    "code", flat=True
                )
            )
        )
        if unknown:
            raise CommandError(f"No unit has the code {', '.join(unknown)}.", returncode=2)
        rules = rules_for(qualification)
        achieved = set(given["units"]) | set(given["rpl"])
        verdict = evaluate(rules, achieved, rpl=given["rpl"], exempt=given["exempt"])
        planned = (
            evaluate(
                rules, achieved | set(given["planned"]), rpl=given["rpl"], exempt=given["exempt"]
            )
            if given["planned"]
            else None
        )
        route = (
            shortest_route(
                rules, achieved, chosen=given["planned"], rpl=given["rpl"], exempt=given["exempt"]
            )
            if options["route"]
            else None
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(as_json(verdict, planned, route), indent=2, ensure_ascii=False)
            )
        else:
            self.stdout.write("\n".join(as_text(rules, verdict, planned, route)))


def as_json(verdict: Verdict, planned: Verdict | None, route: Route | None) -> dict[str, Any]:
    data = verdict_json(verdict)
    if planned is not None:
        data["with_planned"] = verdict_json(planned)
    if route is not None:
        data["route"] = {
            "found": route.found,
            "units": list(route.units),
            "glh": route.glh,
            "credits": route.credits,
            "units_without_glh": list(route.unknown_glh),
            "reason": route.reason or None,
        }
    return data


def as_text(
    rules: Rules, verdict: Verdict, planned: Verdict | None, route: Route | None
) -> list[str]:
    lines = [f"{rules.title} ({rules.code})", *verdict_text(verdict)]
    if planned is not None:
        lines += ["With the planned units:", *verdict_text(planned)]
    if route is not None:
        lines.append(f"Shortest route: {route.describe(rules)}")
    return lines
