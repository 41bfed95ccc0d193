"""The sampling plan generator: plain Python over plain data, so it can be tested on random
centres. It proposes work to sample so that every assessor, unit, evidence method and learner
in the period is covered (CAMERA) and each assessor's share of work sampled meets the strategy.
"""

from __future__ import annotations

import functools
import heapq
import math
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
    """
    # In key order, and a learner's unit judged by several assessors by the assessor's id: not
    # in the order a set of the work happened to hold them (hashes of strings, which differ
    # from one process to the next, so two workers could plan the same period differently).
    eligible = sorted(
        {w for w in work if iqa not in w.deciders}, key=lambda w: (*w.key, w.assessor)
    )
    before = {w.key: w for w in already}
    chosen = dict(before)
    covered: set[tuple[object, ...]] = set()
    for w in chosen.values():
        covered |= tags(w, stages)
    _cover(eligible, stages, chosen, covered)
    _meet_shares(eligible, percent, chosen)
    return [w for w in chosen.values() if w.key not in before]


def _cover(
    eligible: list[Work],
    stages: Sequence[str],
    chosen: dict[tuple[int, int, str], Work],
    covered: set[tuple[object, ...]],
) -> None:
    """Choose work until everything the eligible work covers is covered."""
    tagged = [tags(w, stages) for w in eligible]
    uncovered = set().union(*tagged) - covered
    # (minus what the piece covered when last worked out, its place in key order)
    heap = [(-len(t - covered), n) for n, t in enumerate(tagged) if eligible[n].key not in chosen]
    heapq.heapify(heap)
    while uncovered:
        _, n = heapq.heappop(heap)
        gain = len(tagged[n] & uncovered)
        if heap and (-gain, n) > heap[0]:
            heapq.heappush(heap, (-gain, n))  # another may now cover more: look again
            continue
        chosen[eligible[n].key] = eligible[n]
        uncovered -= tagged[n]


def _meet_shares(
    eligible: list[Work], percent: Mapping[int, int], chosen: dict[tuple[int, int, str], Work]
) -> None:
    """Add each assessor's work until their share is met, learners sampled least first."""
    by_assessor: dict[int, list[Work]] = {}
    for w in eligible:
        by_assessor.setdefault(w.assessor, []).append(w)
    have = Counter(w.assessor for w in chosen.values())
    times = Counter(w.learner for w in chosen.values())
    for assessor in sorted(by_assessor):
        theirs = by_assessor[assessor]
        target = needed(len(theirs), percent.get(assessor, 100))
        # The keys are worked out before the loop adds any: times as they stood then.
        for w in sorted(theirs, key=lambda w: (times[w.learner], w.key)):
            if have[assessor] >= target:
                break
            if w.key not in chosen:
                chosen[w.key] = w
                have[assessor] += 1
                times[w.learner] += 1
