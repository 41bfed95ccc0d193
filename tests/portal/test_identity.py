"""The checks of a learner's identity: ULN check digits, the AOs' name limits, postcodes and
dates of birth (portal/identity.py)."""

import datetime

import pytest

from portal.identity import (
    FIRST_NAMES_MAX,
    LAST_NAME_MAX,
    date_of_birth_problem,
    first_names_problem,
    last_name_problem,
    normalise_postcode,
    normalise_uln,
    postcode_problem,
    uln_problem,
)

HESA_EXAMPLE = "9276308686"
TODAY = datetime.date(2026, 12, 6)


def with_check_digit(first_nine: str) -> str:
    """The ULN that the rule completes from nine digits (HESA's weights 10 ... 2, then 1)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = (10 - total) % 11
    assert check < 10, "no ULN starts with these nine digits"
    return first_nine + str(check)


def test_hesas_example_uln_is_valid():
    assert uln_problem(HESA_EXAMPLE) == ""


@pytest.mark.parametrize("uln", ["1000000000", "9999999998", with_check_digit("123456789")])
def test_other_ulns_that_meet_the_rule_are_valid(uln):
    assert uln_problem(uln) == ""


def single_digit_changes(uln: str) -> list[str]:
    return [
        uln[:i] + digit + uln[i + 1 :]
        for i in range(len(uln))
        for digit in "0123456789"
        if digit != uln[i]
    ]


def test_every_single_digit_change_of_hesas_example_is_refused():
    changed = single_digit_changes(HESA_EXAMPLE)
    assert len(changed) == 90
    assert [uln for uln in changed if uln_problem(uln) == ""] == []


def test_a_wrong_check_digit_is_refused_naming_the_rule():
    said = uln_problem("9276308687")
    assert "fails its check digit" in said
    assert "weighted 10, 9, ... 1" in said and "remainder of 10 when divided by 11" in said
    assert "297 (remainder 0)" in said


def test_two_swapped_digits_are_refused():
    assert uln_problem("2976308686") != ""


FULL_WIDTH = "\uff19\uff12\uff17\uff16\uff13\uff10\uff18\uff16\uff18\uff16"  # HESA's, full width


@pytest.mark.parametrize(
    "uln", ["927630868", "92763086860", "0276308686", "92763O8686", FULL_WIDTH, ""]
)
def test_a_uln_of_the_wrong_shape_is_refused_as_such(uln):
    assert "is 10 digits, the first not 0" in uln_problem(uln)


def test_a_uln_written_in_groups_is_read_without_its_spaces():
    assert normalise_uln(" 9276 308 686 ") == HESA_EXAMPLE


def test_names_up_to_the_pearson_limits_are_accepted_and_longer_ones_refused_with_the_limit():
    assert first_names_problem("A" * FIRST_NAMES_MAX) == ""
    assert last_name_problem("B" * LAST_NAME_MAX) == ""
    said = first_names_problem("Anna Maria Elisabetta")  # 21 characters
    assert said.startswith("Legal first name(s) can be at most 20 characters")
    assert "this one has 21" in said
    assert "Legal last name can be at most 30 characters" in last_name_problem("C" * 31)


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        (" m1  1ae ", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
    ],
)
def test_uk_postcodes_are_accepted_and_written_the_royal_mails_way(given, normal):
    assert normalise_postcode(given) == normal
    assert postcode_problem(normal) == ""


@pytest.mark.parametrize("given", ["12345", "SW1A", "SW1A 1A", "1SW 1AA", "SW1A-1AA", "ZZ 999"])
def test_what_is_not_a_uk_postcode_is_refused_with_an_example(given):
    said = postcode_problem(normalise_postcode(given))
    assert "is not a UK postcode" in said and "SW1A 1AA" in said


def test_a_date_of_birth_in_the_future_is_refused():
    assert "is in the future" in date_of_birth_problem(datetime.date(2026, 12, 7), today=TODAY)


@pytest.mark.parametrize(
    ("born", "said"),
    [
        (datetime.date(2020, 1, 1), "makes the learner 6"),
        (datetime.date(1901, 1, 1), "makes the learner 125"),
        (datetime.date(2016, 12, 7), "makes the learner 9"),  # ten tomorrow
    ],
)
def test_absurd_dates_of_birth_are_refused_with_the_age_they_make(born, said):
    assert said in date_of_birth_problem(born, today=TODAY)


@pytest.mark.parametrize(
    "born", [datetime.date(2016, 12, 6), datetime.date(1990, 2, 28), datetime.date(1926, 12, 6)]
)
def test_plausible_dates_of_birth_are_accepted(born):
    assert date_of_birth_problem(born, today=TODAY) == ""
