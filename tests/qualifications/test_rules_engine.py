"""The rules engine, case by case: each rule type, its boundaries, and its explanations."""

import dataclasses

import pytest

from qualifications.rules import (
    NO_RULES,
    Equivalence,
    Group,
    LevelRule,
    Rules,
    check_choice,
    evaluate,
    shortest_route,
)
from qualifications.rules.engine import COMBINATION_UNMET
from tests.qualifications.rules_helpers import certificate_cvq, diploma_000, diploma_001, units


def messages(verdict) -> dict[str, tuple[bool, str]]:
    return {r.rule: (r.met, r.message) for r in verdict.rules}


# -- seed 000: a mandatory total, an optional minimum and a cap at level 3 -----------------


@pytest.mark.parametrize(
    ("achieved", "eligible", "counted"),
    [
        (["M1", "M2", "O1", "O2", "O3"], True, 37),  # exactly the minimum
        (["M1", "M2", "O1", "O3", "H4"], False, 36),  # one credit short
        (["M1", "O1", "O2", "O3", "H1", "H2"], False, 41),  # a mandatory unit missing
        (["M1", "M2", "H1", "H2", "H3", "H4"], True, 40),  # 25 at level 3: only 20 count
        (["M1", "M2", "H1", "H2", "H3"], True, 40),  # 20 at level 3: all count
    ],
)
def test_seed_000_shape(achieved, eligible, counted):
    verdict = evaluate(diploma_000(), achieved)
    assert (verdict.eligible, verdict.counted_credits) == (eligible, counted)


def test_a_level_cap_that_bites_is_explained_and_does_not_block():
    verdict = evaluate(diploma_000(), ["M1", "M2", "H1", "H2", "H3", "H4"])
    assert messages(verdict)["Credits at level 3 or above: maximum"] == (
        True,
        "Level 3 or above: 25 credits achieved, at most 20 count (5 do not count toward the total)",
    )
    assert verdict.achieved_credits == 45 and verdict.counted_credits == 40


def test_one_credit_short_says_exactly_what_is_missing():
    verdict = evaluate(diploma_000(), ["M1", "M2", "O1", "O3", "H4"])
    assert messages(verdict)["Minimum credits"] == (
        False,
        "Total: 36 of at least 37 credits (1 more credit needed)",
    )


def test_a_missing_mandatory_unit_is_named():
    verdict = evaluate(diploma_000(), ["M1", "O1", "O2", "O3", "H1", "H2"])
    assert messages(verdict)["Mandatory Units"] == (
        False,
        "Mandatory Units: 1 of 2 mandatory units; still needed: M2 Unit M2",
    )


# -- seed 001: four groups, one with a maximum -------------------------------------------


def test_seed_001_group_minimum_short_by_three():
    verdict = evaluate(diploma_001(), ["A1", "A2", "B1", "C1", "C2", "C4", "D1", "D2", "D3"])
    assert messages(verdict)["Group C: minimum credits"] == (
        False,
        "Group C: 13 of at least 16 credits (3 more credits needed)",
    )
    assert not verdict.eligible


def test_seed_001_credits_beyond_a_group_maximum_do_not_count_and_do_not_block():
    achieved = ["A1", "A2", "B1", "C1", "C2", "C3", "C4", "D1", "D2", "D3"]
    verdict = evaluate(diploma_001(), achieved)
    assert verdict.achieved_credits == 49
    assert verdict.counted_credits == 46  # D's 10 credits count as 7
    assert verdict.eligible
    assert messages(verdict)["Group D: maximum credits"] == (
        True,
        "Group D: 10 credits achieved, at most 7 count (3 do not count toward the total)",
    )


def test_seed_001_credits_beyond_a_maximum_cannot_make_up_another_groups_shortfall():
    achieved = ["A1", "A2", "B1", "B2", "C1", "C3", "C4", "D1", "D2", "D3"]
    verdict = evaluate(diploma_001(), achieved)
    assert (verdict.eligible, verdict.counted_credits) == (False, 19 + 6 + 12 + 7)
    assert messages(verdict)["Group C: minimum credits"][0] is False


