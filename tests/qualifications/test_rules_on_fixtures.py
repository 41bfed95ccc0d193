"""The engine on the five real qualifications, through the adapter and the command line."""

import json

import pytest
from django.core.management import CommandError, call_command

from qualifications.models import Qualification
from qualifications.rules import NO_RULES, evaluate, shortest_route
from qualifications.rules.adapter import rules_for

PROQUAL_A = ["A/506/2130", "F/506/2131", "J/506/2132", "A/506/1964", "L/506/1788"]  # 19 credits
PROQUAL_B = ["D/506/2119"]  # 3
PROQUAL_C = ["H/506/2154", "K/506/2155", "R/506/2134", "Y/506/2135", "A/506/2158"]  # 3+3+3+3+5 = 17
PROQUAL_D = ["L/506/1807", "H/506/1814", "L/506/1869"]  # 2+3+3 = 8, of which 7 count
DPSOD_M = [f"DPSOD-{n:02d}" for n in range(1, 6)]  # 20 credits
CVQ_M = ["U09602", "U12902", "U13002", "U13102", "U00306"]


def rules(code):
    return rules_for(Qualification.objects.get(code=code))


@pytest.mark.parametrize(
    ("code", "achieved", "eligible", "counted"),
    [
        ("601/3576/1", PROQUAL_A + PROQUAL_B + PROQUAL_C + PROQUAL_D, True, 19 + 3 + 17 + 7),
        ("601/3576/1", PROQUAL_A + PROQUAL_B + PROQUAL_C[:-1] + PROQUAL_D, False, 19 + 3 + 12 + 7),
        ("601/3576/1", PROQUAL_A[1:] + PROQUAL_B + PROQUAL_C + PROQUAL_D, False, 14 + 3 + 17 + 7),
        # 20 mandatory + DPSOD-06 (6) + -07 (5) + -08 (3) + -18 (2) + -21 (3) = 39
        (
            "L2-DPSOD",
            [*DPSOD_M, "DPSOD-06", "DPSOD-07", "DPSOD-08", "DPSOD-18", "DPSOD-21"],
            True,
            39,
        ),
        # 16 optional: one short of the group minimum
        ("L2-DPSOD", [*DPSOD_M, "DPSOD-06", "DPSOD-07", "DPSOD-08", "DPSOD-18"], False, 36),
        # Level 3 units 20, 22, 24, 25, 29: 6 + 6 + 5 + 7 + 4 = 28 credits, of which 20 count
        (
            "L2-DPSOD",
            [*DPSOD_M, "DPSOD-20", "DPSOD-22", "DPSOD-24", "DPSOD-25", "DPSOD-29"],
            True,
            40,
        ),
        (
            "SFJ-L2-CS",
            [
                "A/506/2130",
                "F/506/2131",
                "SFJ-CS2-03",
                "L/506/1788",
                "SFJ-CS2-07",
                "K/503/0421",
                "T/506/2126",
            ],
            True,
            14 + 5 + 7 + 3,
        ),
        (
            "SFJ-L2-CS",
            ["A/506/2130", "F/506/2131", "SFJ-CS2-03", "L/506/1788", "SFJ-CS2-07", "K/503/0421"],
            False,
            26,
        ),
        ("CCA010-02", [*CVQ_M, "U13402"], True, 0),
        ("CCA010-02", CVQ_M, False, 0),
        ("CCA010-02", [*CVQ_M[1:], "U13402", "U13502"], False, 0),
    ],
)
def test_verdicts_on_the_real_qualifications(catalogue_db, code, achieved, eligible, counted):
    verdict = evaluate(rules(code), achieved)
    assert (verdict.eligible, verdict.counted_credits) == (eligible, counted), verdict.unmet


def test_the_sfj_principles_unit_is_not_the_proqual_one(catalogue_db):
    achieved = ["A/506/2130", "F/506/2131", "J/506/2132", "L/506/1788"]
    verdict = evaluate(rules("SFJ-L2-CS"), achieved)
    assert verdict.outside_units == ("J/506/2132",)
    assert not next(r for r in verdict.rules if r.rule == "Mandatory units").met


def test_the_city_and_guilds_qualifications_cannot_be_claimed_in_full(catalogue_db):
    verdict = evaluate(rules("3412-03"), ["L/601/0933"])
    assert not verdict.eligible and verdict.rules[0].message == NO_RULES


@pytest.mark.parametrize("code", ["601/3576/1", "L2-DPSOD", "SFJ-L2-CS", "CCA010-02"])
def test_every_published_qualification_has_a_route_from_nothing(catalogue_db, code):
    route = shortest_route(rules(code), [])
    assert route.found and route.verdict is not None and route.verdict.eligible


def test_the_proqual_route_prefers_units_with_stated_glh(catalogue_db):
    route = shortest_route(rules("601/3576/1"), PROQUAL_A)
    # Only the mandatory units lack GLH here, and they are already achieved.
    assert route.unknown_glh == ()
    assert route.credits == 26


def run(capsys, *args):
    call_command("check_eligibility", *args)
    return capsys.readouterr().out


def test_the_command_prints_each_rule_in_words(catalogue_db, capsys):
    out = run(capsys, "--qualification", "601/3576/1", "--units", ",".join(PROQUAL_A + PROQUAL_B))
    assert "Not eligible: 22 credits count" in out
    assert (
        "NOT MET  Group C Optional Units: 0 of at least 16 credits (16 more credits needed)" in out
    )


def test_the_command_gives_json_with_planned_units_and_the_route(catalogue_db, capsys):
    out = run(
        capsys,
        "--qualification",
        "601/3576/1",
        "--units",
        ",".join(PROQUAL_A),
        "--planned",
        ",".join(PROQUAL_B),
        "--route",
        "--json",
    )
    data = json.loads(out)
    assert data["eligible"] is False and data["counted_credits"] == 19
    assert {"rule", "met", "message"} == set(data["rules"][0])
    assert data["with_planned"]["counted_credits"] == 22
    assert data["route"]["found"] is True
    assert not set(data["route"]["units"]) & set(PROQUAL_A + PROQUAL_B)
    full = PROQUAL_A + PROQUAL_B + data["route"]["units"]
    assert evaluate(rules("601/3576/1"), full).eligible


def test_the_command_reports_a_unit_of_another_qualification(catalogue_db, capsys):
    out = run(capsys, "--qualification", "601/3576/1", "--units", "DPSOD-01", "--json")
    assert json.loads(out)["outside_units"] == ["DPSOD-01"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--qualification", "NOPE", "--units", "A/506/2130"],
            "No qualification has the code 'NOPE'.",
        ),
        (
            ["--qualification", "601/3576/1", "--units", "A/506/2130,XX/1"],
            "No unit has the code XX/1.",
        ),
    ],
)
def test_the_command_exits_2_with_one_line_for_unknown_codes(catalogue_db, args, message):
    with pytest.raises(CommandError) as error:
        call_command("check_eligibility", *args)
    assert (str(error.value), error.value.returncode) == (message, 2)
