"""The sampling plan generator: plain Python over plain data, so it can be tested on random
centres. It proposes work to sample so that every assessor, unit, evidence method and learner
in the period is covered (CAMERA) and each assessor's share of work sampled meets the strategy.
"""

from __future__ import annotations

import math
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

    @property
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
    """
    eligible = sorted({w for w in work if iqa not in w.deciders}, key=lambda w: w.key)
    chosen = {w.key: w for w in already}
    covered: set[tuple[object, ...]] = set()
    for w in chosen.values():
        covered |= tags(w, stages)
    wanted = set().union(*(tags(w, stages) for w in eligible)) if eligible else set()
    # Coverage first: greedily take the work that covers most of what is still uncovered.
    while wanted - covered:
        best = max(
            (w for w in eligible if w.key not in chosen),
            key=lambda w: len(tags(w, stages) - covered),
        )
        chosen[best.key] = best
        covered |= tags(best, stages)
    # Then each assessor's share, taking first the work of learners sampled least.
    for assessor in sorted({w.assessor for w in eligible}):
        theirs = [w for w in eligible if w.assessor == assessor]
        target = needed(len(theirs), percent.get(assessor, 100))
        have = sum(1 for w in chosen.values() if w.assessor == assessor)
        for w in sorted(theirs, key=lambda w: (_times(chosen.values(), w.learner), w.key)):
            if have >= target:
                break
            if w.key not in chosen:
                chosen[w.key] = w
                have += 1
    return [w for w in chosen.values() if w.key not in {a.key for a in already}]


def _times(chosen: Iterable[Work], learner: int) -> int:
    return sum(1 for w in chosen if w.learner == learner)
