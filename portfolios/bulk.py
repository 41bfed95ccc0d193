"""Bulk registration from a CSV file: every row checked before anything is saved.

Columns (a header row is required; the order does not matter):
learner_email, learner_name, qualification, assessor_email, iqa_email, ao_registration_number,
start_date, planned_end_date, optional_units (unit codes separated by semicolons), funding
(funded or non-funded), and the learner's identity as awarding organisations register it:
legal_first_names, legal_last_name, date_of_birth, sex (M or F), postcode, uln. A cell left
empty changes nothing recorded; one given is checked as the forms check it
(docs/learner-identity.md).

A learner who is already someone at this centre (in any role) is registered at once. Any other
address is invited to join the centre as a learner (portal.services), carrying the row's
registration, which is made when they accept. The file is read the same way whether or not such
an address has an account at another centre, and nothing about that account is shown: the
preview and the result read alike either way (decision 13). The assessor and IQA columns name
the centre's own staff only.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from portal.audit import lock_chain
from portal.models import Centre, Invitation, Role, RoleKind, User, normalise_email
from portal.refusals import Refused
from portal.services import Invitee, Outbox, invitation_create
from portfolios.models import Funding, Registration
from portfolios.services import (
    LearnerIdentity,
    RegistrationDetails,
    RegistrationRejected,
    identity_problems,
    identity_record,
    lifecycle_problems,
    people_problems,
    policy_problems,
    registration_create,
    require_centre_admin,
    unit_plan,
)
from qualifications.models import Qualification

IDENTITY_COLUMNS = (
    "legal_first_names",
    "legal_last_name",
    "date_of_birth",
    "sex",
    "postcode",
    "uln",
)
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
    "funding",
    *IDENTITY_COLUMNS,
)
REQUIRED = ("learner_email", "qualification", "start_date")
MAX_ROWS = 2000
NOT_CSV = "The file is not a CSV file in UTF-8: save it from your spreadsheet as CSV UTF-8."
UNREADABLE = (
    "Line {line} of the file cannot be read as CSV: {problem}. Check it in your spreadsheet and "
    "save the file as CSV UTF-8 again."
)
MISSING_COLUMNS = "The header row lacks the column(s): {columns}."
TOO_MANY_ROWS = f"The file has more than {MAX_ROWS} rows: split it into smaller files."
EMPTY_FILE = "The file has a header row but no learners."
NAME_NEEDED = (
    "learner_name is needed for a learner who is not at this centre yet: they are invited to "
    "join it under that name."
)
TOO_MANY_CELLS = (
    "This row has more cells than the header row has columns: put a value that contains a "
    "comma in double quotes, or remove the extra cells."
)
NOT_STAFF = "{column}: {value!r} is not {role} at {centre}."
NO_LONGER = "{title} is no longer in the catalogue."
SEX_WORDS = {"m": "M", "male": "M", "f": "F", "female": "F"}
SEX_CELL = "sex {value!r} is not M or F (as the awarding organisations' templates take it)."
FUNDING_WORDS = {
    "funded": Funding.FUNDED,
    "non-funded": Funding.NON_FUNDED,
    "non funded": Funding.NON_FUNDED,
    "non_funded": Funding.NON_FUNDED,
    "not funded": Funding.NON_FUNDED,
}
FUNDING_CELL = "funding {value!r} is not funded or non-funded."
DETAIL_LABELS = {
    "legal_first_names": "The legal first name(s)",
    "legal_last_name": "The legal last name",
    "date_of_birth": "The date of birth",
    "sex": "The sex",
    "postcode": "The postcode",
    "uln": "The ULN",
}
OTHER_DETAILS = "The same learner as row {row} with another {column}."
SAME_ULN = "The same ULN as row {row}, for another learner."
DETAIL_DIFFERS = (
    "{label} given by the centre differs from the one the learner's record holds: the record's "
    "is kept. Check it, and correct it on the learner's details page if need be."
)


@dataclass
class Row:
    number: int  # the line in the file, counting the header as line 1
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    details: RegistrationDetails | None = None
    optional_units: list[str] = field(default_factory=list)
    # Someone at this centre already, registered at once; None: the address is invited.
    member: User | None = None

    @property
    def unit_count(self) -> int:
        return len(self.optional_units)

    @property
    def invited(self) -> bool:
        return self.member is None

    @property
    def email(self) -> str:
        return normalise_email(self.values.get("learner_email", ""))


@dataclass
class Preview:
    rows: list[Row]
    errors: list[str] = field(default_factory=list)  # problems with the file as a whole

    @property
    def valid(self) -> bool:
        return not self.errors and all(not r.errors for r in self.rows)

    @property
    def registered_now(self) -> int:
        """Learners at the centre already, registered when the file is confirmed."""
        return len({row.email for row in self.rows if not row.invited})

    @property
    def invited_learners(self) -> int:
        """Addresses invited to join (one invitation each, however many rows)."""
        return len({row.email for row in self.rows if row.invited})


@dataclass
class BulkResult:
    registered: list[Registration]
    invited: list[Invitation]


def read_csv(raw: bytes, centre: Centre) -> Preview:
    """Parse and check every row; nothing is written."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Preview([], [NOT_CSV])
    if "\x00" in text:  # no spreadsheet writes NUL into a CSV file, and PostgreSQL refuses it
        return Preview([], [NOT_CSV])
    # newline="": lines may end in CR LF, LF or a bare CR (Excel's "CSV (Macintosh)"), and a
    # line break inside a quoted cell stays in the cell.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return read_rows(reader, centre)
    except csv.Error as error:
        # line_num counts the lines read whole: the trouble is on the next.
        return Preview([], [unreadable(reader.line_num + 1, error)])


