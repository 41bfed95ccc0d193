"""What an awarding organisation (AO) asks before it accepts a claim, beyond the rules of
combination: a minimum period after registration, its own registration number, an age limit.

Each AO has a claim policy, and a qualification may say otherwise for itself (a blank field is
"as its AO says"; 0 is "none"). Plain functions over the policy in force, so that the claim gate
(`certification.readiness`), the registration paths (form, CSV, invitations) and the pages ask the
same question and get the same sentence back (docs/claim-policy.md, decision 28).

Days are counted as the lifecycle counts them (docs/lifecycle.md): the registration date is the
day the centre registered the learner in the portal, and a claim is made today.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from qualifications.models import Qualification, day

__all__ = [
    "ClaimPolicy",
    "age_on",
    "age_refusal",
    "claim_reasons",
    "number_problem",
    "policy_of",
]

MIN_PERIOD = (
    "Registered on {registered}: {who} accepts a claim from {claimable}, {weeks} after "
    "registration."
)
NUMBER_MISSING = (
    "No AO registration number is recorded: {who} accepts a claim only for learners registered "
    "with it. Record the number on the learner's details page."
)
NUMBER_FORMAT = "AO registration number {number} is not in the format {who} states: {format}."
UNDER_AGE = (
    "Aged {aged} on {day}: {who} approves {title} for learners aged {min_age} or over at "
    "registration."
)
UNDER_AGE_WHEN_REGISTERED = (
    "Aged {aged} when registered on {day}: {who} approves {title} for learners aged {min_age} "
    "or over at registration."
)
NO_BIRTH_DATE = (
    "No date of birth is recorded: {who} approves {title} for learners aged {min_age} or over "
    "at registration, so the learner's age must be checked. Record it on the learner's details "
    "page."
)
SOME_AO = "its awarding organisation"


@dataclass(frozen=True)
class ClaimPolicy:
    """The policy in force for one qualification: its own values over its AO's."""

    who: str  # the AO's name, as the sentences say it
    title: str  # the qualification's
    min_weeks: int | None = None
    number_required: bool = False
    number_pattern: str = ""
    number_format: str = ""
    min_age: int | None = None

    def claimable_from(self, registered_on: datetime.date) -> datetime.date | None:
        """The first day a claim is accepted, by the minimum period alone (None: no period)."""
        if not self.min_weeks:
            return None
        return registered_on + datetime.timedelta(weeks=self.min_weeks)


def policy_of(qualification: Qualification) -> ClaimPolicy:
    """The claim policy in force for the qualification (reads its AO: select it related)."""
    ao = qualification.awarding_organisation
    weeks = qualification.min_weeks_before_claim
    age = qualification.min_age
    required = qualification.registration_number_required
    if ao is not None:
        weeks = ao.min_weeks_before_claim if weeks is None else weeks
        age = ao.min_age if age is None else age
        required = ao.registration_number_required if required is None else required
    return ClaimPolicy(
        who=ao.name if ao else SOME_AO,
        title=qualification.title,
        min_weeks=weeks or None,
        number_required=bool(required),
        number_pattern=ao.registration_number_pattern if ao else "",
        number_format=ao.registration_number_format if ao else "",
        min_age=age or None,
    )


def age_on(born: datetime.date, on: datetime.date) -> int:
    """Whole years of age on a day (born on 29 February: a year older on 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def number_problem(policy: ClaimPolicy, number: str) -> str:
    """Why an AO registration number is not in the AO's stated format ("" if it is, if it is
    blank, or if the AO states none)."""
    if not number or not policy.number_pattern or re.fullmatch(policy.number_pattern, number):
        return ""
    return NUMBER_FORMAT.format(
        number=number, who=policy.who, format=policy.number_format or policy.number_pattern
    )


def age_refusal(policy: ClaimPolicy, born: datetime.date | None, on: datetime.date) -> str:
    """Why a learner born on this day cannot be registered on this day ("" if they can; a date
    of birth not recorded is for the claim to hold back: `claim_reasons`)."""
    if policy.min_age is None or born is None or age_on(born, on) >= policy.min_age:
        return ""
    return UNDER_AGE.format(
        aged=age_on(born, on),
        day=day(on),
        who=policy.who,
        title=policy.title,
        min_age=policy.min_age,
    )


@dataclass(frozen=True)
class Held:
    """What the policy holds back, and the first day on which a reason lapses by time alone
    (the minimum period ending), when what is kept must be worked out again."""

    reasons: list[str]
    recheck_on: datetime.date | None = None


def claim_reasons(
    policy: ClaimPolicy,
    *,
    registered_on: datetime.date,
    born: datetime.date | None,
    number: str,
    today: datetime.date,
) -> Held:
    """Why the policy refuses a claim today, one sentence per condition, in the order a centre
    deals with them: the learner's age at registration, the AO's number, the minimum period."""
    reasons = []
    if policy.min_age is not None:
        if born is None:
            reasons.append(
                NO_BIRTH_DATE.format(who=policy.who, title=policy.title, min_age=policy.min_age)
            )
        elif (aged := age_on(born, registered_on)) < policy.min_age:
            reasons.append(
                UNDER_AGE_WHEN_REGISTERED.format(
                    aged=aged,
                    day=day(registered_on),
                    who=policy.who,
                    title=policy.title,
                    min_age=policy.min_age,
                )
            )
    if policy.number_required and not number:
        reasons.append(NUMBER_MISSING.format(who=policy.who))
    elif problem := number_problem(policy, number):
        reasons.append(problem)
    claimable = policy.claimable_from(registered_on)
    if claimable is None or today >= claimable:
        return Held(reasons)
    weeks = f"{policy.min_weeks} week{'s' if policy.min_weeks != 1 else ''}"
    reasons.append(
        MIN_PERIOD.format(
            registered=day(registered_on), who=policy.who, claimable=day(claimable), weeks=weeks
        )
    )
    return Held(reasons, claimable)
