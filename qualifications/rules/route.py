"""The shortest route: the cheapest set of further units that makes a learner eligible.

Cheapest means the lowest total guided learning hours; ties go to fewer credits, then fewer
units. A unit whose specification states no GLH has no known cost, so a route uses such units
only where no route without them is as good: the objective puts the number of units of unknown
GLH first. The search is exact: mandatory units that are missing are added first, and a dynamic
programme over the credit totals that matter (per group and band of levels, capped where more
can never help) and the unit counts that matter finds the cheapest eligible completion.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations, product

from qualifications.rules.counting import Bands, Bucket, all_minimums_met
from qualifications.rules.engine import NO_RULES, Verdict, _equivalent, evaluate
from qualifications.rules.flow import INFINITE
from qualifications.rules.model import Rules

NO_ROUTE = "No choice of units in this qualification meets its rules"
# The units chosen so far, as a linked list shared between states: (last unit, the rest).
Chain = tuple[str, "Chain"] | None
Cost = tuple[int, int, int, int]  # (units of unknown GLH, GLH, credits, units)
ZERO: Cost = (0, 0, 0, 0)


@dataclass(frozen=True)
class Route:
    found: bool
    units: tuple[str, ...] = ()
    glh: int = 0
    credits: int = 0
    unknown_glh: tuple[str, ...] = ()
    reason: str = ""
    verdict: Verdict | None = None

    def describe(self, rules: Rules) -> str:
        if not self.found:
            return self.reason
        if not self.units:
            return "Nothing more is needed: the rules are met."
        hours = f"{self.glh} GLH"
        if self.unknown_glh:
            hours += (
                f" plus {len(self.unknown_glh)} unit(s) whose GLH the specification does not state"
            )
        names = "; ".join(rules.name(code) for code in self.units)
        return f"{len(self.units)} more unit(s), {self.credits} credits, {hours}: {names}"


def cost_of(rules: Rules, code: str) -> Cost:
    unit = rules.units[code]
    return (int(unit.glh is None), unit.glh or 0, unit.credits or 0, 1)


def shortest_route(
    rules: Rules,
    achieved: Iterable[str],
    *,
    chosen: Iterable[str] = (),
    rpl: Iterable[str] = (),
    exempt: Iterable[str] = (),
) -> Route:
    """The cheapest further units that make `achieved` plus `chosen` eligible, or why none can."""
    if not rules.published:
        return Route(False, reason=NO_RULES)
    base = frozenset(achieved) | frozenset(chosen)
    exempt = frozenset(exempt)
    start = evaluate(rules, base, rpl=rpl, exempt=exempt)
    if start.eligible:
        return Route(True, verdict=start)
    # Achieving more never hurts, so a route exists exactly when achieving every unit it may
    # use would do (not those the learner is exempt from or already satisfies otherwise).
    free = _free(rules, base, exempt)
    everything = evaluate(rules, base | (rules.units.keys() - free), rpl=rpl, exempt=exempt)
    if not everything.eligible:
        why = "; ".join(r.message for r in everything.unmet)
        return Route(False, reason=f"{NO_ROUTE}: {why}")
    best: tuple[Cost, tuple[str, ...]] | None = None
    # An equivalent unit inside the qualification may be worth adding for what it satisfies:
    # try each way of adding (or not) one satisfier per open equivalence.
    for extra, granted in _equivalence_choices(rules, base, exempt):
        found = _route_from(rules, base | extra, free | granted)
        if found is not None:
            cost = _add(found[0], _sum_cost(rules, extra))
            if best is None or cost < best[0]:
                best = (cost, tuple(extra) + found[1])
    if best is None:  # cannot happen while the search is exact: say so loudly
        raise AssertionError(f"No route found for {rules.code}, though one exists")
    units = tuple(sorted(best[1]))
    verdict = evaluate(rules, base | set(units), rpl=rpl, exempt=exempt)
    if not verdict.eligible:
        raise AssertionError(f"The route found for {rules.code} does not meet {verdict.unmet}")
    return Route(
        True,
        units=units,
        glh=sum(rules.units[c].glh or 0 for c in units),
        credits=sum(rules.units[c].credits or 0 for c in units),
        unknown_glh=tuple(c for c in units if rules.units[c].glh is None),
        verdict=verdict,
    )


def _free(rules: Rules, base: frozenset[str], exempt: frozenset[str]) -> frozenset[str]:
    """Units the learner is exempt from, or satisfies through an equivalent unit: they count
    toward what they satisfy without counting credit, and a route never asks for them."""
    return (exempt | _equivalent(rules, base)) & rules.units.keys()


def _add(a: Cost, b: Cost) -> Cost:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3])


def _sum_cost(rules: Rules, codes: Iterable[str]) -> Cost:
    total = ZERO
    for code in codes:
        total = _add(total, cost_of(rules, code))
    return total


def _equivalence_choices(
    rules: Rules, base: frozenset[str], exempt: frozenset[str]
) -> Iterable[tuple[frozenset[str], frozenset[str]]]:
    """Each way of adding satisfiers: (the units added, the units they are taken to satisfy)."""
    # A held unit needs its equivalent too when it may not count (it is barred with another, or
    # its group has a unit maximum; the choices evaluate() makes): the equivalent then satisfies
    # it in its place, e.g. a new version of a unit that is barred with the old one it replaces.
    open_ones = [
        e
        for e in rules.equivalences
        if e.unit not in exempt
        and (e.unit not in base or _may_not_count(rules, e.unit))
        and not base & set(e.satisfied_by)
    ]
    # Never offer a satisfier the learner is exempt from or satisfies already: a route never
    # asks for such a unit (adding it for its equivalence would be a route the rules forbid).
    taken = base | _free(rules, base, exempt)
    options = [
        (None, *(c for c in e.satisfied_by if c in rules.units and c not in taken))
        for e in open_ones
    ]
    for picked in product(*options):
        # Only the equivalences picked here are satisfied in this branch, not every one an added
        # unit happens to satisfy: a unit it satisfies may still be worth adding for its own
        # credits or GLH (U1 satisfies U0 and U2, and U2's hours are needed), and a branch that
        # made U2 free could never add it. The branch that picks U1 for U2 as well covers the rest.
        chosen = [(e, c) for e, c in zip(open_ones, picked, strict=True) if c is not None]
        yield (
            frozenset(c for _, c in chosen),
            frozenset(e.unit for e, _ in chosen) & rules.units.keys(),
        )


def _may_not_count(rules: Rules, code: str) -> bool:
    return any(code in barred for barred in rules.barred) or any(
        g.max_units is not None and code in g.units for g in rules.groups
    )


def _route_from(
    rules: Rules, base: frozenset[str], free: frozenset[str]
) -> tuple[Cost, tuple[str, ...]] | None:
    """The cheapest completion of `base`, given the units taken as satisfied without counting
    (`free`): missing mandatory units, then the search."""
    forced = tuple(c for g in rules.groups if g.mandatory for c in g.units if c not in base | free)
    have = (base & rules.units.keys()) | frozenset(forced)
    required = frozenset(c for g in rules.groups if g.mandatory for c in g.units) - free
    best: tuple[Cost, tuple[str, ...]] | None = None
    for counting, candidates in _branches(rules, have, required, free):
        # A held unit that does not count in this branch still satisfies, if it is free.
        found = _cheapest(rules, counting, free - counting, candidates)
        if found is not None and (best is None or found[0] < best[0]):
            best = found
    if best is None:
        return None
    return _add(best[0], _sum_cost(rules, forced)), forced + best[1]


def _branches(
    rules: Rules, have: frozenset[str], required: frozenset[str], free: frozenset[str]
) -> Iterable[tuple[frozenset[str], list[str]]]:
    """Each way the rules' choices can fall: (the units already held that count, the units
    that may be added). Of a barred combination one member, or none, is the one that counts,
    whether it is held already or added; of a group with a unit maximum, which held units count."""
    pool = [c for c in sorted(rules.units) if c not in have and c not in free]
    for keeps in product(*[(None, *barred) for barred in rules.barred]):
        dropped: set[str] = set()
        for barred, keep in zip(rules.barred, keeps, strict=True):
            dropped |= set(barred) - {keep}
        if dropped & required:
            continue  # a mandatory unit must count
        counting = have - dropped
        candidates = [c for c in pool if c not in dropped]
        for kept in _within_unit_maximums(rules, counting):
            if required <= kept | set(candidates):
                yield kept, candidates


def _within_unit_maximums(rules: Rules, counting: frozenset[str]) -> Iterable[frozenset[str]]:
    # Under a unit maximum a held unit may give way to a better one still to come, so every
    # subset of the held units up to the maximum is a starting point.
    choices = []
    for group in rules.groups:
        present = sorted(counting & set(group.units))
        if group.max_units is not None and present:
            choices.append(
                [
                    set(present) - set(kept)
                    for size in range(min(len(present), group.max_units) + 1)
                    for kept in combinations(present, size)
                ]
            )
    for dropped in product(*choices):
        yield counting - set().union(*dropped)


@dataclass(frozen=True)
class Step:
    changes: tuple[tuple[int, int, int], ...]  # (position in the state, amount, cap)
    limit: tuple[int, int] | None  # (position, maximum): a unit maximum already reached

    def apply(self, state: tuple[int, ...]) -> tuple[int, ...]:
        if self.limit is not None and state[self.limit[0]] >= self.limit[1]:
            return state  # beyond the group's unit maximum a unit does not count
        values = list(state)
        for position, amount, cap in self.changes:
            value = values[position] + amount
            values[position] = value if value < cap else cap
        return tuple(values)


@dataclass
class Space:
    """The state a partial choice is summarised by: what the rules can still need of it."""

    buckets: list[Bucket]
    caps: list[int]
    count_groups: list[str]  # groups with a minimum or maximum number of units
    count_caps: list[int]
    count_minimums: list[int]
    count_maximums: list[int | None]
    total_units_cap: int
    glh_cap: int

    def start(self, rules: Rules, bands: Bands, have: frozenset[str]) -> tuple[int, ...]:
        state = tuple([0] * self.size)
        for code in sorted(have):
            state = self.step(rules, bands, code).apply(state)
        return state

    @property
    def size(self) -> int:
        return len(self.buckets) + len(self.count_groups) + 2

    def step(self, rules: Rules, bands: Bands, code: str) -> Step:
        """What adding one unit does to a state, worked out once rather than per state."""
        unit, group = rules.units[code], rules.group_of.get(code)
        changes: list[tuple[int, int, int]] = []
        limit: tuple[int, int] | None = None
        if unit.credits and group is not None:
            i = self.buckets.index((group, bands.band(unit.level)))
            changes.append((i, unit.credits, self.caps[i]))
        offset = len(self.buckets)
        if group in self.count_groups:
            j = self.count_groups.index(group)
            changes.append((offset + j, 1, self.count_caps[j]))
            maximum = self.count_maximums[j]
            if maximum is not None:
                limit = (offset + j, maximum)
        offset += len(self.count_groups)
        changes.append((offset, 1, self.total_units_cap))
        changes.append((offset + 1, unit.glh or 0, self.glh_cap))
        return Step(tuple(changes), limit)

    def eligible(self, rules: Rules, bands: Bands, state: tuple[int, ...]) -> bool:
        totals = dict(zip(self.buckets, state, strict=False))
        offset = len(self.buckets)
        for j in range(len(self.count_groups)):
            if state[offset + j] < self.count_minimums[j]:
                return False
        offset += len(self.count_groups)
        if state[offset] < self.total_units_cap or state[offset + 1] < self.glh_cap:
            return False
        return all_minimums_met(rules, bands, totals)


def _space(rules: Rules, bands: Bands, have: frozenset[str], free: frozenset[str]) -> Space:
    buckets = sorted(
        {
            (rules.group_of[c], bands.band(u.level))
            for c, u in rules.units.items()
            if u.credits and c in rules.group_of
        }
    )
    groups = {g.code: g for g in rules.groups}
    if bands.rules:
        caps = [_generic_cap(rules, bands, groups[g], band) for g, band in buckets]
    else:
        caps = [_independent_cap(rules, groups[g], have) for g, _ in buckets]
    counted = [g for g in rules.groups if g.min_units or g.max_units is not None]
    # Exempt and equivalent-satisfied units already meet part of each count of units, and take
    # no place under a group's unit maximum: they lower the minimums instead of entering states.
    minimums = [max(0, (g.min_units or 0) - len(free & set(g.units))) for g in counted]
    return Space(
        buckets=buckets,
        caps=caps,
        count_groups=[g.code for g in counted],
        count_caps=[
            g.max_units if g.max_units is not None else low
            for g, low in zip(counted, minimums, strict=True)
        ],
        count_minimums=minimums,
        count_maximums=[g.max_units for g in counted],
        total_units_cap=max(0, (rules.min_units or 0) - len(free)),
        glh_cap=rules.min_glh or 0,
    )


def _generic_cap(rules: Rules, bands: Bands, group, band: int) -> int:  # type: ignore[no-untyped-def]
    """More credits in a bucket than any minimum it serves, or than can count, never help."""
    chain = bands.chain(band)
    upper = min(
        [group.max_credits if group.max_credits is not None else INFINITE]
        + [bands.rules[i].max_credits for i in chain if bands.rules[i].max_credits is not None]
    )
    wanted = max(
        [rules.min_credits or 0, group.min_credits or 0]
        + [bands.rules[i].min_credits or 0 for i in chain]
    )
    return max(0, min(upper, wanted))


def _independent_cap(rules: Rules, group, have: frozenset[str]) -> int:  # type: ignore[no-untyped-def]
    """Without level rules each group counts on its own, so what the other groups already
    count lowers what this one can be asked for toward the total. Capping every group this way
    at once is safe because no group is capped below what it already counts."""
    others = 0
    for other in rules.groups:
        if other.code == group.code:
            continue
        credits = sum(rules.units[c].credits or 0 for c in other.units if c in have)
        others += min(credits, other.max_credits if other.max_credits is not None else INFINITE)
    upper = group.max_credits if group.max_credits is not None else INFINITE
    wanted = max(group.min_credits or 0, (rules.min_credits or 0) - others)
    # Never below what the group already counts: the lowering above relies on it.
    own = sum(rules.units[c].credits or 0 for c in group.units if c in have)
    return max(0, min(upper, wanted), min(upper, own))


def _cheapest(
    rules: Rules, have: frozenset[str], free: frozenset[str], candidates: Sequence[str]
) -> tuple[Cost, tuple[str, ...]] | None:
    bands = Bands.of(rules)
    space = _space(rules, bands, have, free)
    states: dict[tuple[int, ...], tuple[Cost, Chain]] = {
        space.start(rules, bands, have): (ZERO, None)
    }
    for code in candidates:
        extra, step = cost_of(rules, code), space.step(rules, bands, code)
        for state, (cost, chain) in list(states.items()):
            following = step.apply(state)
            if following == state:
                continue  # this unit adds nothing the rules can still use
            total = _add(cost, extra)
            known = states.get(following)
            if known is None or total < known[0]:
                states[following] = (total, (code, chain))
    for state, (cost, chain) in sorted(states.items(), key=lambda item: item[1][0]):
        if space.eligible(rules, bands, state):
            return cost, _unwind(chain)
    return None


def _unwind(chain: Chain) -> tuple[str, ...]:
    codes = []
    while chain is not None:
        code, chain = chain
        codes.append(code)
    return tuple(codes)