def read_rows(reader: csv.DictReader[str], centre: Centre) -> Preview:
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return Preview([], [MISSING_COLUMNS.format(columns=", ".join(missing))])
    rows = []
    for index, record in enumerate(reader, start=2):
        if index - 1 > MAX_ROWS:
            return Preview([], [TOO_MANY_ROWS])
        # Cells beyond the header's columns come as a list under the key None.
        extra = [cell for cell in record.pop(None, []) if cell.strip()]
        values = {
            (key or "").strip().lower(): (value or "").strip() for key, value in record.items()
        }
        if any(values.values()) or extra:
            row = check_row(Row(index, values), centre)
            row.errors += [TOO_MANY_CELLS] if extra else []
            rows.append(row)
    preview = Preview(rows, [] if rows else [EMPTY_FILE])
    mark_duplicates(preview)
    return preview


def unreadable(line: int, error: csv.Error) -> str:
    """What the csv module could not read, said for the person whose file it is."""
    problem = str(error)
    if "field larger than field limit" in problem:
        problem = f"a cell is longer than {csv.field_size_limit():,} characters"
    return UNREADABLE.format(line=line, problem=problem)


def check_row(row: Row, centre: Centre) -> Row:
    values = row.values
    row.errors += [f"{name} is empty." for name in REQUIRED if not values.get(name)]
    email = row.email
    try:
        validate_email(email)
    except ValidationError:
        row.errors.append(
            f"learner_email {values.get('learner_email')!r} is not an e-mail address."
        )
    # Only this centre's people are looked up: anyone else is invited, whoever they are.
    row.member = User.objects.filter(email=email, roles__centre=centre).distinct().first()
    if row.invited and not values.get("learner_name"):
        row.errors.append(NAME_NEEDED)
    qualification = qualification_named(values.get("qualification", ""))
    if values.get("qualification") and qualification is None:
        row.errors.append(
            f"No qualification has the code or number {values['qualification']!r}: use the "
            "code or the qualification number the catalogue shows."
        )
    assessor = staff(row, "assessor_email", RoleKind.ASSESSOR, centre)
    iqa = staff(row, "iqa_email", RoleKind.IQA, centre)
    start, end = date(row, "start_date"), date(row, "planned_end_date")
    row.optional_units = [
        c.strip() for c in values.get("optional_units", "").split(";") if c.strip()
    ]
    given, funding = identity_cells(row), funding_cell(row)
    if row.errors or qualification is None or start is None:
        # What else can be checked now is, so that one upload shows every problem of the row.
        row.errors += identity_problems(given, learner=row.member, email=email)
        return row
    row.details = RegistrationDetails(
        learner=row.member or User(email=email, full_name=values["learner_name"]),
        qualification=qualification,
        start_date=start,
        assessor=assessor,
        iqa=iqa,
        ao_registration_number=values.get("ao_registration_number", ""),
        planned_end_date=end,
        funding=funding,
        identity=given,
    )
    row.errors += registration_problems(centre, row.details, row.optional_units)
    return row


def registration_problems(
    centre: Centre, details: RegistrationDetails, optional_units: list[str]
) -> list[str]:
    """What would refuse a registration asked for now (a CSV row, or the API's invitation),
    checked before anyone is invited; `registration_create` checks again when it is made."""
    qualification = details.qualification
    # Saving gives the learner the learner role at the centre, so they need not hold it yet.
    return (
        lifecycle_problems(qualification)
        + policy_problems(details)
        + people_problems(centre, details, learner_role_given=True)
        + unit_plan(qualification, optional_units)[1]
    )


def qualification_named(value: str) -> Qualification | None:
    """The qualification a cell names, by the catalogue's code or by its qualification number
    (Ofqual's, e.g. 600/1135/X), which is what centres usually have to hand."""
    if not value:
        return None
    return Qualification.objects.filter(Q(code=value) | Q(number=value)).order_by("pk").first()


