"""The real catalogue: the five specifications as the portal holds them.

Expected counts and texts were read from the seed texts in fixtures/seeds/, not from the YAML.
"""

import pytest
from django.core.management import call_command

from qualifications import catalogue_files
from qualifications.loader import catalogue_load
from qualifications.models import (
    Correction,
    Criterion,
    KnowledgeItem,
    LearningOutcome,
    Qualification,
    QualificationStatus,
    RangeItem,
    Unit,
)


def counts(code: str) -> tuple[int, int, int]:
    units = Unit.objects.filter(memberships__qualification__code=code)
    return (
        units.count(),
        LearningOutcome.objects.filter(unit__in=units).count(),
        Criterion.objects.filter(unit__in=units).count(),
    )


def criterion(unit: str, number: str) -> str:
    return Criterion.objects.get(unit__code=unit, number=number).text


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("L2-DPSOD", (29, 92, 499)),
        ("601/3576/1", (39, 109, 535)),
        ("SFJ-L2-CS", (23, 63, 321)),
        ("3412-01", (3, 17, 75)),
        ("3412-02", (3, 17, 75)),
        ("3412-03", (22, 82, 446)),
        ("3412-04", (10, 34, 200)),
        ("3412-05", (0, 0, 0)),
        ("CCA010-02", (9, 28, 145)),
    ],
)
def test_each_qualification_has_its_units_outcomes_and_criteria(catalogue_db, code, expected):
    assert counts(code) == expected


def test_the_unit_bank_holds_each_shared_unit_once(catalogue_db):
    assert Qualification.objects.count() == 9
    assert Unit.objects.count() == 100
    shared = Unit.objects.get(code="A/506/2130")
    assert {m.qualification.code for m in shared.memberships.all()} == {"601/3576/1", "SFJ-L2-CS"}
    # ProQual prints no GLH for its units; the SFJ draft does, for the same unit.
    assert shared.glh == 27


def test_principles_of_customer_service_is_two_units_four_and_three_credits(catalogue_db):
    proqual = Unit.objects.get(code="J/506/2132")
    sfj = Unit.objects.get(code="SFJ-CS2-03")
    assert (proqual.title, proqual.credits) == ("Principles of customer service", 4)
    assert (sfj.title, sfj.credits, sfj.reference) == ("Principles of customer service", 3, "")
    assert proqual.criteria.count() != sfj.criteria.count()
    assert criterion("SFJ-CS2-03", "1.2") == "Define the term “service offer”"


def test_seed_000_has_no_awarding_organisation_and_its_rules(catalogue_db):
    qualification = Qualification.objects.get(code="L2-DPSOD")
    assert qualification.awarding_organisation is None
    assert qualification.min_credits == 37
    mandatory, optional = qualification.groups.all()
    assert (mandatory.mandatory, mandatory.stated_credits) == (True, 20)
    assert optional.min_credits == 17
    cap = qualification.level_rules.get()
    assert (cap.kind, cap.level, cap.credits) == ("cap", 3, 20)


def test_seed_000_exact_texts_and_corrections(catalogue_db):
    assert criterion("DPSOD-01", "1.2") == (
        "Outline the organisational policies and guidelines for:\n"
        "• retention of data\n• protection of data\n• disposal of data"
    )
    # Printed cut off: kept as printed, not completed by guesswork.
    assert criterion("DPSOD-01", "6.3") == (
        "Follow organisational processes for checking the identity of the"
    )
    # The marketing outcome pasted into a data-security unit is left out, and says so.
    assert not LearningOutcome.objects.filter(unit__code="DPSOD-01", number="4").exists()
    assert Correction.objects.filter(where="Unit DPSOD-01, outcome 4").exists()
    # Printed as 2.9 under outcome 3, renumbered under its outcome.
    assert criterion("DPSOD-04", "3.1") == "Treat other team members with courtesy and respect"
    assert Correction.objects.filter(where="Unit DPSOD-04, criterion 3.1").exists()
    assert Unit.objects.get(code="DPSOD-24").credits == 5  # the detail says 6: recorded


def test_seed_001_exact_texts(catalogue_db):
    qualification = Qualification.objects.get(code="601/3576/1")
    assert qualification.title == "ProQual Level 2 Diploma in Customer Service"
    assert (qualification.min_credits, qualification.glh, qualification.tqt) == (45, 245, 450)
    assert [
        (g.code, g.mandatory, g.stated_credits, g.min_credits, g.max_credits)
        for g in qualification.groups.all()
    ] == [
        ("A", True, 19, None, None),
        ("B", False, None, 3, None),
        ("C", False, None, 16, None),
        ("D", False, None, None, 7),
    ]
    assert criterion("A/506/2130", "4.6") == (
        "Adhere to organisational policies and procedures, legal and ethical requirements "
        "when providing customer service"
    )
    # Split from its outcome by a page break in the source.
    assert criterion("J/506/2132", "4.5") == "Describe the uses of a customer complaints process"
    assert Criterion.objects.get(unit__code="J/506/2132", number="4.5").outcome.number == "4"


