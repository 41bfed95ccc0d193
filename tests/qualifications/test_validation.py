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
        (WARNING, "credit 12 differs from TQT 200 / 10 = 20 (Ofqual Condition E8.2)")
    ]


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
