"""Properties of the rules engine on random small qualifications, checked against brute force."""

from itertools import combinations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualifications.rules import Group, LevelRule, Rules, Unit, evaluate, shortest_route
from qualifications.rules.route import cost_of

# Examples per property: the profiles are in tests/conftest.py (150, or 3,000 "thorough").
PROPERTY_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def qualifications(draw: st.DrawFn) -> Rules:
    count = draw(st.integers(2, 7))
    codes = [f"U{i}" for i in range(count)]
    units = {
        code: Unit(
            code,
            code,
            level=draw(st.sampled_from([2, 3])),
            credits=draw(st.integers(1, 6)),
            glh=draw(st.one_of(st.none(), st.integers(5, 50))),
        )
        for code in codes
    }
    cuts = sorted(draw(st.sets(st.integers(1, count - 1), max_size=2)))
    parts = [codes[a:b] for a, b in zip([0, *cuts], [*cuts, count], strict=True)]
    groups = tuple(draw(group(f"G{i}", part, units)) for i, part in enumerate(parts))
    total = sum(u.credits or 0 for u in units.values())
    level_rules: tuple[LevelRule, ...] = ()
    if draw(st.booleans()):
        level_rules = (LevelRule(3, max_credits=draw(st.integers(0, total))),)
    barred: tuple[tuple[str, ...], ...] = ()
    if count >= 3 and draw(st.booleans()):
        barred = (
            tuple(draw(st.lists(st.sampled_from(codes), min_size=2, max_size=2, unique=True))),
        )
    return Rules(
        code="R",
        title="Random",
        units=units,
        groups=groups,
        min_credits=draw(st.integers(0, total)),
        min_units=draw(st.one_of(st.none(), st.integers(1, count))),
        level_rules=level_rules,
        barred=barred,
    )


@st.composite
def group(draw: st.DrawFn, code: str, members: list[str], units: dict[str, Unit]) -> Group:
    if draw(st.integers(0, 3)) == 0:
        return Group(code, code, tuple(members), mandatory=True)
    available = sum(units[m].credits or 0 for m in members)
    low = draw(st.one_of(st.none(), st.integers(0, available)))
    high = draw(st.one_of(st.none(), st.integers(low or 0, available + 2)))
    return Group(
        code,
        code,
        tuple(members),
        min_credits=low,
        max_credits=high,
        min_units=draw(st.one_of(st.none(), st.integers(1, len(members)))),
        max_units=draw(st.one_of(st.none(), st.integers(1, len(members)))),
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[Rules, frozenset[str]]:
    rules = draw(qualifications())
    achieved = draw(st.frozensets(st.sampled_from(sorted(rules.units))))
    return rules, achieved


def credit_total(rules: Rules, codes) -> int:
    return sum(rules.units[c].credits or 0 for c in codes)


@PROPERTY_SETTINGS
@given(cases(), st.data())
def test_adding_an_achieved_unit_never_makes_an_eligible_learner_ineligible(case, data):
    rules, achieved = case
    extra = data.draw(st.sampled_from(sorted(rules.units)))
    if evaluate(rules, achieved).eligible:
        assert evaluate(rules, achieved | {extra}).eligible


@PROPERTY_SETTINGS
@given(cases())
def test_counted_credits_never_exceed_achieved_credits(case):
    rules, achieved = case
    verdict = evaluate(rules, achieved)
    assert verdict.counted_credits <= verdict.achieved_credits == credit_total(rules, achieved)


def cheapest_by_brute_force(rules: Rules, achieved: frozenset[str]):
    rest = sorted(set(rules.units) - achieved)
    best = None
    for size in range(len(rest) + 1):
        for added in combinations(rest, size):
            if evaluate(rules, achieved | set(added)).eligible:
                cost = (
                    tuple(map(sum, zip(*(cost_of(rules, c) for c in added), strict=True)))
                    if added
                    else (0, 0, 0, 0)
                )
                if best is None or cost < best:
                    best = cost
    return best


@PROPERTY_SETTINGS
@given(cases())
def test_the_shortest_route_is_eligible_and_nothing_cheaper_is(case):
    rules, achieved = case
    route = shortest_route(rules, achieved)
    expected = cheapest_by_brute_force(rules, achieved)
    if expected is None:
        assert not route.found
        return
    assert route.found, route.reason
    assert evaluate(rules, achieved | set(route.units)).eligible
    cost = (
        tuple(map(sum, zip(*(cost_of(rules, c) for c in route.units), strict=True)))
        if route.units
        else (0, 0, 0, 0)
    )
    assert cost == expected
