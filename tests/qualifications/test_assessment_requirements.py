"""How the real catalogue's units must be assessed, checked against the seed texts.

Each expectation is read from fixtures/seeds/ (by line, or by searching a unit's section of the
seed), not from the YAML, so a fixture that drifts from its source fails here.
"""

import re

import pytest

from qualifications import catalogue_files
from qualifications.models import (
    AssessmentMethod,
    Correction,
    EvidenceKind,
    EvidenceRequirement,
    Need,
    RequirementKind,
    SufficiencyMeasure,
    Unit,
)

SEED_3 = (catalogue_files.SEEDS_DIR / "003_27535051818583a9.txt").read_text().splitlines()
SEED_4 = (catalogue_files.SEEDS_DIR / "004_35b30a6c14d52dae.txt").read_text().splitlines()
UNIT = re.compile(r"^U\d{5}")
NOT_ALLOWED = re.compile(r"Simulation is not allowed for any performance evidence within this unit")


def line(seed: list[str], number: int) -> str:
    """One line of a seed as the catalogue quotes it: without list dashes and bold marks."""
    return catalogue_files.normalise(seed[number - 1]).removeprefix("- ")


def c_and_g_sections() -> dict[int, str]:
    """Seed 003's text for each C&G unit, from its first heading to the next unit's."""
    starts = [
        (int(m[1]), i)
        for i, text in enumerate(SEED_3)
        if (m := re.match(r"^Unit (2\d\d) ", text)) and i > 100
    ]
    sections: dict[int, str] = {}
    for (number, start), (_, end) in zip(starts, [*starts[1:], (0, len(SEED_3))], strict=True):
        sections[number] = sections.get(number, "") + "\n".join(SEED_3[start:end])
    return sections


def c_and_g_unit(number: int) -> Unit:
    return Unit.objects.get(ao_unit_number=str(number), source__contains="003-")


def test_u00306_allows_simulation_only_for_its_elements_2_to_4(catalogue_db):
    unit = Unit.objects.get(code="U00306")
    # The structure table numbers the unit's elements 5.1 to 5.6 (seed 004, line 13) ...
    assert "5.2 Carry out procedures in the event of a fire" in line(SEED_4, 13)
    assert [o.text for o in unit.outcomes.filter(number="2")] == [
        "Carry out procedures in the event of a fire"
    ]
    # ... and the context of assessment allows simulation for three of them (line 891).
    assert line(SEED_4, 891) == (
        "Simulation may be used to provide performance evidence for Elements 5.2, 5.3 and 5.4."
    )
    assert unit.simulation_allowed is False
    assert {e: unit.simulation_allowed_for(e) for e in "123456"} == {
        "1": False,
        "2": True,
        "3": True,
        "4": True,
        "5": False,
        "6": False,
    }
    assert {r.quote for r in unit.simulation_rules.exclude(element="")} == {line(SEED_4, 891)}
    assert Correction.objects.filter(where="Unit U00306, simulation").exists()


def test_every_other_cvq_unit_that_says_so_forbids_simulation_in_the_whole_unit(catalogue_db):
    for unit in Unit.objects.filter(reference_type="tvetc").exclude(code="U00306"):
        start = next(i for i, text in enumerate(SEED_4) if text.startswith(unit.code) and i > 30)
        end = next(
            (i for i, text in enumerate(SEED_4[start + 1 :], start + 1) if UNIT.match(text)),
            len(SEED_4),
        )
        says = bool(NOT_ALLOWED.search(catalogue_files.normalise("\n".join(SEED_4[start:end]))))
        assert unit.simulation_allowed is (False if says else None), unit.code
        assert not unit.simulation_rules.exclude(element="").exists()


def test_c_and_g_units_forbid_simulation_exactly_where_their_seed_section_does(catalogue_db):
    sections = c_and_g_sections()
    assert len(sections) == 22
    forbidding = {
        n for n, text in sections.items() if NOT_ALLOWED.search(text.replace("Unit.", "unit."))
    }
    assert forbidding == set(range(208, 220))
    for number in sections:
        unit = c_and_g_unit(number)
        assert unit.simulation_allowed is (False if number in forbidding else None), number


def test_units_220_to_222_have_their_five_methods_back_each_allowed(catalogue_db):
    for number, first in ((220, 1172), (221, 1304), (222, 1427)):
        assert line(SEED_3, first) == "Assessment"
        printed = [line(SEED_3, n) for n in range(first + 1, first + 9) if SEED_3[n - 1].strip()]
        assert (
            printed
            == [
                "This unit will be assessed by:",
                "an assignment",
                "portfolio of evidence classroom or work based",
                "professional discussion",
                "expert witness",
                "scenario",
                f"Unit {number} {c_and_g_unit(number).title.split(' (')[0]}",
            ][: len(printed)]
        )
        unit = c_and_g_unit(number)
        assert [(r.method, r.need, r.quote) for r in unit.method_rules.all()] == [
            (AssessmentMethod.ASSIGNMENT, Need.ALLOWED, "an assignment"),
            (AssessmentMethod.PORTFOLIO, Need.ALLOWED, printed[2]),
            (AssessmentMethod.PROFESSIONAL_DISCUSSION, Need.ALLOWED, "professional discussion"),
            (AssessmentMethod.EXPERT_WITNESS, Need.ALLOWED, "expert witness"),
            (AssessmentMethod.SCENARIO, Need.ALLOWED, "scenario"),
        ]
        assert unit.assessment_statement.splitlines()[0] == printed[0]


