"""The plan generator on random centres: coverage, shares, and never the IQA's own work.

Pure Python, but in the integration suite for its time: hypothesis builds a hundred centres per
property, several seconds of CPU that the fast suite (under a minute) cannot spare."""

from hypothesis import given, settings
from hypothesis import strategies as st

from iqa.planning import Work, needed, propose, tags

METHODS = ["observation", "product", "questioning", "witness_testimony", "professional_discussion"]
STAGES = ["interim", "summative"]
IQA = 99


@st.composite
def centres(draw):
    assessors = draw(st.integers(1, 6))
    units = draw(st.integers(1, 8))
    learners = draw(st.integers(1, 12))
    work = {}
    for _ in range(draw(st.integers(1, 60))):
        learner = draw(st.integers(1, learners))
        unit = draw(st.integers(1, units))
        stage = draw(st.sampled_from(STAGES))
        assessor = draw(st.integers(1, assessors))
        # Sometimes the IQA countersigned (or decided) the work: it must never be proposed.
        deciders = {assessor} | ({IQA} if draw(st.integers(0, 9)) == 0 else set())
        methods = frozenset(draw(st.lists(st.sampled_from(METHODS), min_size=1, max_size=3)))
        w = Work(learner, learner, unit, assessor, methods, stage, frozenset(deciders))
        work[w.key] = w
    percent = {a: draw(st.sampled_from([100, 50, 25, 10])) for a in range(1, assessors + 1)}
    stages = draw(st.sampled_from([(), ("interim",), ("interim", "summative")]))
    return list(work.values()), percent, stages


@given(centres())
def test_a_plan_covers_every_assessor_unit_method_and_learner_and_meets_each_share(centre):
    work, percent, stages = centre
    plan = propose(work, percent=percent, iqa=IQA, stages=stages)
    eligible = [w for w in work if IQA not in w.deciders]
    assert all(IQA not in w.deciders for w in plan)
    assert len({w.key for w in plan}) == len(plan)
    covered = set().union(set(), *(tags(w, stages) for w in plan))
    for w in eligible:
        assert tags(w, stages) <= covered
    for assessor, share in percent.items():
        theirs = [w for w in eligible if w.assessor == assessor]
        sampled = [w for w in plan if w.assessor == assessor]
        assert len(sampled) >= needed(len(theirs), share)


@given(centres())
def test_work_already_in_the_plan_counts_and_is_not_proposed_again(centre):
    work, percent, stages = centre
    first = propose(work, percent=percent, iqa=IQA, stages=stages)
    assert propose(work, percent=percent, iqa=IQA, stages=stages, already=first) == []


def plainly(work, *, percent, iqa, stages=(), already=()):
    """The generator as first written, in its plainest form (every gain worked out again at
    every step): the fast one must choose exactly the same work, in the same order."""
    eligible = sorted({w for w in work if iqa not in w.deciders}, key=lambda w: w.key)
    chosen = {w.key: w for w in already}
    covered = set().union(set(), *(tags(w, stages) for w in chosen.values()))
    wanted = set().union(set(), *(tags(w, stages) for w in eligible))
    while wanted - covered:
        best = max(
            (w for w in eligible if w.key not in chosen),
            key=lambda w: len(tags(w, stages) - covered),
        )
        chosen[best.key] = best
        covered |= tags(best, stages)
    for assessor in sorted({w.assessor for w in eligible}):
        theirs = [w for w in eligible if w.assessor == assessor]
        target = needed(len(theirs), percent.get(assessor, 100))
        have = sum(1 for w in chosen.values() if w.assessor == assessor)
        times = {
            w.learner: sum(1 for c in chosen.values() if c.learner == w.learner) for w in theirs
        }
        for w in sorted(theirs, key=lambda w: (times[w.learner], w.key)):
            if have >= target:
                break
            if w.key not in chosen:
                chosen[w.key] = w
                have += 1
    return [w for w in chosen.values() if w.key not in {a.key for a in already}]


@settings(max_examples=60)  # the fast suite's time: the other properties run the full count
@given(centres(), st.integers(0, 5))
def test_the_plan_is_the_one_the_plain_greedy_choice_makes(centre, every):
    work, percent, stages = centre
    already = work[::every] if every else []
    kwargs = {"percent": percent, "iqa": IQA, "stages": stages, "already": already}
    assert propose(work, **kwargs) == plainly(work, **kwargs)


def test_an_assessor_at_ten_percent_with_twenty_pieces_of_work_gets_two_sampled():
    # One learner and one unit, so coverage alone needs one piece: the share asks for two.
    work = [Work(n, 1, 1, 1, frozenset({"product"}), "interim", frozenset({1})) for n in range(20)]
    assert len(propose(work, percent={1: 10}, iqa=IQA)) == 2
    assert len(propose(work, percent={1: 100}, iqa=IQA)) == 20


def test_the_iqa_is_never_proposed_their_own_decisions_even_when_nothing_else_exists():
    mine = Work(1, 1, 1, IQA, frozenset({"product"}), "interim", frozenset({IQA}))
    countersigned = Work(2, 2, 1, 5, frozenset({"product"}), "interim", frozenset({5, IQA}))
    assert propose([mine, countersigned], percent={}, iqa=IQA) == []
