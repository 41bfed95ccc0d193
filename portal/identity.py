"""A learner's identity as awarding organisations register it: checks and normal forms.

Plain functions over plain values, used by the forms, the CSV import and the services alike,
so every way in says the same thing in the same words (docs/learner-identity.md). Each check
returns "" when the value is acceptable, or the sentence that says what is wrong with it.
"""

from __future__ import annotations

import datetime
import re
from unicodedata import normalize

from django.db import models

# Pearson's bulk registration template takes legal first names of up to 20 characters and a
# legal last name of up to 30; the portal keeps to the tightest limit it knows of, so a name it
# holds fits every AO's file.
FIRST_NAMES_MAX = 20
LAST_NAME_MAX = 30
NAME_TOO_LONG = (
    "{label} can be at most {limit} characters (the awarding organisations' registration "
    "templates take no more): this one has {length}. Give the name as the learner's identity "
    "document shows it, shortened as the awarding organisation's guidance says."
)

# The Learning Records Service's Unique Learner Number: 10 digits, the first not zero, the last
# a check digit. HESA's published rule: the digits weighted 10, 9, ... 1 sum to a remainder of
# 10 when divided by 11 (its example 9276308686 is valid). Any one digit changed is caught,
# since no weight times a difference of 1 to 9 is a multiple of 11.
ULN_SHAPE = (
    "A ULN (Unique Learner Number) is 10 digits, the first not 0: {value!r} is not. It is on "
    "the learner's Personal Learning Record."
)
ULN_CHECK_DIGIT = (
    "ULN {value} fails its check digit: a ULN's digits, weighted 10, 9, ... 1, add up to a "
    "remainder of 10 when divided by 11, and these add up to {total} (remainder {remainder}). "
    "A digit is probably mistyped: check it against the learner's Personal Learning Record."
)

# UK postcodes, checked loosely: an outward code (area letters, a district digit and perhaps a
# letter or digit) and an inward code (a digit and two letters). Which districts exist is the
# Royal Mail's to say; a typing slip in the shape is what this catches.
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
POSTCODE_SHAPE = (
    "{value!r} is not a UK postcode: write it like SW1A 1AA or M1 1AE (outward code, a space, "
    "a digit and two letters)."
)

# Dates of birth: no awarding organisation's rule, only what cannot be a learner's (age limits
# of particular qualifications are the AO's claim policy, not a fact about the person).
YOUNGEST = 10
OLDEST = 100
BORN_IN_FUTURE = "The date of birth {value:%d/%m/%Y} is in the future."
TOO_YOUNG = (
    "The date of birth {value:%d/%m/%Y} makes the learner {age}: check it (the portal takes "
    f"learners of {YOUNGEST} and over)."
)
TOO_OLD = (
    "The date of birth {value:%d/%m/%Y} makes the learner {age}: check it (a year typed "
    f"wrong? the portal takes learners under {OLDEST + 1})."
)


# Unicode's bidirectional controls: embeddings and overrides (U+202A-U+202E), isolates
# (U+2066-U+2069) and the left-to-right and right-to-left marks (U+200E, U+200F). In a name they
# reverse the words drawn after it ("Ann\u202e" turned "is registered" into "deretsiger si")
# on every page, e-mail and certificate that shows it; no one's name needs them.
BIDI_CONTROLS = dict.fromkeys(
    [0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)], None
)


def clean_name(value: str) -> str:
    """A person's name as the portal keeps it: without bidirectional controls, composed (NFC:
    "Á" typed as A and a combining accent is one character, as an AO's template counts it),
    on one line with single spaces."""
    return " ".join(normalize("NFC", value.translate(BIDI_CONTROLS)).split())


class Sex(models.TextChoices):
    """As the AOs' registration templates take it (Pearson's and City & Guilds' take M or F)."""

    FEMALE = "F", "Female"
    MALE = "M", "Male"


def name_problem(value: str, *, label: str, limit: int) -> str:
    if len(value) > limit:
        return NAME_TOO_LONG.format(label=label, limit=limit, length=len(value))
    return ""


def first_names_problem(value: str) -> str:
    return name_problem(value, label="Legal first name(s)", limit=FIRST_NAMES_MAX)


def last_name_problem(value: str) -> str:
    return name_problem(value, label="Legal last name", limit=LAST_NAME_MAX)


def normalise_uln(value: str) -> str:
    """Spaces are dropped (the number is often written in groups); nothing else is changed."""
    return "".join(value.split())


def uln_weighted_sum(digits: str) -> int:
    return sum(int(digit) * weight for digit, weight in zip(digits, range(10, 0, -1), strict=True))


def uln_problem(value: str) -> str:
    """What is wrong with a ULN (already normalised), or "" for a valid one."""
    if len(value) != 10 or not value.isascii() or not value.isdigit() or value[0] == "0":
        return ULN_SHAPE.format(value=value)
    total = uln_weighted_sum(value)
    if total % 11 != 10:
        return ULN_CHECK_DIGIT.format(value=value, total=total, remainder=total % 11)
    return ""


def normalise_postcode(value: str) -> str:
    """Upper case, one space before the inward code: "sw1a1aa" becomes "SW1A 1AA". A value
    that does not look like a postcode comes back in upper case, spaces squeezed."""
    squeezed = " ".join(value.upper().split())
    match = POSTCODE.match(squeezed)
    return f"{match[1]} {match[2]}" if match else squeezed


def postcode_problem(value: str) -> str:
    """What is wrong with a postcode (already normalised), or ""."""
    return "" if POSTCODE.match(value) else POSTCODE_SHAPE.format(value=value)


def age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def date_of_birth_problem(value: datetime.date, *, today: datetime.date) -> str:
    if value > today:
        return BORN_IN_FUTURE.format(value=value)
    age = age_on(value, today)
    if age < YOUNGEST:
        return TOO_YOUNG.format(value=value, age=age)
    if age > OLDEST:
        return TOO_OLD.format(value=value, age=age)
    return ""
