"""How many credits count, and whether every credit rule can be met at once.

Credits flow from units, through the level rules that cover them, to the groups they count in.
Level rules cover sets of levels that are nested or disjoint ("level 3 or above" contains "level
4 or above"), so they form a tree; a group's maximum caps what leaves it, a level cap what passes
through it. The most that can count is the maximum flow; the rules can all be met when a flow
exists that also gives each group its minimum, each level its minimum and the total its minimum.
Units in the same group and the same band of levels are interchangeable here, so everything is
computed from the credit totals of those buckets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qualifications.rules.flow import INFINITE, Network, feasible
from qualifications.rules.model import LevelRule, Rules

Bucket = tuple[str, int]  # (group code, band: the index of the innermost level rule, or -1)


@dataclass(frozen=True)
class Bands:
    """The level rules arranged as a tree: each rule's parent is the smallest rule containing it."""

    rules: tuple[LevelRule, ...]
    parent: tuple[int, ...]

    @classmethod
    def of(cls, rules: Rules) -> Bands:
        # Merge a cap and a minimum on the same levels into one node.
        merged: dict[tuple[int, bool], LevelRule] = {}
        for rule in rules.level_rules:
            key = (rule.level, rule.or_above)
            known = merged.get(key)
            merged[key] = LevelRule(
                rule.level,
                max_credits=rule.max_credits
                if known is None or known.max_credits is None
                else known.max_credits,
                min_credits=rule.min_credits
                if known is None or known.min_credits is None
                else known.min_credits,
                or_above=rule.or_above,
            )
        ordered = tuple(sorted(merged.values(), key=lambda r: (r.level, not r.or_above)))
        parent = tuple(cls._parent(ordered, i) for i in range(len(ordered)))
        return cls(ordered, parent)

    @staticmethod
    def _parent(ordered: tuple[LevelRule, ...], index: int) -> int:
        rule = ordered[index]
        containing = [
            i
            for i, other in enumerate(ordered)
            if i != index
            and other.or_above
            and other.level <= rule.level
            and (other.level < rule.level or rule.or_above is False)
        ]
        return max(containing, key=lambda i: ordered[i].level, default=-1)

    def band(self, level: int) -> int:
        """The innermost level rule covering a level, or -1 for none."""
        covering = [i for i, rule in enumerate(self.rules) if rule.covers(level)]
        return max(
            covering, key=lambda i: (self.rules[i].level, not self.rules[i].or_above), default=-1
        )

    def chain(self, band: int) -> list[int]:
        path = []
        while band != -1:
            path.append(band)
            band = self.parent[band]
        return path


def edges(
    rules: Rules, bands: Bands, totals: Mapping[Bucket, int], *, with_minimums: bool
) -> list[tuple[object, object, int, int]]:
    """The flow network as (from, to, low, high) edges."""
    result: list[tuple[object, object, int, int]] = []
    for index, rule in enumerate(bands.rules):
        parent = bands.parent[index]
        low = (rule.min_credits or 0) if with_minimums else 0
        high = INFINITE if rule.max_credits is None else rule.max_credits
        result.append((("band", parent), ("band", index), low, high))
    for (code, band), credits in totals.items():
        result.append((("band", band), ("bucket", code, band), 0, credits))
        result.append((("bucket", code, band), ("group", code), 0, credits))
    for group in rules.groups:
        low = (group.min_credits or 0) if with_minimums else 0
        high = INFINITE if group.max_credits is None else group.max_credits
        result.append((("group", group.code), "sink", low, high))
    result.append(("source", ("band", -1), 0, INFINITE))
    return result


def counted_credits(rules: Rules, bands: Bands, totals: Mapping[Bucket, int]) -> int:
    """The most credits that can count toward the qualification."""
    if not bands.rules:
        # Without level rules each group counts up to its maximum, independently.
        return sum(min(c, _max(rules, g)) for g, c in _by_group(totals).items())
    network = Network()
    for source, target, _low, high in edges(rules, bands, totals, with_minimums=False):
        network.add(source, target, high)
    return network.max_flow("source", "sink")


def all_minimums_met(rules: Rules, bands: Bands, totals: Mapping[Bucket, int]) -> bool:
    """Whether one way of counting meets every group, level and total minimum at once."""
    if not bands.rules:
        by_group = _by_group(totals)
        counted = {g.code: min(by_group.get(g.code, 0), _max(rules, g.code)) for g in rules.groups}
        groups_met = all(counted[g.code] >= (g.min_credits or 0) for g in rules.groups)
        return groups_met and sum(counted.values()) >= (rules.min_credits or 0)
    network = edges(rules, bands, totals, with_minimums=True)
    network.append(("sink", "source", rules.min_credits or 0, INFINITE))
    return feasible(network)


def _by_group(totals: Mapping[Bucket, int]) -> dict[str, int]:
    by_group: dict[str, int] = {}
    for (group, _band), credits in totals.items():
        by_group[group] = by_group.get(group, 0) + credits
    return by_group


def _max(rules: Rules, group_code: str) -> int:
    for group in rules.groups:
        if group.code == group_code:
            return INFINITE if group.max_credits is None else group.max_credits
    return INFINITE
