"""Bulk registration from a CSV file: every row checked before anything is saved.

Columns (a header row is required; the order does not matter):
learner_email, learner_name, qualification, assessor_email, iqa_email, ao_registration_number,
start_date, planned_end_date, optional_units (unit codes separated by semicolons).
A learner whose e-mail the portal does not know is created, with no password (they set one
through "Forgotten your password?"), and given the learner role at the centre.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from portal.models import Centre, Role, RoleKind, User, normalise_email
from portfolios.models import Registration
from portfolios.services import (
    RegistrationDetails,
    RegistrationRejected,
    people_problems,
    registration_create,
    require_centre_admin,
    unit_plan,
)
from qualifications.models import Qualification

COLUMNS = (
    "learner_email",
    "learner_name",
    "qualification",
    "assessor_email",
    "iqa_email",
    "ao_registration_number",
    "start_date",
    "planned_end_date",
    "optional_units",
)
REQUIRED = ("learner_email", "qualification", "start_date")
MAX_ROWS = 2000
NOT_CSV = "The file is not a CSV file in UTF-8: save it from your spreadsheet as CSV UTF-8."
MISSING_COLUMNS = "The header row lacks the column(s): {columns}."
TOO_MANY_ROWS = f"The file has more than {MAX_ROWS} rows: split it into smaller files."
EMPTY_FILE = "The file has a header row but no learners."


@dataclass
class Row:
    number: int  # the line in the file, counting the header as line 1
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    details: RegistrationDetails | None = None
    optional_units: list[str] = field(default_factory=list)
    new_learner: bool = False

    @property
    def unit_count(self) -> int:
        return len(self.optional_units)


@dataclass
class Preview:
    rows: list[Row]
    errors: list[str] = field(default_factory=list)  # problems with the file as a whole

    @property
    def valid(self) -> bool:
        return not self.errors and all(not r.errors for r in self.rows)


def read_csv(raw: bytes, centre: Centre) -> Preview:
    """Parse and check every row; nothing is written."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Preview([], [NOT_CSV])
    if "\x00" in text:  # no text file holds NUL (a UTF-16 file does: it is not UTF-8)
        return Preview([], [NOT_CSV])
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return Preview([], [MISSING_COLUMNS.format(columns=", ".join(missing))])
    rows = []
    for index, record in enumerate(reader, start=2):
        if index - 1 > MAX_ROWS:
            return Preview([], [TOO_MANY_ROWS])
        values = {
            (key or "").strip().lower(): (value or "").strip() for key, value in record.items()
        }
        if any(values.values()):
            rows.append(check_row(Row(index, values), centre))
    preview = Preview(rows, [] if rows else [EMPTY_FILE])
    mark_duplicates(preview)
    return preview


def check_row(row: Row, centre: Centre) -> Row:
    values = row.values
    row.errors += [f"{name} is empty." for name in REQUIRED if not values.get(name)]
    email = normalise_email(values.get("learner_email", ""))
    try:
        validate_email(email)
    except ValidationError:
        row.errors.append(
            f"learner_email {values.get('learner_email')!r} is not an e-mail address."
        )
    learner = User.objects.filter(email=email).first()
    row.new_learner = learner is None
    if learner is None and not values.get("learner_name"):
        row.errors.append("learner_name is needed for a learner the portal does not know yet.")
    qualification = Qualification.objects.filter(code=values.get("qualification", "")).first()
    if values.get("qualification") and qualification is None:
        row.errors.append(f"No qualification has the code {values['qualification']!r}.")
    assessor = person(row, "assessor_email")
    iqa = person(row, "iqa_email")
    start, end = date(row, "start_date"), date(row, "planned_end_date")
    row.optional_units = [
        c.strip() for c in values.get("optional_units", "").split(";") if c.strip()
    ]
    if row.errors or qualification is None or start is None:
        return row
    row.details = RegistrationDetails(
        learner=learner or User(email=email, full_name=values["learner_name"]),
        qualification=qualification,
        start_date=start,
        assessor=assessor,
        iqa=iqa,
        ao_registration_number=values.get("ao_registration_number", ""),
        planned_end_date=end,
    )
    # Saving gives the learner the learner role at the centre, so they need not hold it yet.
    problems = people_problems(centre, row.details, learner_role_given=True)
    row.errors += problems + unit_plan(qualification, row.optional_units)[1]
    return row


def person(row: Row, column: str) -> User | None:
    value = row.values.get(column, "")
    if not value:
        return None
    found = User.objects.filter(email=normalise_email(value)).first()
    if found is None:
        row.errors.append(f"{column}: nobody in the portal has the e-mail address {value!r}.")
    return found


def date(row: Row, column: str) -> datetime.date | None:
    value = row.values.get(column, "")
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    row.errors.append(f"{column} {value!r} is not a date: write 2026-09-01 or 01/09/2026.")
    return None


def mark_duplicates(preview: Preview) -> None:
    seen: dict[tuple[str, str], int] = {}
    for row in preview.rows:
        key = (
            normalise_email(row.values.get("learner_email", "")),
            row.values.get("qualification", ""),
        )
        if key in seen:
            row.errors.append(f"The same learner and qualification as row {seen[key]}.")
        seen.setdefault(key, row.number)
        number = row.values.get("ao_registration_number", "")
        if (
            number
            and Registration.objects.filter(
                qualification__code=key[1], ao_registration_number=number
            ).exists()
        ):
            row.errors.append(f"AO registration number {number} is already used.")


@transaction.atomic
def registration_bulk_create(*, centre: Centre, raw: bytes, actor: User) -> list[Registration]:
    """Register every row of the file, or none: the file is checked again inside the
    transaction, and any problem rolls everything back."""
    require_centre_admin(actor, centre)
    preview = read_csv(raw, centre)
    if not preview.valid:
        raise RegistrationRejected(preview.errors or ["Some rows have errors: check the preview."])
    created = []
    for row in preview.rows:
        assert row.details is not None
        learner = row.details.learner
        if learner.pk is None:
            learner = User.objects.create_user(learner.email, learner.full_name)
        Role.objects.get_or_create(user=learner, centre=centre, kind=RoleKind.LEARNER)
        details = RegistrationDetails(**{**row.details.__dict__, "learner": learner})
        created.append(
            registration_create(
                centre=centre, details=details, optional_units=row.optional_units, actor=actor
            )
        )
    return created
