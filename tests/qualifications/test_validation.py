import pytest
from django.core.management import CommandError, call_command

from qualifications.loader import catalogue_load
from qualifications.models import Qualification
from qualifications.validation import ERROR, WARNING, validate

pytestmark = pytest.mark.django_db


def findings(catalogue, write, code="T/1"):
    catalogue_load([write(catalogue)])
    return [(f.severity, f.message) for f in validate(Qualification.objects.get(code=code))]


def test_a_sound_qualification_has_no_findings(catalogue, write):
    assert findings(catalogue, write) == []


def test_mandatory_units_that_do_not_add_up_to_the_stated_total_are_an_error(catalogue, write):
    catalogue["qualifications"][0]["rules"]["groups"][0]["stated_credits"] = 7
    assert (
        ERROR,
        "group A: its mandatory units total 6 credits, but the specification states 7",
    ) in findings(catalogue, write)


def test_a_group_minimum_its_units_cannot_reach_is_an_error(catalogue, write):
    catalogue["qualifications"][0]["rules"]["groups"][1].update(min_credits=11, max_credits=None)
    assert (ERROR, "group B: needs at least 11 credits, its units offer only 10") in findings(
        catalogue, write
    )


def test_a_qualification_minimum_out_of_reach_once_caps_apply_is_an_error(catalogue, write):
    # Optional credits count up to 8, and the level 3 unit's 4 credits fit under its cap: 6 + 8.
    catalogue["qualifications"][0]["rules"]["min_credits"] = 15
    assert (
        ERROR,
        "cannot be met even with every unit: Total: 14 of at least 15 credits (1 more credit needed)",
    ) in findings(catalogue, write)


def test_a_credit_value_that_differs_from_tqt_over_ten_is_only_a_warning(catalogue, write):
    catalogue["qualifications"][0]["tqt"] = 200
    assert findings(catalogue, write) == [
        (
            WARNING,
            "credit 12 differs from TQT 200 / 10 = 20 to the nearest whole number "
            "(Ofqual Condition E8.2)",
        )
    ]


@pytest.mark.parametrize(
    ("tqt", "credit"),
    # 116, 125 and 129 are where rounding down would differ (11, 12, 12); a half rounds up.
    [(116, 12), (124, 12), (125, 13), (129, 13), (45, 5), (44, 4), (0, 0)],
)
def test_credit_from_tqt_rounds_to_the_nearest_whole_number_a_half_up(tqt, credit):
    assert Qualification(tqt=tqt).credit_from_tqt == credit


def test_a_tqt_that_rounds_to_the_stated_credit_is_no_warning(catalogue, write):
    catalogue["qualifications"][0]["tqt"] = 116  # 11.6 credits: 12 to the nearest, 11 rounded down
    assert findings(catalogue, write) == []


def test_a_tqt_that_rounds_away_from_the_stated_credit_is_a_warning(catalogue, write):
    catalogue["qualifications"][0]["tqt"] = 125  # 12.5 credits: 13, where rounding down gives 12
    assert findings(catalogue, write) == [
        (
            WARNING,
            "credit 12 differs from TQT 125 / 10 = 13 to the nearest whole number "
            "(Ofqual Condition E8.2)",
        )
    ]


def with_assessment(catalogue, **assessment):
    catalogue["units"][0]["assessment"] = assessment
    return catalogue


def test_a_simulation_rule_for_an_element_the_unit_does_not_have_is_an_error(catalogue, write):
    with_assessment(
        catalogue,
        simulation=[
            {"element": None, "allowed": False, "quote": "Simulation is not allowed."},
            {"element": "7", "allowed": True, "quote": "Simulation may be used for element 7."},
        ],
    )
    assert findings(catalogue, write) == [
        (ERROR, "unit U/1: a simulation rule names element 7, which the unit does not have")
    ]


def test_a_sufficiency_rule_without_the_specifications_words_is_an_error(catalogue, write):
    with_assessment(catalogue, sufficiency=[{"measure": "occasions", "minimum": 2, "quote": ""}])
    assert findings(catalogue, write) == [
        (
            ERROR,
            'unit U/1: the rule "At least 2: different occasions" does not quote the '
            "specification's words",
        )
    ]


def test_an_evidence_kind_required_for_a_criterion_the_unit_lacks_is_an_error(catalogue, write):
    rule = {"kind": "performance", "need": "required", "criteria": ["1.1", "6.2"], "quote": "Q."}
    with_assessment(catalogue, evidence_kinds=[rule])
    assert findings(catalogue, write) == [
        (
            ERROR,
            "unit U/1: the rule for performance evidence names criterion 6.2, which the unit "
            "does not have",
        )
    ]


def test_sound_assessment_rules_have_no_findings(catalogue, write):
    with_assessment(
        catalogue,
        simulation=[{"element": "1", "allowed": True, "quote": "Simulation may be used."}],
        evidence_kinds=[{"kind": "knowledge", "need": "required", "quote": "Knowledge must."}],
        methods=[{"method": "questioning", "need": "required", "quote": "Questioning."}],
        sufficiency=[{"measure": "period", "minimum": None, "quote": "A period of time."}],
    )
    assert findings(catalogue, write) == []


def test_a_criterion_filed_under_the_wrong_outcome_is_an_error(catalogue, write):
    catalogue["units"][1]["outcomes"][0]["criteria"][1]["number"] = "2.2"
    assert (ERROR, "unit U/2: criterion 2.2 sits under outcome 1") in findings(catalogue, write)


def test_a_group_with_no_units_is_an_error(catalogue, write):
    catalogue["qualifications"][0]["rules"]["groups"].append({"code": "C", "title": "Empty"})
    assert (ERROR, "group C has no units") in findings(catalogue, write)


def test_the_command_exits_0_when_clean_and_1_listing_errors(catalogue, write, capsys):
    catalogue_load([write(catalogue)])
    call_command("validate_qualifications")
    assert "2 qualifications checked: 0 error(s), 0 warning(s)." in capsys.readouterr().out

    Qualification.objects.filter(code="T/1").update(min_credits=40)
    with pytest.raises(SystemExit) as exit:
        call_command("validate_qualifications")
    assert exit.value.code == 1
    assert (
        "ERROR T/1: cannot be met even with every unit: Total: 14 of at least 40 credits"
        in capsys.readouterr().out
    )


def test_the_command_refuses_an_unknown_code():
    with pytest.raises(CommandError, match="No qualification has the code NOPE"):
        call_command("validate_qualifications", "NOPE")
