from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessment.eligibility import Eligibility, centre_registrations, eligibility_of
from certification.models import Kind
from certification.readiness import InForce, certificates_in_force
from portal.models import Centre
from portal.spreadsheets import csv_text
from qualifications.models import Qualification
from qualifications.rules.words import verdict_text

CSV_HEADER = [
    "Registration",
    "Learner",
    "E-mail",
    "AO registration number",
    "Qualification",
    "Eligible",
    "Credits that count",
    "Credits achieved",
    "Units achieved",
    "Rules not met",
    "Notes",
    "Shortest route",
    "Full certificate",  # added last: a sheet that reads the columns by position still works
]


class Command(BaseCommand):
    help = (
        "Say for every open registration of a centre whether the learner meets the rules of "
        "combination with the units achieved (signed off and countersigned), rule by rule, as "
        "check_eligibility does for one, and which of them hold a full certificate already "
        "(the eligible without one are the claims to make). Exit 2 for an unknown centre or "
        "qualification."
    )
    # A question answered from the database: the system checks (which import every view) would
    # cost more than the answer.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--centre",
            required=True,
            help="The centre's name, or its number (its id in the portal).",
        )
        parser.add_argument("--qualification", help="Only this qualification, e.g. 601/3576/1.")
        parser.add_argument("--format", choices=["text", "csv"], default="text")
        parser.add_argument(
            "--route",
            action="store_true",
            help="Also the shortest route for each learner (a few milliseconds each).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        centre = find_centre(options["centre"])
        code = options["qualification"]
        if code and not Qualification.objects.filter(code=code).exists():
            raise CommandError(f"No qualification has the code {code!r}.", returncode=2)
        found = eligibility_of(centre_registrations(centre, code), with_route=options["route"])
        full = full_certificates(found)
        if options["format"] == "csv":
            rows = [csv_row(e, full.get(e.registration.pk)) for e in found]
            self.stdout.write(csv_text(CSV_HEADER, rows), ending="")
        else:
            self.stdout.write("\n".join(text_lines(centre, found, full)))


def full_certificates(found: list[Eligibility]) -> dict[int, InForce]:
    """registration -> its full certificate in force (revoked or not), in one query: an eligible
    learner with one is no claim to make."""
    in_force = certificates_in_force([e.registration.pk for e in found])
    return {registration: c for (registration, kind), c in in_force.items() if kind == Kind.FULL}


def certificate_words(certificate: InForce | None) -> str:
    if certificate is None:
        return ""
    return f"{certificate.number} (revoked)" if certificate.revoked else certificate.number


def find_centre(given: str) -> Centre:
    centres = list(Centre.objects.filter(name__iexact=given.strip()))
    if not centres and given.strip().isdigit():
        centres = list(Centre.objects.filter(pk=int(given)))
    if not centres:
        raise CommandError(f"No centre is called {given!r}.", returncode=2)
    if len(centres) > 1:
        numbers = ", ".join(str(c.pk) for c in centres)
        raise CommandError(
            f"{len(centres)} centres are called {given!r}: give the number of one ({numbers}).",
            returncode=2,
        )
    return centres[0]


def text_lines(centre: Centre, found: list[Eligibility], full: dict[int, InForce]) -> list[str]:
    lines = []
    for e in found:
        r = e.registration
        lines += [f"{r.learner.full_name} <{r.learner.email}>: {r.qualification}"]
        lines += verdict_text(e.verdict)
        certificate = full.get(r.pk)
        if certificate is not None:
            lines.append(f"  Full certificate: {certificate_words(certificate)}")
        if e.route is not None:
            lines.append(f"  Shortest route: {route_words(e)}")
        lines.append("")
    eligible = [e for e in found if e.verdict.eligible]
    # A full certificate is claimed once: a revoked one is not claimed again (a replacement is
    # made from it), so neither is a claim to make (as the claims page says).
    claimed = sum(1 for e in eligible if e.registration.pk in full)
    lines.append(
        f"{centre.name}: {len(eligible)} of {len(found)} open registrations eligible; "
        f"{claimed} of them have their full certificate claimed, {len(eligible) - claimed} to "
        "claim."
    )
    return lines


def route_words(e: Eligibility) -> str:
    """The route counts the units the learner chose as done (as the learner's home page does):
    say so, or a learner whose plan meets the rules would read "nothing more is needed"."""
    route = e.route
    assert route is not None
    if not route.found:
        return route.reason
    if route.units:
        return f"the units of the plan still to achieve, and also {route.describe(e.rules)}"
    if e.verdict.eligible:
        return "nothing more is needed: the rules are met."
    return "the units of the plan still to achieve; together they meet the rules."


def csv_row(e: Eligibility, certificate: InForce | None) -> list[str | int | None]:
    r, v = e.registration, e.verdict
    return [
        r.pk,
        r.learner.full_name,
        r.learner.email,
        r.ao_registration_number,
        r.qualification.code,
        "yes" if v.eligible else "no",
        v.counted_credits,
        v.achieved_credits,
        " ".join(e.achieved),
        "; ".join(rule.message for rule in v.unmet),
        "; ".join(v.notes),
        route_words(e) if e.route is not None else None,
        certificate_words(certificate),
    ]
