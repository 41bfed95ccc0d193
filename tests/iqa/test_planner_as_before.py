"""The planner (`iqa.planning.propose`) proposes exactly what it proposed as written before the
seventh round (kept here, `propose_before`): the same pieces of work, in the same order, with
the same tie-breaks, on random work (several assessors on a learner's unit, pieces sharing a
key, work already in the plan, the IQA's own work, every rule of stages and shares) and on the
work read from a varied centre's rows (`work_in_period` and `work_to_plan`)."""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import pytest

from iqa.models import Stage
from iqa.planning import Work, _tagged, needed, propose, tags
from iqa.work import work_in_period, work_to_plan
from tests.iqa.test_plan_read import METHODS, varied
from tests.iqa.test_services import PERIOD_ENDS, PERIOD_STARTS

# The planner as it was before (`iqa/planning.py` at 0f90b77), word for word but for names. --


def propose_before(
    work: Iterable[Work],
    *,
    percent: Mapping[int, int],
    iqa: int,
    stages: Sequence[str] = (),
    already: Iterable[Work] = (),
) -> list[Work]:
    eligible = sorted(
        {w for w in work if iqa not in w.deciders}, key=lambda w: (*w.key, w.assessor)
    )
    before = {w.key: w for w in already}
    chosen = dict(before)
    covered: set[tuple[object, ...]] = set()
    for w in chosen.values():
        covered |= tags(w, stages)
    _cover_before(eligible, stages, chosen, covered)
    _meet_shares_before(eligible, percent, chosen)
    return [w for w in chosen.values() if w.key not in before]


def _cover_before(eligible, stages, chosen, covered) -> None:
    tagged = [tags(w, stages) for w in eligible]
    uncovered = set().union(*tagged) - covered
    heap = [(-len(t - covered), n) for n, t in enumerate(tagged) if eligible[n].key not in chosen]
    heapq.heapify(heap)
    while uncovered:
        _, n = heapq.heappop(heap)
        gain = len(tagged[n] & uncovered)
        if heap and (-gain, n) > heap[0]:
            heapq.heappush(heap, (-gain, n))
            continue
        chosen[eligible[n].key] = eligible[n]
        uncovered -= tagged[n]


def _meet_shares_before(eligible, percent, chosen) -> None:
    by_assessor: dict[int, list[Work]] = {}
    for w in eligible:
        by_assessor.setdefault(w.assessor, []).append(w)
    have = Counter(w.assessor for w in chosen.values())
    times = Counter(w.learner for w in chosen.values())
    for assessor in sorted(by_assessor):
        theirs = by_assessor[assessor]
        target = needed(len(theirs), percent.get(assessor, 100))
        for w in sorted(theirs, key=lambda w: (times[w.learner], w.key)):
            if have[assessor] >= target:
                break
            if w.key not in chosen:
                chosen[w.key] = w
                have[assessor] += 1
                times[w.learner] += 1


# --------------------------------------------------------------------------------------------

IQA = 99
STAGE_RULES = [(), ("interim",), ("summative",), ("interim", "summative")]


def fresh(work: Iterable[Work]) -> list[Work]:
    """The same pieces, made again: nothing worked out (`key`) kept from an earlier planning."""
    return [
        Work(w.registration, w.learner, w.unit, w.assessor, w.methods, w.stage, w.deciders)
        for w in work
    ]


def as_given(work: list[Work]) -> list[tuple[object, ...]]:
    """Every field, so that two pieces sharing a key (another learner, other methods) differ."""
    return [
        (w.registration, w.learner, w.unit, w.assessor, sorted(w.methods), w.stage,
         sorted(w.deciders))
        for w in work
    ]  # fmt: skip


def both_propose(work: list[Work], **rules) -> list[Work]:
    """What the planner proposes now, after holding it to what it proposed before."""
    already = rules.pop("already", ())
    before = propose_before(fresh(work), already=fresh(already), **rules)
    now = propose(fresh(work), already=fresh(already), **rules)
    assert as_given(now) == as_given(before)
    return now


def random_work(rng: random.Random) -> list[Work]:
    """A random period: learners with one or more registrations, units judged by one or several
    assessors at either stage, the IQA among who decided some of it, and now and then two
    pieces with the same key (registration, unit, stage) but another learner or methods."""
    assessors = rng.sample(range(1, 30), rng.randint(1, 6))
    work = []
    for registration in range(100, 100 + rng.randint(1, 40)):
        learner = 1000 + registration % rng.randint(3, 30)
        for unit in rng.sample(range(500, 520), rng.randint(1, 5)):
            stage = rng.choice([Stage.INTERIM, Stage.SUMMATIVE])
            for assessor in rng.sample(assessors, rng.randint(1, len(assessors))):
                methods = frozenset(rng.sample(METHODS, rng.randint(0, 3)))
                deciders = {assessor, *rng.sample([IQA, *assessors], rng.randint(0, 2))}
                work.append(
                    Work(registration, learner, unit, assessor, methods, stage,
                         frozenset(deciders))
                )  # fmt: skip
                if rng.random() < 0.05:  # the same key, another learner and methods
                    work.append(
                        Work(registration, learner + 1, unit, assessor,
                             frozenset(rng.sample(METHODS, 2)), stage, frozenset({assessor}))
                    )  # fmt: skip
    rng.shuffle(work)
    return work


@pytest.mark.parametrize("seed", range(40))
def test_the_planner_proposes_what_it_proposed_before_on_random_work(seed):
    rng = random.Random(seed)
    work = random_work(rng)
    assessors = sorted({w.assessor for w in work})
    percent = {a: rng.choice([100, 50, 25, 10, 5]) for a in assessors if rng.random() < 0.8}
    for stages in STAGE_RULES:
        proposed = both_propose(work, percent=percent, iqa=IQA, stages=stages)
        # The plan again with part of it in the plan already: the rest proposed as before.
        # (Of work whose keys are its own: a piece in the plan stands for its key's work.)
        unique = list({(w.registration, w.unit, w.stage): w for w in work}.values())
        proposed = both_propose(unique, percent=percent, iqa=IQA, stages=stages)
        already = rng.sample(proposed, len(proposed) // 3)
        both_propose(unique, percent=percent, iqa=IQA, stages=stages, already=already)
    assert both_propose([], percent={}, iqa=IQA) == []


def test_what_each_piece_covers_is_what_tags_says():
    work = random_work(random.Random(3))
    for stages in STAGE_RULES:
        assert _tagged(work, stages) == [tags(w, stages) for w in work]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_planner_proposes_what_it_proposed_before_from_a_centres_rows(
    registration, centre, sfj, iqa, assessor, seed
):
    """The work read from the rows of a varied centre (four assessors and the IQA deciding and
    countersigning, units signed off, provisional and unlocked, closed registrations)."""
    varied(registration, iqa, assessor, seed)
    period = (centre, sfj, PERIOD_STARTS, PERIOD_ENDS)
    rng = random.Random(seed)
    for work in (work_in_period(*period), work_to_plan(*period, iqa.pk)):
        assessors = sorted({w.assessor for w in work})
        for stages in STAGE_RULES:
            for percent in ({}, {a: rng.choice([100, 50, 25, 10]) for a in assessors}):
                proposed = both_propose(work, percent=percent, iqa=iqa.pk, stages=stages)
                assert proposed
