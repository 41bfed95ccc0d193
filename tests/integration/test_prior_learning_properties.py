"""Properties of the rules engine as the portal calls it with a registration's RPL and
exemptions (`portfolios.prior_learning`: verdict_with, route_with, plan_verdict_with; decision
50), on the random small qualifications of test_rules_properties.py.

Pure Python, but in the integration suite for its time, as the engine's other properties are.
"""

from hypothesis import given
from hypothesis import strategies as st

from portfolios.prior_learning import PriorStanding, plan_verdict_with, route_with, verdict_with
from qualifications.rules import Rules, evaluate
from tests.integration.test_rules_properties import PROPERTY_SETTINGS, qualifications


@st.composite
def standings(draw: st.DrawFn) -> tuple[Rules, frozenset[str], PriorStanding]:
    """A qualification, units signed off, and RPL and exemptions on other units of it (as the
    services keep them: a unit is met one way at most)."""
    rules = draw(qualifications())
    codes = sorted(rules.units)
    how = {code: draw(st.sampled_from(["none", "signed", "rpl", "exempt"])) for code in codes}
    signed = frozenset(c for c, h in how.items() if h == "signed")
    rpl = frozenset(c for c, h in how.items() if h == "rpl")
    exempt = frozenset(c for c, h in how.items() if h == "exempt")
    return rules, signed, PriorStanding(rpl, exempt)


def credits_of(rules: Rules, codes) -> int:
    return sum(rules.units[c].credits or 0 for c in codes)


@PROPERTY_SETTINGS
@given(standings(), st.data())
def test_adding_an_rpl_unit_never_lowers_credit_nor_takes_eligibility_away(case, data):
    rules, signed, prior = case
    open_units = sorted(rules.units.keys() - signed - prior.rpl - prior.exempt)
    if not open_units:
        return
    code = data.draw(st.sampled_from(open_units))
    before = verdict_with(rules, signed, prior)
    after = verdict_with(rules, signed, PriorStanding(prior.rpl | {code}, prior.exempt))
    assert after.achieved_credits == before.achieved_credits + (rules.units[code].credits or 0)
    assert after.counted_credits >= before.counted_credits
    assert after.eligible or not before.eligible


@PROPERTY_SETTINGS
@given(standings())
def test_an_rpl_unit_counts_as_achieved_and_is_flagged(case):
    rules, signed, prior = case
    with_rpl = verdict_with(rules, signed, prior)
    as_signed = evaluate(rules, signed | prior.rpl, exempt=prior.exempt)
    assert (with_rpl.eligible, with_rpl.counted_credits) == (
        as_signed.eligible,
        as_signed.counted_credits,
    )
    assert set(with_rpl.rpl_units) == prior.rpl & set(with_rpl.counted_units)
    assert not set(with_rpl.rpl_units) & signed


@PROPERTY_SETTINGS
@given(standings())
def test_exempt_units_earn_no_credit(case):
    rules, signed, prior = case
    verdict = verdict_with(rules, signed, prior)
    without = verdict_with(rules, signed, PriorStanding(prior.rpl, frozenset()))
    assert verdict.achieved_credits == credits_of(rules, signed | prior.rpl)
    # Exemptions only satisfy what counts units: they never add a credit.
    assert verdict.counted_credits == without.counted_credits
    assert set(verdict.exempt_units) == prior.exempt
    assert not set(verdict.counted_units) & prior.exempt


@PROPERTY_SETTINGS
@given(standings())
def test_an_exempt_unit_satisfies_its_mandatory_group(case):
    rules, signed, prior = case
    verdict = verdict_with(rules, signed, prior)
    results = {r.rule: r for r in verdict.rules}
    # Counted (a barred combination may leave a held unit out) or exempt.
    held = set(verdict.counted_units) | prior.exempt
    for group in rules.groups:
        if group.mandatory and set(group.units) <= held:
            assert results[group.title].met, results[group.title].message


@PROPERTY_SETTINGS
@given(standings(), st.data())
def test_the_route_never_asks_for_a_unit_met_already_and_reaches_eligibility(case, data):
    rules, signed, prior = case
    chosen = data.draw(st.frozensets(st.sampled_from(sorted(rules.units)), max_size=3))
    route = route_with(rules, signed, chosen, prior)
    if not route.found:
        return
    assert not set(route.units) & (signed | prior.rpl | prior.exempt)
    reached = verdict_with(rules, signed | (chosen - prior.exempt) | set(route.units), prior)
    assert reached.eligible


@PROPERTY_SETTINGS
@given(standings())
def test_a_plan_with_an_exempt_unit_counts_no_credit_for_it(case):
    rules, signed, prior = case
    plan = signed | prior.rpl | prior.exempt
    judged = plan_verdict_with(rules, plan, prior)
    as_if_achieved = verdict_with(rules, signed, prior)
    assert judged.counted_credits == as_if_achieved.counted_credits
    assert judged.eligible == as_if_achieved.eligible
