"""Helpers for tests that need register entries: recorded through the service, as an admin
would record them."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from competence.models import Award, CompetenceEntry, EntryStatus
from competence.services import EntryDetails, entry_record, register_enforce
from portal.models import Centre, User
from qualifications.models import Qualification, Unit

ACHIEVED = datetime.date(2020, 5, 1)


def award(
    centre: Centre,
    person: User,
    admin: User,
    *,
    kind: str = Award.ASSESSING_COMPETENCE,
    qualifications: Sequence[Qualification] = (),
    units: Sequence[Unit] = (),
    achieved_on: datetime.date | None = ACHIEVED,
    expires_on: datetime.date | None = None,
    deadline: datetime.date | None = None,
) -> CompetenceEntry:
    """An award held (or, with a deadline, worked towards) covering the scope given."""
    status = EntryStatus.WORKING_TOWARDS if deadline else EntryStatus.HELD
    return entry_record(
        centre=centre,
        person=person,
        details=EntryDetails(
            award=kind,
            status=status,
            achieved_on=None if deadline else achieved_on,
            expires_on=expires_on,
            deadline=deadline,
            qualifications=list(qualifications),
            units=list(units),
        ),
        actor=admin,
    )


def enforce(centre: Centre, admin: User) -> None:
    register_enforce(centre=centre, on=True, actor=admin)