def test_unit_223_names_no_method_and_says_why(catalogue_db):
    unit = c_and_g_unit(223)
    assert not unit.method_rules.exists()
    assert unit.assessment_statement == line(SEED_3, 1623)
    assert Correction.objects.filter(where=f"Unit {unit.code}, methods").exists()


def test_the_sufficient_period_different_customers_and_occasions_are_rules(catalogue_db):
    # Seed 003, unit 208's evidence requirement 3 (line 187); seed 004, unit 1 (line 140).
    for unit, quoted in (
        (c_and_g_unit(208), line(SEED_3, 187)),
        (Unit.objects.get(code="U09602"), line(SEED_4, 140)),
    ):
        assert "a sufficient period of time with different customers on different occasions" in (
            quoted
        )
        assert [(r.measure, r.minimum, r.quote) for r in unit.sufficiency_rules.all()] == [
            (SufficiencyMeasure.PERIOD, None, quoted),
            (SufficiencyMeasure.CUSTOMERS, 2, quoted),
            (SufficiencyMeasure.OCCASIONS, 2, quoted),
        ]


def test_c_and_g_evidence_requirements_say_what_is_to_be_met(catalogue_db):
    requirements = {r.number: r for r in c_and_g_unit(208).evidence_requirements.all()}
    # Seed 003, lines 186 and 188: "You may collect the evidence ...", "Your communication with
    # customers may be ...": what the unit permits, not conditions to tick (decision 52).
    assert [requirements[n].kind for n in "123456"] == [
        RequirementKind.CONDITION,
        RequirementKind.PERMISSION,
        RequirementKind.SUFFICIENCY,
        RequirementKind.PERMISSION,
        RequirementKind.MEET,
        RequirementKind.MEET,
    ]
    # Seed 003, lines 190-193: "- a during routine delivery of customer service" ...
    assert [(i.reference, i.text) for i in requirements["5"].items] == [
        ("5a", line(SEED_3, 190).removeprefix("a ")),
        ("5b", line(SEED_3, 191).removeprefix("b ")),
        ("5c", line(SEED_3, 192).removeprefix("c ")),
        ("5d", line(SEED_3, 193).removeprefix("d ")),
    ]
    assert requirements["5"].items[1].text == "during a busy time in your job"
    assert requirements["1"].items == []


def test_every_requirement_to_meet_in_the_catalogue_has_items(catalogue_db):
    assert not [
        r for r in EvidenceRequirement.objects.filter(kind=RequirementKind.MEET) if not r.items
    ]


def test_u00306_requires_performance_evidence_for_6_2_and_6_3_and_questioning(catalogue_db):
    unit = Unit.objects.get(code="U00306")
    required = unit.evidence_kind_rules.filter(need=Need.REQUIRED)
    assert [(r.kind, r.criterion_numbers) for r in required] == [
        (EvidenceKind.PERFORMANCE, ["6.2", "6.3"]),
        (EvidenceKind.KNOWLEDGE, []),
    ]
    assert required[0].quote == line(SEED_4, 866)
    assert required[1].quote == line(SEED_4, 870)
    questioning = unit.method_rules.get(method=AssessmentMethod.QUESTIONING, need=Need.REQUIRED)
    assert (questioning.evidence_kind, questioning.quote) == (
        EvidenceKind.KNOWLEDGE,
        line(SEED_4, 870),
    )
    assert Correction.objects.filter(where="Unit U00306, evidence kinds").exists()


@pytest.mark.parametrize(
    ("code", "heading_line"),
    [("U09602", 172), ("U09602", 177), ("U09602", 184), ("U13502", 1419)],
)
def test_the_kinds_of_evidence_a_cvq_unit_allows_quote_its_headings(
    catalogue_db, code, heading_line
):
    heading = line(SEED_4, heading_line)
    kind = {
        "Performance": "performance",
        "Supplementary": "supplementary",
        "Knowledge": "knowledge",
    }[heading.split()[0]]
    rule = Unit.objects.get(code=code).evidence_kind_rules.get(kind=kind, criteria="")
    assert (rule.need, rule.quote) == (Need.ALLOWED, heading)


def test_the_checker_catches_a_rule_whose_words_are_not_in_the_seed():
    path = catalogue_files.CATALOGUE_DIR / "004-cvq-customer-service-l2.yaml"
    data = catalogue_files.read(path)
    unit = next(u for u in data["units"] if u["code"] == "U00306")
    unit["assessment"]["simulation"][1]["quote"] = "Simulation may be used for anything."
    [item] = catalogue_files.unfaithful(data, catalogue_files.source_text(data))
    assert item.where == "Unit U00306, simulation 2"
