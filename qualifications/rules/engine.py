"""The verdict: is a learner eligible for the full qualification, and if not, what is missing.

Semantics (docs/rules-engine.md says them in full):
- credits beyond a group's maximum or a level cap do not count toward the total, and do not by
  themselves block the award; extra achieved units never block it;
- a unit that is not part of the qualification is reported and does not count;
- of a barred combination at most one unit counts; an exemption or an equivalent unit satisfies
  a requirement and earns no credit; a unit achieved through RPL counts and is flagged;
- a qualification without published rules cannot be claimed as a full certificate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import combinations, product
from typing import Any

from qualifications.rules.counting import Bands, Bucket, all_minimums_met, counted_credits
from qualifications.rules.model import Group, Rules

NO_RULES = (
    "The rules of combination for this qualification are not published, so a full certificate "
    "cannot be claimed. Unit certificates can be claimed for achieved units."
)


@dataclass(frozen=True)
class RuleResult:
    rule: str
    met: bool
    message: str


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    counted_credits: int
    achieved_credits: int
    rules: tuple[RuleResult, ...]
    notes: tuple[str, ...] = ()
    counted_units: tuple[str, ...] = ()
    rpl_units: tuple[str, ...] = ()
    exempt_units: tuple[str, ...] = ()
    outside_units: tuple[str, ...] = ()

    @property
    def unmet(self) -> list[RuleResult]:
        return [r for r in self.rules if not r.met]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


ACHIEVED, CHOSEN = "achieved", "chosen"


@dataclass(frozen=True)
class Standing:
    """What the learner has, before any counting choice is made."""

    achieved: frozenset[str]
    rpl: frozenset[str] = field(default_factory=frozenset)
    exempt: frozenset[str] = field(default_factory=frozenset)
    # What the sentences call the units: "achieved", or "chosen" for a plan judged as if
    # every chosen unit were achieved (a plan's "all 5 mandatory units achieved" misled).
    word: str = ACHIEVED


def evaluate(
    rules: Rules,
    achieved: Iterable[str],
    *,
    rpl: Iterable[str] = (),
    exempt: Iterable[str] = (),
    planned: bool = False,
) -> Verdict:
    """The verdict for a learner who has achieved `achieved` (unit codes).

    `planned` judges a plan instead: the units are chosen, not achieved, and the sentences say
    so ("all 5 mandatory units chosen"), while the counting is the same.

    `rpl` marks achieved units gained through recognition of prior learning; `exempt` lists
    units the learner is exempt from. Where the rules leave a choice (which of a barred
    combination counts, which units count under a group's unit maximum), the choice that is best
    for the learner is taken.
    """
    word = CHOSEN if planned else ACHIEVED
    standing = Standing(frozenset(achieved), frozenset(rpl), frozenset(exempt), word)
    if not rules.published:
        return Verdict(
            eligible=False,
            counted_credits=0,
            achieved_credits=_credits(rules, standing.achieved & rules.units.keys()),
            rules=(RuleResult("Rules of combination", False, NO_RULES),),
            notes=_outside_notes(rules, standing),
            outside_units=_outside(rules, standing),
        )
    options = [_judge(rules, standing, counted) for counted in _countings(rules, standing)]
    return max(options, key=lambda v: (v.eligible, v.counted_credits, -len(v.unmet)))


def _credits(rules: Rules, codes: Iterable[str]) -> int:
    return sum(rules.units[c].credits or 0 for c in codes)


def _countings(rules: Rules, standing: Standing) -> Iterator[frozenset[str]]:
    """Every way of choosing which achieved units count that the rules allow."""
    inside = standing.achieved & rules.units.keys()
    choices: list[list[frozenset[str]]] = []
    for barred in rules.barred:
        present = sorted(inside & set(barred))
        if len(present) > 1:
            choices.append([frozenset(present) - {keep} for keep in present])
    for group in rules.groups:
        present = sorted(inside & set(group.units))
        if group.max_units is not None and len(present) > group.max_units:
            choices.append(
                [frozenset(present) - set(kept) for kept in combinations(present, group.max_units)]
            )
    for dropped in product(*choices):
        yield inside - frozenset().union(*dropped)


def _judge(rules: Rules, standing: Standing, counted: frozenset[str]) -> Verdict:
    bands = Bands.of(rules)
    totals = bucket_totals(rules, bands, counted)
    total = counted_credits(rules, bands, totals)
    satisfied = counted | standing.exempt | _equivalent(rules, standing.achieved)
    results = [
        *_group_results(rules, bands, totals, counted, satisfied, standing.word),
        *_level_results(rules, bands, counted, standing.word),
        *_total_results(rules, total, counted, satisfied),
    ]
    if all(r.met for r in results) and not all_minimums_met(rules, bands, totals):
        results.append(RuleResult("Combination", False, COMBINATION_UNMET))
    inside = standing.achieved & rules.units.keys()
    return Verdict(
        eligible=all(r.met for r in results),
        counted_credits=total,
        achieved_credits=_credits(rules, inside),
        rules=tuple(results),
        notes=_notes(rules, standing, counted),
        counted_units=tuple(sorted(counted)),
        rpl_units=tuple(sorted(standing.rpl & counted)),
        exempt_units=tuple(sorted(standing.exempt & rules.units.keys())),
        outside_units=_outside(rules, standing),
    )


COMBINATION_UNMET = (
    "Each rule is met on its own, but the caps on credits leave too few that count to meet "
    "them all at once."
)


def bucket_totals(rules: Rules, bands: Bands, counted: Iterable[str]) -> dict[Bucket, int]:
    totals: dict[Bucket, int] = {}
    for code in counted:
        unit, group = rules.units[code], rules.group_of.get(code)
        if group is None or not unit.credits:
            continue
        bucket = (group, bands.band(unit.level))
        totals[bucket] = totals.get(bucket, 0) + unit.credits
    return totals


def _equivalent(rules: Rules, achieved: frozenset[str]) -> frozenset[str]:
    return frozenset(e.unit for e in rules.equivalences if achieved & set(e.satisfied_by))


def _used_as_equivalent(rules: Rules, achieved: frozenset[str]) -> frozenset[str]:
    return frozenset(c for e in rules.equivalences for c in e.satisfied_by if c in achieved)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def at_least(rule: str, subject: str, have: int, minimum: int, word: str = "credit") -> RuleResult:
    """ "Group C: 13 of at least 16 credits (3 more credits needed)"."""
    short = minimum - have
    message = f"{subject}: {have} of at least {plural(minimum, word)}"
    if short > 0:
        message += f" ({short} more {word}{'' if short == 1 else 's'} needed)"
    return RuleResult(rule, short <= 0, message)


def at_most(rule: str, subject: str, have: int, maximum: int, word: str = ACHIEVED) -> RuleResult:
    """A maximum never blocks the award: it says how many credits do not count."""
    over = have - maximum
    if over > 0:
        message = (
            f"{subject}: {have} credits {word}, at most {maximum} count "
            f"({over} do not count toward the total)"
        )
    else:
        message = f"{subject}: {have} credits, within the maximum of {maximum}"
    return RuleResult(rule, True, message)


def _group_results(
    rules: Rules,
    bands: Bands,
    totals: dict[Bucket, int],
    counted: frozenset[str],
    satisfied: frozenset[str],
    word: str = ACHIEVED,
) -> Iterator[RuleResult]:
    for group in rules.groups:
        name = group.title
        if group.mandatory:
            missing = [c for c in group.units if c not in satisfied]
            done = len(group.units) - len(missing)
            if missing:
                still = "; ".join(rules.name(c) for c in missing)
                message = (
                    f"{name}: {done} of {len(group.units)} mandatory units; still needed: {still}"
                )
            else:
                message = f"{name}: all {plural(len(group.units), 'mandatory unit')} {word}"
            yield RuleResult(name, not missing, message)
        yield from _group_credit_results(rules, bands, totals, group, word)
        yield from _group_unit_results(group, counted, satisfied)


def _group_credit_results(
    rules: Rules, bands: Bands, totals: dict[Bucket, int], group: Group, word: str
) -> Iterator[RuleResult]:
    raw = sum(c for (g, _), c in totals.items() if g == group.code)
    mine = {b: c for b, c in totals.items() if b[0] == group.code}
    counts = counted_credits(rules, bands, mine)
    if group.min_credits is not None:
        yield at_least(f"{group.title}: minimum credits", group.title, counts, group.min_credits)
    if group.max_credits is not None:
        yield at_most(f"{group.title}: maximum credits", group.title, raw, group.max_credits, word)


def _group_unit_results(
    group: Group, counted: frozenset[str], satisfied: frozenset[str]
) -> Iterator[RuleResult]:
    if group.min_units is None:
        return
    have = len([c for c in group.units if c in satisfied])
    yield at_least(f"{group.title}: minimum units", group.title, have, group.min_units, "unit")


def _level_results(
    rules: Rules, bands: Bands, counted: frozenset[str], word: str
) -> Iterator[RuleResult]:
    for rule in rules.level_rules:
        at = sum(
            rules.units[c].credits or 0
            for c in counted
            if c in rules.group_of
            and rules.units[c].level is not None
            and rule.covers(rules.units[c].level)
        )
        scope = rule.scope.capitalize()
        if rule.max_credits is not None:
            yield at_most(f"Credits at {rule.scope}: maximum", scope, at, rule.max_credits, word)
        if rule.min_credits is not None:
            counts = min(at, rule.max_credits) if rule.max_credits is not None else at
            yield at_least(f"Credits at {rule.scope}: minimum", scope, counts, rule.min_credits)


def _total_results(
    rules: Rules, total: int, counted: frozenset[str], satisfied: frozenset[str]
) -> Iterator[RuleResult]:
    if rules.min_credits is not None:
        yield at_least("Minimum credits", "Total", total, rules.min_credits)
    if rules.min_units is not None:
        have = len(satisfied & rules.units.keys())
        yield at_least("Minimum units", "Units", have, rules.min_units, "unit")
    if rules.min_glh is not None:
        hours = sum(rules.units[c].glh or 0 for c in counted)
        yield at_least("Minimum GLH", "Guided learning hours", hours, rules.min_glh, "hour")


def _why_not_counted(rules: Rules, code: str, counted: frozenset[str]) -> str:
    for barred in rules.barred:
        if code in barred and counted & set(barred):
            others = ", ".join(sorted(counted & set(barred)))
            return f"at most one of {', '.join(barred)} counts, and {others} counts."
    group = next(g for g in rules.groups if g.code == rules.group_of.get(code))
    return f"at most {plural(group.max_units or 0, 'unit')} of {group.title} count."


def _outside(rules: Rules, standing: Standing) -> tuple[str, ...]:
    """Units given that the qualification does not have (achieved, or exempted from)."""
    used = _used_as_equivalent(rules, standing.achieved)
    return tuple(sorted(((standing.achieved - used) | standing.exempt) - rules.units.keys()))


def _outside_notes(rules: Rules, standing: Standing) -> tuple[str, ...]:
    notes = []
    for code in _outside(rules, standing):
        if code in standing.exempt:
            notes.append(f"{code} is not part of this qualification: the exemption does not apply.")
        else:
            notes.append(f"{code} is not part of this qualification and does not count.")
    return tuple(notes)


def _notes(rules: Rules, standing: Standing, counted: frozenset[str]) -> tuple[str, ...]:
    notes = list(_outside_notes(rules, standing))
    inside = standing.achieved & rules.units.keys()
    for code in sorted(inside - counted):
        notes.append(f"{rules.name(code)} does not count: {_why_not_counted(rules, code, counted)}")
    notes += [
        f"{rules.name(c)} was achieved through recognition of prior learning (RPL)."
        for c in sorted(standing.rpl & counted)
    ]
    notes += [
        f"{rules.name(c)}: exempt; satisfies the requirement and earns no credit."
        for c in sorted(standing.exempt & rules.units.keys())
    ]
    for equivalence in rules.equivalences:
        used = sorted(standing.achieved & set(equivalence.satisfied_by))
        if used and equivalence.unit not in counted:
            notes.append(
                f"{rules.name(equivalence.unit)} is satisfied by equivalent unit "
                f"{', '.join(used)}; it earns no credit."
            )
    return tuple(notes)
