"""Properties of the rules engine on random small qualifications, checked against brute force.

Pure Python, but in the integration suite for its time (several seconds of CPU that the fast
suite, under a minute, cannot spare).
"""

from itertools import combinations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qualifications.rules import (
    Equivalence,
    Group,
    LevelRule,
    Rules,
    Unit,
    evaluate,
    shortest_route,
)
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
    level_rules = tuple(
        draw(
            st.lists(
                st.builds(
                    LevelRule,
                    level=st.sampled_from([2, 3]),
                    max_credits=st.one_of(st.none(), st.integers(0, total)),
                    min_credits=st.one_of(st.none(), st.integers(0, total)),
                    or_above=st.booleans(),
                ),
                max_size=2,
                unique_by=lambda r: (r.level, r.or_above),
            )
        )
    )
    # Up to two equivalences of one or two satisfiers each, so that one unit may satisfy two.
    equivalences = tuple(
        Equivalence(
            draw(st.sampled_from(codes)),
            tuple(
                draw(
                    st.lists(st.sampled_from(["OLD", *codes]), min_size=1, max_size=2, unique=True)
                )
            ),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
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
        min_glh=draw(st.one_of(st.none(), st.integers(0, 120))),
        level_rules=level_rules,
        barred=barred,
        equivalences=equivalences,
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
    achieved = draw(st.frozensets(st.sampled_from([*sorted(rules.units), "OLD"])))
    return rules, achieved


@st.composite
def full_cases(draw: st.DrawFn) -> tuple[Rules, frozenset[str], frozenset[str], frozenset[str]]:
    """A qualification, achieved units, chosen units and exemptions (some outside it)."""
    rules, achieved = draw(cases())
    units = sorted(rules.units)
    chosen = draw(st.frozensets(st.sampled_from(units), max_size=2))
    exempt = draw(st.frozensets(st.sampled_from([*units, "ELSEWHERE"]), max_size=2))
    return rules, achieved, chosen, exempt


def credit_total(rules: Rules, codes) -> int:
    return sum(rules.units[c].credits or 0 for c in codes if c in rules.units)


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
    used = any("OLD" in e.satisfied_by for e in rules.equivalences)
    assert ("OLD" in verdict.outside_units) == ("OLD" in achieved and not used)


def cheapest_by_brute_force(rules: Rules, achieved, chosen=frozenset(), exempt=frozenset()):
    """The cheapest eligible addition, trying every subset of the units a route may add:
    neither held nor chosen, nor exempted, nor satisfied by an achieved equivalent."""
    base = achieved | chosen
    satisfied = {e.unit for e in rules.equivalences if base & set(e.satisfied_by)}
    rest = sorted(set(rules.units) - base - exempt - satisfied)
    best = None
    for size in range(len(rest) + 1):
        for added in combinations(rest, size):
            if evaluate(rules, base | set(added), exempt=exempt).eligible:
                cost = cost_total(rules, added)
                if best is None or cost < best:
                    best = cost
    return best


def cost_total(rules: Rules, codes) -> tuple[int, ...]:
    return (
        tuple(map(sum, zip(*(cost_of(rules, c) for c in codes), strict=True)))
        if codes
        else (0, 0, 0, 0)
    )


# Found by this property: U0 held, barred with U1 which satisfies it as an equivalent.
BARRED_EQUIVALENT = Rules(
    code="R",
    title="Random",
    units={c: Unit(c, c, level=2, credits=1) for c in ("U0", "U1", "U2")},
    groups=(Group("G0", "G0", ("U0", "U1", "U2"), mandatory=True),),
    min_credits=0,
    barred=(("U0", "U1"),),
    equivalences=(Equivalence("U0", ("U1",)),),
)


@PROPERTY_SETTINGS
@given(full_cases())
@example((BARRED_EQUIVALENT, frozenset(), frozenset({"U0"}), frozenset()))
def test_the_shortest_route_is_eligible_and_nothing_cheaper_is(case):
    rules, achieved, chosen, exempt = case
    route = shortest_route(rules, achieved, chosen=chosen, exempt=exempt)
    expected = cheapest_by_brute_force(rules, achieved, chosen, exempt)
    if expected is None:
        assert not route.found
        return
    assert route.found, route.reason
    assert not set(route.units) & (achieved | chosen | exempt)
    assert evaluate(rules, achieved | chosen | set(route.units), exempt=exempt).eligible
    assert cost_total(rules, route.units) == expected
