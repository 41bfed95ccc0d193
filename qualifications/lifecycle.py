"""Where a qualification stands in its lifecycle, and what that allows on a given day.

Plain functions over a qualification's status and dates, so that every path that registers a
learner or claims a certificate (one by one, from a CSV file, on the claims page) asks the same
question and gets the same sentence back (docs/lifecycle.md). Each date is inclusive: a
qualification whose last registration date is 31 August still takes a registration that day.
A blank date sets no limit: the source did not say, and the portal invents none.
"""

from __future__ import annotations

import datetime

from qualifications.models import Qualification, QualificationStatus, date_problems, day

__all__ = ["claim_refusal", "date_problems", "day", "registration_refusal"]


def closed_status(qualification: Qualification, doing: str) -> str | None:
    """Why a draft or withdrawn qualification takes nothing: `doing` is what was asked."""
    if qualification.status == QualificationStatus.CONSULTATION_DRAFT:
        return (
            f"{qualification.title} is a consultation draft: it can be browsed, but it takes no "
            f"{doing} until its awarding organisation makes it operational."
        )
    if qualification.status == QualificationStatus.WITHDRAWN:
        return f"{qualification.title} has been withdrawn: it takes no {doing}."
    return None


def registration_refusal(qualification: Qualification, on: datetime.date) -> str | None:
    """Why a learner cannot be registered on the qualification on this day, or None if they can."""
    closed = closed_status(qualification, "registrations")
    if closed:
        return closed
    start, last = qualification.operational_start, qualification.last_registration
    if start and on < start:
        return (
            f"{qualification.title} takes registrations from {day(start)}, its operational "
            "start date."
        )
    if last and on > last:
        return (
            f"The last registration date of {qualification.title} was {day(last)}: it takes no "
            "new registrations."
        )
    return None


def claim_refusal(qualification: Qualification, on: datetime.date) -> str | None:
    """Why no certificate can be claimed on the qualification on this day, or None."""
    closed = closed_status(qualification, "claims for certificates")
    if closed:
        return closed
    end = qualification.certification_end
    if end and on > end:
        return (
            f"The certification end date of {qualification.title} was {day(end)}: its "
            "awarding organisation certificates no more learners on it."
        )
    return None
