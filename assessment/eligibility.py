"""Whether each of a centre's learners meets their qualification's rules of combination, from the
units they have achieved: what `check_eligibility` says of one learner, for many at once.

It lives here, not with the rules engine in `qualifications`, because it reads what assessment
records (units signed off and countersigned); it stops short of claim readiness
(`certification.readiness`), which adds IQA holds and certificates already issued. The queries
do not grow with the learners: the registrations, their achieved units, (for the route) their
chosen units, and the rules of each qualification among them, which a process reads once
(`qualifications.rules.adapter.rules_for`), or of the older versions some registrations are
pinned to (`qualifications.rules.versions`, decision 27).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from assessment.models import UnitSignOff
from portal.models import Centre
from portfolios.models import Registration, RegistrationUnit
from portfolios.prior_learning import NONE as NO_PRIOR_LEARNING
from portfolios.prior_learning import PriorStanding, prior_learning_of, route_with, verdict_with
from qualifications.rules import Route, Rules, Verdict
from qualifications.rules.versions import Version, pinned_rules, versions_of


@dataclass(frozen=True)
class Eligibility:
    registration: Registration
    rules: Rules
    achieved: tuple[str, ...]  # unit codes, signed off and countersigned
    verdict: Verdict
    route: Route | None  # None unless asked for: it costs milliseconds a learner


def centre_registrations(
    centre: Centre, qualification: str | None = None
) -> QuerySet[Registration]:
    """The centre's open registrations (optionally on one qualification, by its code), by
    learner name."""
    found = Registration.objects.open().filter(centre=centre)
    if qualification:
        found = found.filter(qualification__code=qualification)
    return found.select_related("learner", "qualification").order_by("learner__full_name", "pk")


def eligibility_of(
    registrations: QuerySet[Registration], *, with_route: bool = False
) -> list[Eligibility]:
    """The verdict (and, if asked, the shortest route) of every registration given."""
    rows = list(registrations)
    versions = versions_of(r.pinned_rules_id for r in rows)  # those they are pinned to
    achieved = _codes(
        UnitSignOff.objects.achieved().filter(registration__in=registrations.values("pk"))
    )
    chosen = (
        _codes(RegistrationUnit.objects.filter(registration__in=registrations.values("pk")))
        if with_route
        else {}
    )
    prior = prior_learning_of(r.pk for r in rows)
    return [
        _judged(
            r,
            achieved.get(r.pk, ()),
            chosen.get(r.pk, ()),
            with_route,
            versions,
            prior.get(r.pk, NO_PRIOR_LEARNING),
        )
        for r in rows
    ]


def _codes(rows: QuerySet[UnitSignOff] | QuerySet[RegistrationUnit]) -> dict[int, list[str]]:
    codes: dict[int, list[str]] = defaultdict(list)
    for registration_id, code in rows.order_by().values_list("registration_id", "unit__code"):
        codes[registration_id].append(code)
    return codes


def _judged(
    registration: Registration,
    achieved: Sequence[str],
    chosen: Sequence[str],
    with_route: bool,
    versions: dict[int, Version],
    prior: PriorStanding,
) -> Eligibility:
    rules = pinned_rules(registration.qualification, registration.pinned_rules_id, versions)
    route = route_with(rules, achieved, chosen, prior) if with_route else None
    verdict = verdict_with(rules, achieved, prior)  # RPL flagged, exemptions without credit
    held = tuple(sorted(set(achieved) | prior.rpl))
    return Eligibility(registration, rules, held, verdict, route)