def identity_cells(row: Row) -> LearnerIdentity:
    """The learner's identity as the row gives it (blank cells: not given), or what of it can
    be read; a date or sex that cannot be read is the row's error."""
    values = row.values
    sex = values.get("sex", "")
    if sex and sex.lower() not in SEX_WORDS:
        row.errors.append(SEX_CELL.format(value=sex))
    return LearnerIdentity(
        legal_first_names=values.get("legal_first_names", ""),
        legal_last_name=values.get("legal_last_name", ""),
        date_of_birth=date(row, "date_of_birth"),
        sex=SEX_WORDS.get(sex.lower(), ""),
        postcode=values.get("postcode", ""),
        uln=values.get("uln", ""),
    ).cleaned()


def funding_cell(row: Row) -> str:
    value = row.values.get("funding", "")
    if value and value.lower() not in FUNDING_WORDS:
        row.errors.append(FUNDING_CELL.format(value=value))
    return FUNDING_WORDS.get(value.lower(), "")


def staff(row: Row, column: str, kind: RoleKind, centre: Centre) -> User | None:
    """The centre's assessor or IQA with this address. Anyone else, with an account elsewhere
    or none, gets the same message, which says nothing of accounts elsewhere."""
    value = row.values.get(column, "")
    if not value:
        return None
    found = User.objects.filter(
        email=normalise_email(value), roles__centre=centre, roles__kind=kind, is_active=True
    ).first()
    if found is None:
        role = "an assessor" if kind == RoleKind.ASSESSOR else "an IQA"
        row.errors.append(NOT_STAFF.format(column=column, value=value, role=role, centre=centre))
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
    names: dict[str, tuple[str, int]] = {}
    details: dict[tuple[str, str], tuple[str, int]] = {}
    ulns: dict[str, tuple[str, int]] = {}
    for row in preview.rows:
        for column in IDENTITY_COLUMNS:
            if not (value := row.values.get(column, "")):
                continue
            first_value, first_row = details.setdefault((row.email, column), (value, row.number))
            if value != first_value:
                row.errors.append(OTHER_DETAILS.format(row=first_row, column=column))
        uln = "".join(row.values.get("uln", "").split())
        if uln:
            holder, first_row = ulns.setdefault(uln, (row.email, row.number))
            if holder != row.email:
                row.errors.append(SAME_ULN.format(row=first_row))
        key = (row.email, row.values.get("qualification", ""))
        if key in seen:
            row.errors.append(f"The same learner and qualification as row {seen[key]}.")
        seen.setdefault(key, row.number)
        name = row.values.get("learner_name", "")
        if row.invited and name:
            first_name, first_row = names.setdefault(row.email, (name, row.number))
            if name != first_name:
                row.errors.append(f"The same learner as row {first_row} with another name.")
        number = row.values.get("ao_registration_number", "")
        if (
            number
            and Registration.objects.filter(
                qualification__code=key[1], ao_registration_number=number
            ).exists()
        ):
            row.errors.append(f"AO registration number {number} is already used.")


@transaction.atomic
def registration_bulk_create(
    *, centre: Centre, raw: bytes, actor: User, link_for: Callable[[str], str]
) -> BulkResult:
    """Register every row of the file, or none: the file is checked again inside the
    transaction, and any problem rolls everything back.

    Rows for this centre's people are registered now. Every other address gets one invitation
    to join as a learner (`link_for(token)` builds its link), carrying its rows' registrations;
    the invitations are e-mailed together once everything is saved."""
    require_centre_admin(actor, centre)
    # The centre's chain before any row (the house order), which also makes two confirmations
    # of the same file take turns: the second reads what the first saved.
    lock_chain(centre.pk)
    preview = read_csv(raw, centre)
    if not preview.valid:
        raise RegistrationRejected(preview.errors or ["Some rows have errors: check the preview."])
    registered = []
    asked: dict[str, list[Row]] = {}
    for row in preview.rows:
        assert row.details is not None
        if row.member is None:
            asked.setdefault(row.email, []).append(row)
            continue
        Role.objects.get_or_create(user=row.member, centre=centre, kind=RoleKind.LEARNER)
        registered.append(
            registration_create(
                centre=centre, details=row.details, optional_units=row.optional_units, actor=actor
            )
        )
    outbox = Outbox()
    invited = [
        invitation_create(
            centre=centre,
            invitee=Invitee(email, rows[0].values["learner_name"], RoleKind.LEARNER),
            actor=actor,
            link_for=link_for,
            registrations=[registration_asked(row) for row in rows],
            outbox=outbox,
        )
        for email, rows in asked.items()
    ]
    return BulkResult(registered, invited)