def test_extra_achieved_units_never_block_an_award():
    everything = list(diploma_001().units)
    assert evaluate(diploma_001(), everything).eligible


# -- seed 002: mandatory plus an optional minimum ------------------------------------------


def certificate_002() -> Rules:
    bank = units(
        ("A1", 5, 2, 27),
        ("A2", 9, 2, 50),
        ("B1", 7, 2, 40),
        ("B2", 3, 2, 16),
        ("B3", 3, 2, 15),
        ("B4", 5, 2, 22),
    )
    return Rules(
        "S",
        "Certificate",
        bank,
        min_credits=27,
        groups=(
            Group("A", "Mandatory units", ("A1", "A2"), mandatory=True),
            Group("B", "Optional units", ("B1", "B2", "B3", "B4"), min_credits=13),
        ),
    )


@pytest.mark.parametrize(
    ("achieved", "eligible"),
    [
        (["A1", "A2", "B1", "B2", "B3"], True),
        (["A1", "A2", "B1", "B2"], False),
        (["A1", "B1", "B2", "B3", "B4"], False),
    ],
)
def test_seed_002_shape(achieved, eligible):
    assert evaluate(certificate_002(), achieved).eligible is eligible


# -- seed 004: counted units, no credits; exemptions -----------------------------------------


def test_cvq_needs_five_mandatory_units_and_one_optional():
    rules = certificate_cvq()
    assert evaluate(rules, ["U1", "U2", "U3", "U4", "U5", "U7"]).eligible
    short = evaluate(rules, ["U1", "U2", "U3", "U4", "U5"])
    assert messages(short)["Optional Units: minimum units"] == (
        False,
        "Optional Units: 0 of at least 1 unit (1 more unit needed)",
    )
    assert messages(short)["Minimum units"] == (
        False,
        "Units: 5 of at least 6 units (1 more unit needed)",
    )
    assert evaluate(rules, ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8"]).eligible


def test_an_exemption_satisfies_a_mandatory_unit_and_earns_no_credit():
    rules = diploma_001()
    achieved = ["A1", "B1", "C1", "C2", "C3", "C4", "C5", "D1", "D2", "D3"]
    verdict = evaluate(rules, achieved, exempt=["A2"])
    assert messages(verdict)["Group A"][0] is True
    assert verdict.exempt_units == ("A2",)
    assert verdict.counted_credits == 10 + 3 + 20 + 7  # A2's 9 credits are not earned
    assert "A2 Unit A2: exempt; satisfies the requirement and earns no credit." in verdict.notes
    assert not verdict.eligible  # 40 of 45


def test_an_exempt_cvq_unit_counts_toward_the_number_of_units():
    verdict = evaluate(certificate_cvq(), ["U1", "U2", "U3", "U4", "U6"], exempt=["U5"])
    assert verdict.eligible


# -- seed 003: no published rules --------------------------------------------------------


def test_a_qualification_without_rules_is_never_eligible_and_says_why():
    rules = dataclasses.replace(diploma_001(), published=False)
    verdict = evaluate(rules, list(rules.units))
    assert not verdict.eligible
    assert [r.message for r in verdict.rules] == [NO_RULES]
    route = shortest_route(rules, [])
    assert (route.found, route.reason) == (False, NO_RULES)


# -- the other rule types ----------------------------------------------------------------


def test_a_unit_outside_the_qualification_is_reported_not_counted():
    verdict = evaluate(diploma_000(), ["M1", "M2", "O1", "O2", "O3", "X9"])
    assert verdict.eligible and verdict.counted_credits == 37
    assert verdict.outside_units == ("X9",)
    assert "X9 is not part of this qualification and does not count." in verdict.notes


def test_of_a_barred_combination_only_one_counts_the_one_best_for_the_learner():
    rules = dataclasses.replace(diploma_000(), barred=(("O1", "H1"),))
    verdict = evaluate(rules, ["M1", "M2", "O1", "H1", "O3"])
    assert verdict.counted_credits == 20 + 7 + 5  # H1 (7) counts rather than O1 (6)
    assert (
        "O1 Unit O1 does not count: at most one of O1, H1 counts, and H1 counts." in verdict.notes
    )
    route = shortest_route(rules, ["M1", "M2"])
    assert not {"O1", "H1"} <= set(route.units)


def test_an_equivalent_unit_satisfies_a_mandatory_unit_without_credit():
    rules = dataclasses.replace(
        diploma_000(), equivalences=(Equivalence("M2", ("OLD-M2",), "the previous version"),)
    )
    verdict = evaluate(rules, ["M1", "OLD-M2", "O1", "O2", "O3", "H1"])
    assert messages(verdict)["Mandatory Units"][0] is True
    assert verdict.outside_units == ()
    assert "M2 Unit M2 is satisfied by equivalent unit OLD-M2; it earns no credit." in verdict.notes
    assert verdict.counted_credits == 10 + 24


def test_a_unit_achieved_through_rpl_counts_and_is_flagged():
    verdict = evaluate(diploma_000(), ["M1", "M2", "O1", "O2", "O3"], rpl=["O2"])
    assert verdict.eligible
    assert verdict.rpl_units == ("O2",)
    assert "O2 Unit O2 was achieved through recognition of prior learning (RPL)." in verdict.notes


def test_a_minimum_of_credits_at_or_above_a_level():
    rules = dataclasses.replace(diploma_000(), level_rules=(LevelRule(3, min_credits=12),))
    assert not evaluate(rules, ["M1", "M2", "O1", "O2", "O3"]).eligible
    verdict = evaluate(rules, ["M1", "M2", "O1", "H1", "H3"])
    assert verdict.eligible
    assert messages(verdict)["Credits at level 3 or above: minimum"] == (
        True,
        "Level 3 or above: 13 of at least 12 credits",
    )


def test_a_minimum_of_guided_learning_hours():
    rules = dataclasses.replace(diploma_000(), min_glh=250)
    verdict = evaluate(rules, ["M1", "M2", "O1", "O2", "O3"])
    assert messages(verdict)["Minimum GLH"] == (
        False,
        "Guided learning hours: 215 of at least 250 hours (35 more hours needed)",
    )


def test_a_group_unit_maximum_counts_the_best_units():
    rules = dataclasses.replace(
        diploma_000(),
        groups=(
            diploma_000().groups[0],
            dataclasses.replace(diploma_000().groups[1], max_units=2, min_credits=12),
        ),
        min_credits=33,
    )
    verdict = evaluate(rules, ["M1", "M2", "O3", "H1", "H2"])
    assert verdict.eligible and verdict.counted_credits == 34
    assert any(n.startswith("O3 Unit O3 does not count: at most 2 units") for n in verdict.notes)


def test_rules_met_one_by_one_but_not_together_are_not_eligible():
    bank = units(("X1", 6, 3, 10), ("Y1", 6, 3, 10))
    rules = Rules(
        "J",
        "Joint",
        bank,
        min_credits=10,
        level_rules=(LevelRule(3, max_credits=10),),
        groups=(
            Group("X", "Group X", ("X1",), min_credits=6),
            Group("Y", "Group Y", ("Y1",), min_credits=6),
        ),
    )
    verdict = evaluate(rules, ["X1", "Y1"])
    assert not verdict.eligible
    assert verdict.unmet[-1].message == COMBINATION_UNMET


# -- the shortest route --------------------------------------------------------------------


def test_the_route_for_seed_001_is_the_cheapest_by_glh():
    route = shortest_route(diploma_001(), ["A1", "A2"])
    assert route.found and route.verdict is not None and route.verdict.eligible
    # B1 (14 h) for B; C: 16 credits as cheaply as possible (C1+C3+C4+C5 is only 15, so
    # C1+C2+C4+C5, 86 h); D: 7 credits from D1 and D2 (18 h). 45 in all.
    assert set(route.units) == {"B1", "C1", "C2", "C4", "C5", "D1", "D2"}
    assert route.glh == 14 + 22 + 33 + 15 + 16 + 10 + 8


def test_the_route_avoids_units_whose_glh_is_not_stated_where_it_can():
    route = shortest_route(diploma_001(), ["A1", "A2"])
    assert "C6" not in route.units and route.unknown_glh == ()


def test_an_eligible_learner_needs_no_route():
    route = shortest_route(diploma_000(), ["M1", "M2", "O1", "O2", "O3"])
    assert route.found and route.units == ()


def test_a_qualification_whose_rules_cannot_be_met_has_no_route_and_says_why():
    rules = dataclasses.replace(diploma_000(), min_credits=90)
    route = shortest_route(rules, [])
    assert not route.found
    # Everything counts 20 mandatory + 17 optional at level 2 + 20 of 25 at level 3 = 57.
    assert "Total: 57 of at least 90 credits (33 more credits needed)" in route.reason


def test_chosen_units_shape_the_route_that_completes_them():
    # With M2 and H4 (5 level-3 credits) chosen, 12 more optional credits are needed: H1 and O3
    # (55 h, 12 credits) beat H1 and H3 (55 h, 13 credits) on credits.
    route = shortest_route(diploma_000(), ["M1"], chosen=["M2", "H4"])
    assert set(route.units) == {"H1", "O3"}
    assert route.verdict is not None and route.verdict.eligible
    # Without H4 chosen, the cheapest optional 17 credits are different.
    assert set(shortest_route(diploma_000(), ["M1", "M2"]).units) != {"H1", "O3"}


def test_the_route_adds_a_barred_unit_that_satisfies_a_held_mandatory_unit_as_its_equivalent():
    # Hypothesis's falsifying example. With U0 chosen, U1 and U2 complete the qualification:
    # only one of U0 and U1 counts, so U1 counts and satisfies U0 as its equivalent. The search
    # used to pass over the equivalence because U0 is held, and then found no route.
    rules = Rules(
        code="R",
        title="Random",
        units=units(("U0", 1, 2, None), ("U1", 1, 2, None), ("U2", 1, 2, None)),
        groups=(Group("G0", "G0", ("U0", "U1", "U2"), mandatory=True),),
        min_credits=0,
        barred=(("U0", "U1"),),
        equivalences=(Equivalence("U0", ("U1",)),),
    )
    assert evaluate(rules, ["U0", "U1", "U2"]).eligible
    route = shortest_route(rules, [], chosen=["U0"])
    assert route.found and set(route.units) == {"U1", "U2"}
    assert route.verdict is not None and route.verdict.eligible


def test_the_route_may_add_an_optional_equivalent_that_outcounts_a_held_barred_unit():
    # U0 (1 credit) is mandatory and held; U1 (5 credits, optional) is barred with it and
    # satisfies it. Only with U1 counting in U0's place are the 5 credits reached.
    rules = Rules(
        code="R",
        title="Random",
        units=units(("U0", 1, 2, 10), ("U1", 5, 2, 10), ("U2", 1, 2, 10)),
        groups=(
            Group("G0", "G0", ("U0",), mandatory=True),
            Group("G1", "G1", ("U1", "U2")),
        ),
        min_credits=5,
        barred=(("U0", "U1"),),
        equivalences=(Equivalence("U0", ("U1",)),),
    )
    route = shortest_route(rules, ["U0"])
    assert route.found and route.units == ("U1",)
    assert route.verdict is not None and route.verdict.eligible


def test_the_route_never_asks_for_an_exempt_unit_even_for_what_it_would_satisfy():
    # Achieving U0 would satisfy U1 as its equivalent, and U0's GLH is known where U1's is not;
    # but the learner is exempt from U0, and a route never asks for an exempt unit.
    bank = units(("U0", 1, 2, 5), ("U1", 1, 2, None), ("U2", 1, 2, None))
    rules = Rules(
        code="R",
        title="Random",
        units=bank,
        groups=(Group("G0", "G0", ("U0", "U1", "U2"), mandatory=True),),
        equivalences=(Equivalence("U1", ("U0",)),),
    )
    route = shortest_route(rules, [], exempt=["U0"])
    assert route.found and route.units == ("U1", "U2")


def test_a_unit_that_an_added_equivalent_satisfies_may_still_be_added_for_its_hours():
    # U1 satisfies both U0 and U2. Adding U1 in place of U0 is cheapest (U0's GLH is unknown),
    # but 11 GLH are needed, so U2 (5 h) must be added too, even though U1 would satisfy it.
    bank = units(
        ("U0", 1, 2, None), ("U1", 1, 2, None), ("U2", 1, 2, 5), ("U3", 1, 2, 5), ("U4", 1, 2, 5)
    )
    rules = Rules(
        code="R",
        title="Random",
        units=bank,
        groups=(Group("G0", "G0", tuple(bank), mandatory=True),),
        min_glh=11,
        equivalences=(Equivalence("U0", ("U1",)), Equivalence("U2", ("U1",))),
    )
    route = shortest_route(rules, [])
    assert route.found and route.units == ("U1", "U2", "U3", "U4")
    assert route.unknown_glh == ("U1",) and route.glh == 15


# -- unit choice at registration ----------------------------------------------------------


def test_a_complete_choice_is_accepted():
    choice = check_choice(diploma_000(), ["M1", "M2", "O1", "O2", "O3"])
    assert choice.complete and choice.acceptable


def test_an_incomplete_choice_says_what_would_complete_it():
    choice = check_choice(diploma_000(), ["M1", "M2", "O1"])
    assert not choice.complete and choice.possible
    lines = choice.explain(diploma_000())
    assert "Optional Units: 6 of at least 17 credits (11 more credits needed)" in lines
    assert lines[-1].startswith("To complete it:")


def test_a_choice_with_a_unit_from_elsewhere_is_refused():
    choice = check_choice(diploma_000(), ["M1", "M2", "O1", "O2", "O3", "Z1"])
    assert not choice.acceptable
    assert choice.explain(diploma_000())[0] == "Z1 is not a unit of Diploma."


# -- a plan judged as chosen, not achieved (issue 19) ---------------------------------------


def test_a_plan_says_its_mandatory_units_are_chosen_not_achieved():
    plan = ["A1", "A2", "B1", "C1", "C2", "C3", "C4", "D1", "D2", "D3"]
    verdict = evaluate(diploma_001(), plan, planned=True)
    assert messages(verdict)["Group A"] == (True, "Group A: all 2 mandatory units chosen")
    assert messages(verdict)["Group D: maximum credits"][1] == (
        "Group D: 10 credits chosen, at most 7 count (3 do not count toward the total)"
    )
    assert not any("achieved" in r.message for r in verdict.rules)
    # The counting is the same as for achieved units: only the words differ.
    achieved = evaluate(diploma_001(), plan)
    assert (verdict.eligible, verdict.counted_credits) == (True, achieved.counted_credits)
    assert messages(achieved)["Group A"] == (True, "Group A: all 2 mandatory units achieved")


def test_a_level_cap_on_a_plan_says_chosen():
    verdict = evaluate(diploma_000(), ["M1", "M2", "H1", "H2", "H3", "H4"], planned=True)
    assert messages(verdict)["Credits at level 3 or above: maximum"][1].startswith(
        "Level 3 or above: 25 credits chosen"
    )


def test_a_choice_of_units_is_explained_as_chosen():
    choice = check_choice(diploma_001(), ["A1", "A2", "B1", "C1", "C2", "C3", "C4"])
    assert messages(choice.verdict)["Group A"][1] == "Group A: all 2 mandatory units chosen"