def test_seed_002_is_a_consultation_draft_with_its_own_slips_recorded(sfj_as_the_file_says):
    qualification = sfj_as_the_file_says
    assert qualification.status == QualificationStatus.CONSULTATION_DRAFT
    assert qualification.status_note == "Consultation draft, December 2018"
    assert qualification.operational_start is None and qualification.certification_end is None
    assert qualification.number == ""
    assert (qualification.min_credits, qualification.glh, qualification.tqt) == (27, 142, 270)
    assert Unit.objects.get(code="SFJ-CS2-07").title == "Deal with customers face to face"
    # The draft prints 3.1 under outcome 1; the portal files it as 1.4.
    assert criterion("T/506/2157", "1.4") != ""
    assert Correction.objects.filter(where="Unit T/506/2157, criterion 3.3").exists()


def test_seed_003_has_five_qualifications_without_rules(catalogue_db):
    city_and_guilds = Qualification.objects.filter(code__startswith="3412-")
    assert city_and_guilds.count() == 5
    assert not city_and_guilds.filter(rules_published=True).exists()
    assert Qualification.objects.get(code="3412-03").number == "600/1135/X"
    assert Unit.objects.get(code="L/601/0933").ao_unit_number == "208"
    # Printed with no number after 2.4: numbered 2.5 and recorded.
    assert criterion("L/601/0933", "2.5") == (
        "allow their customer time to consider their response and give further explanation "
        "when appropriate"
    )
    requirement = Unit.objects.get(code="L/601/0933").evidence_requirements.get(number="5")
    assert requirement.text.splitlines() == [
        "You must provide evidence of creating a positive impression with customers:",
        "a during routine delivery of customer service",
        "b during a busy time in your job",
        "c during a quiet time in your job",
        "d when people, systems or resources have let you down.",
    ]


def test_seed_004_elements_range_knowledge_and_evidence_guide(catalogue_db):
    qualification = Qualification.objects.get(code="CCA010-02")
    assert (qualification.min_credits, qualification.min_units) == (None, 6)
    mandatory, optional = qualification.groups.all()
    assert mandatory.mandatory and mandatory.memberships.count() == 5
    assert (optional.min_units, optional.max_units, optional.memberships.count()) == (1, None, 4)

    unit = Unit.objects.get(code="U09602")
    assert unit.uses_elements and unit.credits is None
    assert criterion("U09602", "1.1") == (
        "Meet your organisation's standards for appearance and behaviour."
    )
    angry = RangeItem.objects.get(unit=unit, element="1", category="A", number="ii")
    assert (angry.heading, angry.text, angry.applies_to) == (
        "Types of customers",
        "appear angry",
        "1,2,3",
    )
    assert KnowledgeItem.objects.get(unit=unit, number="13").text == (
        "How would you recognize when a customer is angry and confused."
    )
    assert unit.simulation_allowed is False
    assert "Simulation is not allowed" in unit.assessment_context
    # The structure table lists three elements; the unit detail has two, and the portal follows it.
    assert LearningOutcome.objects.filter(unit__code="U13202").count() == 2
    assert Correction.objects.filter(where="Unit U13202, outcome 3").exists()
    assert RangeItem.objects.filter(unit__memberships__qualification=qualification).count() == 120
    assert (
        KnowledgeItem.objects.filter(unit__memberships__qualification=qualification).count() == 142
    )


def test_every_text_is_printed_in_its_source_or_named_by_a_correction():
    for path in catalogue_files.catalogue_files():
        data = catalogue_files.read(path)
        assert catalogue_files.unfaithful(data, catalogue_files.source_text(data)) == [], path.name


def test_the_checker_catches_a_criterion_that_is_not_in_the_source():
    path = catalogue_files.catalogue_files()[1]
    data = catalogue_files.read(path)
    data["units"][0]["outcomes"][0]["criteria"][0]["text"] = "Invented by nobody in particular"
    [item] = catalogue_files.unfaithful(data, catalogue_files.source_text(data))
    assert item.where == "Unit A/506/2130, criterion 1.1"


def test_the_fixtures_validate_cleanly(catalogue_db, capsys):
    call_command("validate_qualifications")
    assert "9 qualifications checked: 0 error(s), 0 warning(s)." in capsys.readouterr().out


# Loading the whole real catalogue again takes seconds by its nature (every file parsed and every
# row compared): it runs with the integration suite, on PostgreSQL, as the portal does.
@pytest.mark.integration
def test_loading_the_real_catalogue_twice_changes_nothing(catalogue_db):
    before = list(Criterion.objects.values_list("pk", "unit__code", "number", "text"))
    report = catalogue_load(force=True)
    assert len(report.loaded) == 5
    assert list(Criterion.objects.values_list("pk", "unit__code", "number", "text")) == before


def test_a_urn_printed_with_different_words_is_two_versions(catalogue_db):
    proqual, city_and_guilds = (
        Unit.objects.get(code="F/502/4396"),
        Unit.objects.get(code="F/502/4396-CG"),
    )
    assert proqual.reference == city_and_guilds.reference == "F/502/4396"
    assert (
        proqual.outcomes.get(number="1").text
        == "Input and combine information using bespoke applications"
    )
    assert (
        city_and_guilds.outcomes.get(number="1").text
        == "Be able to input and combine information using bespoke applications"
    )
