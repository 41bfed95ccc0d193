"""Checking a registration's choice of units: can the learner still meet the rules with it?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qualifications.rules.engine import Verdict, evaluate
from qualifications.rules.model import Rules
from qualifications.rules.route import Route, shortest_route


@dataclass(frozen=True)
class Choice:
    """`complete`: the chosen units meet the rules once achieved; `possible`: they can be
    completed (the route says with which units); `outside`: chosen units the qualification does
    not have, which are refused."""

    complete: bool
    possible: bool
    verdict: Verdict
    route: Route
    outside: tuple[str, ...]

    @property
    def acceptable(self) -> bool:
        return self.possible and not self.outside

    def explain(self, rules: Rules) -> list[str]:
        lines = [f"{code} is not a unit of {rules.title}." for code in self.outside]
        if self.complete:
            return [
                *lines,
                "This choice meets the rules of combination once every unit is achieved.",
            ]
        lines += [r.message for r in self.verdict.unmet]
        lines.append(
            f"To complete it: {self.route.describe(rules)}" if self.possible else self.route.reason
        )
        return lines


def check_choice(rules: Rules, chosen: Iterable[str], *, achieved: Iterable[str] = ()) -> Choice:
    """Judge a proposed choice of units as if every chosen unit were achieved; the verdict's
    sentences say the units are chosen, since none need be achieved yet."""
    units = frozenset(chosen) | frozenset(achieved)
    verdict = evaluate(rules, units, planned=True)
    route = shortest_route(rules, units)
    return Choice(
        complete=verdict.eligible,
        possible=route.found,
        verdict=verdict,
        route=route,
        outside=tuple(sorted(units - rules.units.keys())),
    )
