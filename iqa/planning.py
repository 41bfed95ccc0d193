"""The sampling plan generator: plain Python over plain data, so it can be tested on random
centres. It proposes work to sample so that every assessor, unit, evidence method and learner
in the period is covered (CAMERA) and each assessor's share of work sampled meets the strategy.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import operator
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Work:
    """One unit of one learner's work judged by one assessor: what a plan item samples."""

    registration: int
    learner: int
    unit: int
    assessor: int
    methods: frozenset[str]
    stage: str  # "interim" or "summative"
    deciders: frozenset[int]  # everyone who decided or countersigned any of its decisions

    @functools.cached_property  # the planner asks for it a few times for each piece
    def key(self) -> tuple[int, int, str]:
        return (self.registration, self.unit, self.stage)


def tags(work: Work, stages: Sequence[str]) -> set[tuple[object, ...]]:
    """What sampling this work covers: its assessor, unit, methods, learner and, where both
    stages are required, the assessor at this stage."""
    found: set[tuple[object, ...]] = {
        ("assessor", work.assessor),
        ("unit", work.unit),
        ("learner", work.learner),
    }
    found |= {("method", m) for m in work.methods}
    if work.stage in stages:
        found.add(("stage", work.assessor, work.stage))
    return found


def needed(count: int, percent: int) -> int:
    return math.ceil(count * percent / 100)


def propose(
    work: Iterable[Work],
    *,
    percent: Mapping[int, int],
    iqa: int,
    stages: Sequence[str] = (),
    already: Iterable[Work] = (),
) -> list[Work]:
    """Work to add to a plan. Never work the IQA decided or countersigned.

    `percent` is each assessor's share to sample (by their risk); `stages` are the stages that
    must each be sampled for every assessor; `already` is work in the plan before.

    Coverage first: the work that covers most of what is still uncovered, again and again (the
    first such in key order on a tie). Then each assessor's share, taking first the work of the
    learners sampled least so far. A thousand learners' work is planned in milliseconds: what a
    piece of work still covers only ever shrinks, so it is worked out again only for the piece
    that looks best (a "lazy" greedy choice, which picks exactly what the plain one would).

    Each piece's key and what it covers are made once, in a comprehension, and the sorts are by
    tuples made beforehand: not a call of Python (`key`, `tags`, a key function) for each of a
    period's hundreds of pieces, which cost as much as the choosing
    (tests/iqa/test_planner_as_before.py holds it to the planner as it was written before).
    """
    # In key order, and a learner's unit judged by several assessors by the assessor's id: not
    # in the order a set of the work happened to hold them (hashes of strings, which differ
    # from one process to the next, so two workers could plan the same period differently).
    eligible = sorted({w for w in work if iqa not in w.deciders}, key=IN_ORDER)
    keys = [(w.registration, w.unit, w.stage) for w in eligible]  # each `w.key`
    before = {w.key: w for w in already}
    chosen = dict(before)
    covered: set[tuple[object, ...]] = set()
    for w in chosen.values():
        covered |= tags(w, stages)
    _cover(eligible, keys, stages, chosen, covered)
    _meet_shares(eligible, keys, percent, chosen)
    return [w for key, w in chosen.items() if key not in before]


# The order of the eligible work: its key (registration, unit, stage), then the assessor.
IN_ORDER = operator.attrgetter("registration", "unit", "stage", "assessor")
ASSESSOR = operator.attrgetter("assessor")
LEARNER = operator.attrgetter("learner")
METHOD = itertools.repeat("method")


def _tagged(eligible: list[Work], stages: Sequence[str]) -> list[set[tuple[object, ...]]]:
    """`tags` of each piece, made in one comprehension."""
    return [
        {
            ("assessor", w.assessor),
            ("unit", w.unit),
            ("learner", w.learner),
            *zip(METHOD, w.methods, strict=False),  # ("method", m) for each
            *((("stage", w.assessor, w.stage),) if w.stage in stages else ()),
        }
        for w in eligible
    ]


def _cover(
    eligible: list[Work],
    keys: list[tuple[int, int, str]],
    stages: Sequence[str],
    chosen: dict[tuple[int, int, str], Work],
    covered: set[tuple[object, ...]],
) -> None:
    """Choose work until everything the eligible work covers is covered."""
    tagged = _tagged(eligible, stages)
    uncovered = set().union(*tagged) - covered
    # (minus what the piece covered when last worked out, its place in key order)
    heap = [(-len(t - covered), n) for n, t in enumerate(tagged) if keys[n] not in chosen]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    while uncovered:
        _, n = pop(heap)
        gain = len(tagged[n] & uncovered)
        if heap and (-gain, n) > heap[0]:
            push(heap, (-gain, n))  # another may now cover more: look again
            continue
        chosen[keys[n]] = eligible[n]
        uncovered -= tagged[n]


def _meet_shares(
    eligible: list[Work],
    keys: list[tuple[int, int, str]],
    percent: Mapping[int, int],
    chosen: dict[tuple[int, int, str], Work],
) -> None:
    """Add each assessor's work until their share is met, learners sampled least first."""
    by_assessor: dict[int, list[int]] = {}
    for n, w in enumerate(eligible):
        by_assessor.setdefault(w.assessor, []).append(n)
    have = Counter(map(ASSESSOR, chosen.values()))
    times = Counter(map(LEARNER, chosen.values()))
    for assessor in sorted(by_assessor):
        theirs = by_assessor[assessor]
        target = needed(len(theirs), percent.get(assessor, 100))
        if have[assessor] >= target:
            continue
        # By how often the learner was sampled and then the key, as they stood before the loop
        # adds any; on a tie in key order of the eligible work (`n`: a stable sort's order).
        for _, key, n in sorted([(times[eligible[n].learner], keys[n], n) for n in theirs]):
            if have[assessor] >= target:
                break
            if key not in chosen:
                w = chosen[key] = eligible[n]
                have[assessor] += 1
                times[w.learner] += 1
