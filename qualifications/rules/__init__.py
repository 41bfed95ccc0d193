"""The rules-of-combination engine: plain Python over plain data, no ORM inside.

- `evaluate(rules, achieved, rpl=..., exempt=...)` gives a `Verdict` that explains itself;
- `shortest_route(rules, achieved, chosen=...)` gives the cheapest further units;
- `check_choice(rules, chosen)` says whether a registration's choice of units can satisfy the rules;
- `rules_for(qualification)` (in adapter.py) reads a qualification from the database into `Rules`.
"""

from qualifications.rules.choice import Choice, check_choice
from qualifications.rules.engine import NO_RULES, RuleResult, Verdict, evaluate
from qualifications.rules.model import Equivalence, Group, LevelRule, Rules, Unit
from qualifications.rules.route import Route, shortest_route

__all__ = [
    "NO_RULES",
    "Choice",
    "Equivalence",
    "Group",
    "LevelRule",
    "Route",
    "RuleResult",
    "Rules",
    "Unit",
    "Verdict",
    "check_choice",
    "evaluate",
    "shortest_route",
]
