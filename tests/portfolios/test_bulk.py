import pytest
from django.core.exceptions import PermissionDenied

from portal.audit import audit_verify
from portal.models import Role, RoleKind, User
from portfolios.bulk import EMPTY_FILE, MISSING_COLUMNS, NOT_CSV, read_csv, registration_bulk_create
from portfolios.models import Registration
from portfolios.services import ALREADY_REGISTERED, RegistrationRejected
from tests.audit import AuditWatch

HEADER = "learner_email,learner_name,qualification,assessor_email,iqa_email,ao_registration_number,start_date,planned_end_date,optional_units\n"
GOOD = HEADER + (
    "learner@example.org,,SFJ-L2-CS,assessor@example.org,iqa@example.org,A1,2026-09-01,2027-07-31,SFJ-CS2-07;K/503/0421;T/506/2126\n"
    "new.person@example.org,New Person,SFJ-L2-CS,,,A2,01/09/2026,,SFJ-CS2-07;K/503/0421;T/506/2126\n"
)


@pytest.fixture
def people(learner, assessor, iqa, centre_admin, sfj):
    return learner


def test_a_good_file_previews_every_row_as_ready(centre, people):
    preview = read_csv(GOOD.encode(), centre)
    assert preview.valid
    assert [(r.number, r.new_learner) for r in preview.rows] == [(2, False), (3, True)]


def test_a_good_file_registers_everyone_and_creates_unknown_learners(centre, centre_admin, people):
    created = registration_bulk_create(centre=centre, raw=GOOD.encode(), actor=centre_admin)
    assert len(created) == 2
    newcomer = User.objects.get(email="new.person@example.org")
    assert not newcomer.has_usable_password()
    assert Role.objects.filter(user=newcomer, centre=centre, kind=RoleKind.LEARNER).exists()


def test_every_wrong_row_is_reported_and_nothing_is_saved(centre, centre_admin, people):
    bad = GOOD + (
        "not-an-email,,SFJ-L2-CS,,,,2026-09-01,,SFJ-CS2-07;K/503/0421;T/506/2126\n"
        "x@example.org,X,NOPE,,,,2026-13-01,,\n"
        "learner@example.org,,SFJ-L2-CS,nobody@example.org,,,2026-09-01,,SFJ-CS2-07\n"
        "learner@example.org,,SFJ-L2-CS,,,,2026-09-01,,SFJ-CS2-07;K/503/0421;T/506/2126\n"
    )
    preview = read_csv(bad.encode(), centre)
    errors = {row.number: row.errors for row in preview.rows}
    assert errors[2] == [] and errors[3] == []
    assert errors[4] == [
        "learner_email 'not-an-email' is not an e-mail address.",
        "learner_name is needed for a learner the portal does not know yet.",
    ]
    assert errors[5] == [
        "No qualification has the code 'NOPE'.",
        "start_date '2026-13-01' is not a date: write 2026-09-01 or 01/09/2026.",
    ]
    assert (
        "assessor_email: nobody in the portal has the e-mail address 'nobody@example.org'."
        in errors[6]
    )
    assert errors[7] == ["The same learner and qualification as row 2."]
    with pytest.raises(RegistrationRejected):
        registration_bulk_create(centre=centre, raw=bad.encode(), actor=centre_admin)
    assert Registration.objects.count() == 0
    assert not User.objects.filter(email="new.person@example.org").exists()


def test_a_row_whose_units_cannot_meet_the_rules_says_so(centre, people):
    file = HEADER + "learner@example.org,,SFJ-L2-CS,,,,2026-09-01,,SFJ-CS2-07\n"
    [row] = read_csv(file.encode(), centre).rows
    assert "Optional units: 5 of at least 13 credits (8 more credits needed)" in row.errors


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe\x00bad", NOT_CSV),
        (
            b"name,email\nA,a@example.org\n",
            MISSING_COLUMNS.format(columns="learner_email, qualification, start_date"),
        ),
        (HEADER.encode(), EMPTY_FILE),
    ],
)
def test_a_file_that_is_not_a_registration_list_is_refused_whole(centre, people, raw, message):
    assert read_csv(raw, centre).errors == [message]


def test_a_good_file_writes_one_registration_entry_per_row_to_the_audit_log(
    centre, centre_admin, people
):
    audit = AuditWatch()
    created = registration_bulk_create(centre=centre, raw=GOOD.encode(), actor=centre_admin)
    entries = list(audit.entries())
    assert [e.action for e in entries] == ["registration.created", "registration.created"]
    assert [e.subject for e in entries] == [f"registration:{r.pk}" for r in created]
    assert {e.actor for e in entries} == {centre_admin}
    newcomer = User.objects.get(email="new.person@example.org")
    assert [(e.after or {})["learner"] for e in entries] == [people.pk, newcomer.pk]
    assert [(e.after or {})["ao_registration_number"] for e in entries] == ["A1", "A2"]
    assert audit_verify()[1] is None


def test_a_refused_file_writes_nothing_to_the_audit_log(
    centre, centre_admin, assessor, outsider, people
):
    duplicate = (
        GOOD + "learner@example.org,,SFJ-L2-CS,,,,2026-09-01,,SFJ-CS2-07;K/503/0421;T/506/2126\n"
    )
    # Both rows pass the preview, and the second is refused only once the first is saved: the
    # first row's registration and its audit entry are rolled back with it.
    number_twice = GOOD.replace(",A2,", ",A1,")
    assert read_csv(number_twice.encode(), centre).valid
    audit = AuditWatch()
    for bad in (duplicate, number_twice):
        with pytest.raises(RegistrationRejected):
            registration_bulk_create(centre=centre, raw=bad.encode(), actor=centre_admin)
    for actor in (assessor, outsider):
        with pytest.raises(PermissionDenied):
            registration_bulk_create(centre=centre, raw=GOOD.encode(), actor=actor)
    assert not audit.entries().exists() and Registration.objects.count() == 0
    registration_bulk_create(centre=centre, raw=GOOD.encode(), actor=centre_admin)
    assert audit.actions() == ["registration.created", "registration.created"]


def test_a_row_for_a_learner_already_registered_on_the_qualification_says_so(
    centre, centre_admin, people, sfj
):
    registration_bulk_create(centre=centre, raw=GOOD.encode(), actor=centre_admin)
    again = (
        HEADER + "learner@example.org,,SFJ-L2-CS,,,,2026-09-01,,SFJ-CS2-07;K/503/0421;T/506/2126\n"
    )
    preview = read_csv(again.encode(), centre)
    [row] = preview.rows
    assert row.errors == [ALREADY_REGISTERED.format(learner=people.full_name, title=sfj.title)]
    assert not preview.valid
    with pytest.raises(RegistrationRejected):
        registration_bulk_create(centre=centre, raw=again.encode(), actor=centre_admin)
    assert Registration.objects.filter(learner=people).count() == 1