def registration_asked(row: Row) -> dict[str, Any]:
    """A row's registration as the invitation keeps it until the learner accepts."""
    assert row.details is not None
    return {"row": row.number, **asked_of(row.details, row.optional_units)}


def asked_of(details: RegistrationDetails, optional_units: list[str]) -> dict[str, Any]:
    """A registration as an invitation keeps it until the learner accepts (a CSV file's row,
    or the API's invitation): made by `registrations_on_acceptance`, checked again then."""
    end = details.planned_end_date
    return {
        "qualification": details.qualification.code,
        "qualification_title": details.qualification.title,
        "assessor": details.assessor.pk if details.assessor else None,
        "iqa": details.iqa.pk if details.iqa else None,
        "ao_registration_number": details.ao_registration_number,
        "start_date": details.start_date.isoformat(),
        "planned_end_date": end.isoformat() if end else None,
        "optional_units": optional_units,
        "funding": details.funding,
        # Only what the row gave; filled in where the person's record is blank on acceptance.
        "learner_details": {
            name: value.isoformat() if isinstance(value, datetime.date) else value
            for name, value in (details.identity or LearnerIdentity()).facts().items()
            if value
        },
    }


def registrations_on_acceptance(*, invitation: Invitation, person: User) -> list[Registration]:
    """Make the registrations an accepted invitation carries, as its centre admin asked, each
    checked again now (the assessor may have left, the number been used meanwhile). One that
    is refused does not stop the others or the acceptance: its reasons are kept on the
    invitation, where the centre admin sees them. Each made one is audited as usual, with the
    admin who asked for it as its actor."""
    made = []
    outcomes = []
    for asked in invitation.registrations:
        if "registration" in asked or "problems" in asked:
            outcomes.append(asked)
            continue
        if not_recorded := details_on_acceptance(asked, invitation, person):
            asked = {**asked, "details_not_recorded": not_recorded}
        try:
            with transaction.atomic():
                registration = registration_create(
                    centre=invitation.centre,
                    details=details_asked(asked, person),
                    optional_units=asked["optional_units"],
                    actor=invitation.invited_by,
                )
        except Refused as refused:
            outcomes.append({**asked, "problems": refused.messages})
        except PermissionDenied as denied:  # the admin who asked is an admin there no longer
            outcomes.append({**asked, "problems": [str(denied)]})
        else:
            made.append(registration)
            outcomes.append({**asked, "registration": registration.pk})
    invitation.registrations = outcomes
    invitation.save(update_fields=["registrations"])
    return made


def details_asked(asked: dict[str, Any], person: User) -> RegistrationDetails:
    """The registration a row asked for, with the person who accepted as its learner."""
    qualification = Qualification.objects.filter(code=asked["qualification"]).first()
    if qualification is None:
        raise RegistrationRejected(NO_LONGER.format(title=asked["qualification_title"]))
    end = asked["planned_end_date"]
    return RegistrationDetails(
        learner=person,
        qualification=qualification,
        start_date=datetime.date.fromisoformat(asked["start_date"]),
        assessor=staff_asked(asked["assessor"]),
        iqa=staff_asked(asked["iqa"]),
        ao_registration_number=asked["ao_registration_number"],
        planned_end_date=datetime.date.fromisoformat(end) if end else None,
        funding=asked.get("funding", ""),  # invitations sent before funding was asked lack it
    )


def details_on_acceptance(asked: dict[str, Any], invitation: Invitation, person: User) -> list[str]:
    """Record the learner's details a row gave where the person's record has none. The record
    is the person's, and may come from another centre the inviting one knows nothing of: what
    it holds is kept, and a detail that differs or cannot be recorded (a ULN another learner
    has meanwhile) is said, for the centre admin to check. Returns what was not recorded."""
    given = asked.get("learner_details") or {}
    if not given:
        return []
    recorded = LearnerIdentity.of(person).facts()
    fill: dict[str, Any] = {}
    said = []
    for name, value in given.items():
        value = datetime.date.fromisoformat(value) if name == "date_of_birth" else value
        if not recorded[name]:
            fill[name] = value
        elif recorded[name] != value:
            said.append(DETAIL_DIFFERS.format(label=DETAIL_LABELS[name]))
    identity = LearnerIdentity(**{**recorded, **fill})
    problems = identity_problems(identity, learner=person)
    if problems:
        return said + problems
    lock_chain(invitation.centre_id)
    identity_record(
        learner=person, given=identity, centre=invitation.centre, actor=invitation.invited_by
    )
    return said


def staff_asked(pk: int | None) -> User | None:
    # Whether they still hold the role at the centre is checked by registration_create.
    return User.objects.filter(pk=pk).first() if pk else None
