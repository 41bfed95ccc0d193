import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone

from portal.audit import audit_verify
from portal.models import Invitation, Role, RoleKind, User
from portal.services import (
    JUST_SENT,
    SEND_AGAIN_AFTER,
    InvitationRefused,
    invitation_accept,
    invitation_accept_as_newcomer,
)
from portfolios.bulk import (
    EMPTY_FILE,
    MISSING_COLUMNS,
    NAME_NEEDED,
    NOT_CSV,
    TOO_MANY_CELLS,
    read_csv,
    registration_bulk_create,
)
from portfolios.models import Registration
from portfolios.services import ALREADY_REGISTERED, RegistrationRejected
from qualifications.models import Qualification
from tests.audit import AuditWatch
from tests.factories import RoleFactory
from tests.portfolios.conftest import PROQUAL_OPTIONAL

HEADER = "learner_email,learner_name,qualification,assessor_email,iqa_email,ao_registration_number,start_date,planned_end_date,optional_units\n"
GOOD = HEADER + (
    "learner@example.org,,SFJ-L2-CS,assessor@example.org,iqa@example.org,A1,2026-09-01,2027-07-31,SFJ-CS2-07;K/503/0421;T/506/2126\n"
    "new.person@example.org,New Person,SFJ-L2-CS,assessor@example.org,,A2,01/09/2026,,SFJ-CS2-07;K/503/0421;T/506/2126\n"
)
UNITS = "SFJ-CS2-07;K/503/0421;T/506/2126"


def links(token: str) -> str:
    return f"https://portal.test/accounts/invitation/{token}/"


def token_in(message) -> str:
    return message.body.split("/accounts/invitation/")[1].split("/")[0]


@pytest.fixture
def people(learner, assessor, iqa, centre_admin, sfj):
    return learner


def upload(centre, actor, raw: str, capture):
    with capture(execute=True):
        return registration_bulk_create(
            centre=centre, raw=raw.encode(), actor=actor, link_for=links
        )


def test_a_good_file_previews_its_centres_learner_as_registered_now_and_a_new_address_as_invited(
    centre, people
):
    preview = read_csv(GOOD.encode(), centre)
    assert preview.valid
    assert [(r.number, r.member, r.invited) for r in preview.rows] == [
        (2, people, False),
        (3, None, True),
    ]
    assert (preview.registered_now, preview.invited_learners) == (1, 1)


def test_a_good_file_registers_the_centres_learner_and_invites_the_new_address_without_making_an_account(
    centre, centre_admin, people, django_capture_on_commit_callbacks
):
    result = upload(centre, centre_admin, GOOD, django_capture_on_commit_callbacks)
    assert [r.learner for r in result.registered] == [people]
    [invitation] = result.invited
    assert (invitation.email, invitation.full_name, invitation.kind) == (
        "new.person@example.org",
        "New Person",
        RoleKind.LEARNER,
    )
    assert [r["ao_registration_number"] for r in invitation.registrations] == ["A2"]
    assert not User.objects.filter(email="new.person@example.org").exists()
    [sent] = mail.outbox
    assert sent.to == ["new.person@example.org"] and "Riverside Skills Academy" in sent.subject


def test_the_invited_newcomer_is_registered_as_the_row_asked_when_they_set_their_password(
    centre, centre_admin, assessor, people, django_capture_on_commit_callbacks
):
    upload(centre, centre_admin, GOOD, django_capture_on_commit_callbacks)
    audit = AuditWatch()
    person = invitation_accept_as_newcomer(
        token=token_in(mail.outbox[0]), password="a-long-new-password"
    )
    registration = Registration.objects.get(learner=person)
    assert (registration.ao_registration_number, registration.assessor, registration.centre) == (
        "A2",
        assessor,
        centre,
    )
    assert registration.planned_units.filter(unit__code="SFJ-CS2-07").exists()
    assert audit.actions() == ["invitation.accepted", "registration.created"]
    assert list(audit.entries())[1].actor == centre_admin  # the admin asked for it
    invitation = Invitation.objects.get()
    assert invitation.registrations[0]["registration"] == registration.pk
    assert audit_verify()[1] is None


def test_every_wrong_row_is_reported_and_nothing_is_saved(
    centre, centre_admin, people, django_capture_on_commit_callbacks
):
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
        NAME_NEEDED,
    ]
    assert errors[5] == [
        "No qualification has the code or number 'NOPE': use the code or the qualification "
        "number the catalogue shows.",
        "start_date '2026-13-01' is not a date: write 2026-09-01 or 01/09/2026.",
    ]
    assert (
        "assessor_email: 'nobody@example.org' is not an assessor at Riverside Skills Academy."
        in errors[6]
    )
    assert errors[7] == ["The same learner and qualification as row 2."]
    with pytest.raises(RegistrationRejected):
        upload(centre, centre_admin, bad, django_capture_on_commit_callbacks)
    assert Registration.objects.count() == 0 and Invitation.objects.count() == 0
    assert mail.outbox == []


def test_a_row_whose_units_cannot_meet_the_rules_says_so(centre, people):
    file = HEADER + "learner@example.org,,SFJ-L2-CS,,,,2026-09-01,,SFJ-CS2-07\n"
    [row] = read_csv(file.encode(), centre).rows
    assert "Optional units: 5 of at least 13 credits (8 more credits needed)" in row.errors


def test_a_row_with_more_cells_than_columns_says_so_and_empty_extra_cells_are_ignored(
    centre, people
):
    file = HEADER + (
        f"jo@example.org,Smith, Jo,SFJ-L2-CS,,,,2026-09-01,,{UNITS}\n"
        f"new.person@example.org,New Person,SFJ-L2-CS,,,,2026-09-01,,{UNITS},,\n"
    )
    unquoted, trailing = read_csv(file.encode(), centre).rows
    assert TOO_MANY_CELLS in unquoted.errors
    assert trailing.errors == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe\x00bad", NOT_CSV),
        (HEADER.encode() + b"a@example.org,A\x00B,SFJ-L2-CS,,,,2026-09-01,,\n", NOT_CSV),
        (
            b"name,email\nA,a@example.org\n",
            MISSING_COLUMNS.format(columns="learner_email, qualification, start_date"),
        ),
        (HEADER.encode(), EMPTY_FILE),
    ],
)
def test_a_file_that_is_not_a_registration_list_is_refused_whole(centre, people, raw, message):
    assert read_csv(raw, centre).errors == [message]


def test_a_good_file_audits_the_registration_made_now_and_the_invitation(
    centre, centre_admin, people, django_capture_on_commit_callbacks
):
    audit = AuditWatch()
    result = upload(centre, centre_admin, GOOD, django_capture_on_commit_callbacks)
    entries = list(audit.entries())
    assert [e.action for e in entries] == ["registration.created", "invitation.created"]
    assert [e.subject for e in entries] == [
        f"registration:{result.registered[0].pk}",
        f"invitation:{result.invited[0].pk}",
    ]
    assert {e.actor for e in entries} == {centre_admin}
    assert (entries[0].after or {})["learner"] == people.pk
    assert (entries[1].after or {})["email"] == "new.person@example.org"
    assert audit_verify()[1] is None


def test_a_refused_file_writes_nothing_to_the_audit_log_and_sends_nothing(
    centre, centre_admin, assessor, outsider, people, django_capture_on_commit_callbacks
):
    duplicate = GOOD + f"learner@example.org,,SFJ-L2-CS,,,,2026-09-01,,{UNITS}\n"
    # Both rows pass the preview, and the second is refused only once the first is saved: the
    # first row's registration and its audit entry are rolled back with it.
    number_twice = GOOD.replace(",A2,", ",A1,").replace("new.person@example.org", "iqa@example.org")
    assert read_csv(number_twice.encode(), centre).valid
    audit = AuditWatch()
    for bad in (duplicate, number_twice):
        with pytest.raises(RegistrationRejected):
            upload(centre, centre_admin, bad, django_capture_on_commit_callbacks)
    for actor in (assessor, outsider):
        with pytest.raises(PermissionDenied):
            upload(centre, actor, GOOD, django_capture_on_commit_callbacks)
    assert not audit.entries().exists() and Registration.objects.count() == 0
    assert mail.outbox == []
    upload(centre, centre_admin, GOOD, django_capture_on_commit_callbacks)
    assert audit.actions() == ["registration.created", "invitation.created"]


def test_another_centres_staff_named_as_a_learner_is_only_invited_and_nothing_of_theirs_is_used(
    centre, centre_admin, outsider, people, django_capture_on_commit_callbacks
):
    # The outsider is a centre admin elsewhere; this file names them as a learner here.
    file = HEADER + f"outsider@example.org,Someone Else,SFJ-L2-CS,,,,2026-09-01,,{UNITS}\n"
    [row] = read_csv(file.encode(), centre).rows
    assert row.invited and row.details is not None
    assert row.details.learner.pk is None and row.details.learner.full_name == "Someone Else"
    result = upload(centre, centre_admin, file, django_capture_on_commit_callbacks)
    assert result.registered == []
    assert not Role.objects.filter(user=outsider, centre=centre).exists()
    assert not Registration.objects.filter(learner=outsider).exists()
    assert result.invited[0].full_name == "Someone Else"


def test_an_invited_person_with_an_account_elsewhere_is_registered_once_they_log_in_and_accept(
    centre, centre_admin, outsider, people, django_capture_on_commit_callbacks
):
    file = HEADER + f"Outsider@Example.org,Someone Else,SFJ-L2-CS,,,B7,2026-09-01,,{UNITS}\n"
    upload(centre, centre_admin, file, django_capture_on_commit_callbacks)
    invitation_accept(token=token_in(mail.outbox[0]), actor=outsider)
    assert Role.objects.filter(user=outsider, centre=centre, kind=RoleKind.LEARNER).exists()
    registration = Registration.objects.get(learner=outsider)
    assert (registration.centre, registration.ao_registration_number) == (centre, "B7")
    outsider.refresh_from_db()
    assert outsider.full_name != "Someone Else"  # their own name stays theirs


@pytest.mark.parametrize(
    "column",
    ["assessor_email", "iqa_email"],
)
def test_the_staff_columns_name_this_centres_staff_only_and_say_the_same_of_anyone_else(
    centre, people, other_centre, column
):
    elsewhere = RoleFactory.create(
        centre=other_centre,
        kind=RoleKind.ASSESSOR if column == "assessor_email" else RoleKind.IQA,
        user__email="staff.elsewhere@example.org",
    ).user
    role = "an assessor" if column == "assessor_email" else "an IQA"
    for address in (elsewhere.email, "nobody.at.all@example.org", "learner@example.org"):
        values = {"assessor_email": "", "iqa_email": "", column: address}
        file = HEADER + (
            f"learner@example.org,,SFJ-L2-CS,{values['assessor_email']},{values['iqa_email']},"
            f",2026-09-01,,{UNITS}\n"
        )
        [row] = read_csv(file.encode(), centre).rows
        assert row.errors == [f"{column}: {address!r} is not {role} at Riverside Skills Academy."]


def test_two_rows_for_one_new_address_make_one_invitation_with_both_registrations(
    centre, centre_admin, people, django_capture_on_commit_callbacks
):
    proqual = ";".join(PROQUAL_OPTIONAL)
    file = GOOD + f"new.person@example.org,New Person,601/3576/1,,,,2026-09-01,,{proqual}\n"
    result = upload(centre, centre_admin, file, django_capture_on_commit_callbacks)
    [invitation] = result.invited
    assert [r["qualification"] for r in invitation.registrations] == ["SFJ-L2-CS", "601/3576/1"]
    assert len(mail.outbox) == 1


def test_one_new_address_under_two_names_is_refused(centre, people):
    file = GOOD + "new.person@example.org,Other Name,601/3576/1,,,,2026-09-01,,\n"
    errors = read_csv(file.encode(), centre).rows[2].errors
    assert "The same learner as row 3 with another name." in errors


def test_a_registration_refused_at_acceptance_leaves_the_acceptance_and_says_why(
    centre, centre_admin, assessor, people, django_capture_on_commit_callbacks
):
    upload(centre, centre_admin, GOOD, django_capture_on_commit_callbacks)
    Role.objects.filter(user=assessor, centre=centre).delete()  # the assessor left meanwhile
    person = invitation_accept_as_newcomer(
        token=token_in(mail.outbox[0]), password="a-long-new-password"
    )
    assert Role.objects.filter(user=person, centre=centre, kind=RoleKind.LEARNER).exists()
    assert not Registration.objects.filter(learner=person).exists()
    [asked] = Invitation.objects.get().registrations
    assert asked["problems"] == [
        f"{assessor.full_name} is not an assessor at Riverside Skills Academy."
    ]


def test_a_row_for_a_learner_already_registered_on_the_qualification_says_so(
    centre, centre_admin, people, sfj, django_capture_on_commit_callbacks
):
    upload(centre, centre_admin, GOOD, django_capture_on_commit_callbacks)
    again = (
        HEADER + "learner@example.org,,SFJ-L2-CS,,,,2026-09-01,,SFJ-CS2-07;K/503/0421;T/506/2126\n"
    )
    preview = read_csv(again.encode(), centre)
    [row] = preview.rows
    assert row.errors == [ALREADY_REGISTERED.format(learner=people.full_name, title=sfj.title)]
    assert not preview.valid
    with pytest.raises(RegistrationRejected):
        upload(centre, centre_admin, again, django_capture_on_commit_callbacks)
    assert Registration.objects.filter(learner=people).count() == 1


INVITEE_ONLY = HEADER + (
    f"new.person@example.org,New Person,SFJ-L2-CS,assessor@example.org,,A2,2026-09-01,,{UNITS}\n"
)


def test_the_same_file_confirmed_again_is_refused_and_carries_each_registration_once(
    centre, centre_admin, people, django_capture_on_commit_callbacks
):
    upload(centre, centre_admin, INVITEE_ONLY, django_capture_on_commit_callbacks)
    audit = AuditWatch()
    with pytest.raises(InvitationRefused) as refused:
        upload(centre, centre_admin, INVITEE_ONLY, django_capture_on_commit_callbacks)
    assert refused.value.messages == [JUST_SENT.format(email="new.person@example.org")]
    assert len(mail.outbox) == 1 and audit.actions() == []
    Invitation.objects.update(sent_at=timezone.now() - SEND_AGAIN_AFTER)
    # A minute later the same file sends the invitation again, carrying what it carried.
    upload(centre, centre_admin, INVITEE_ONLY, django_capture_on_commit_callbacks)
    [asked] = Invitation.objects.get().registrations
    assert asked["ao_registration_number"] == "A2"
    assert len(mail.outbox) == 2 and audit.actions() == ["invitation.resent"]


def test_a_newer_file_for_the_same_qualification_replaces_what_the_invitation_carries(
    centre, centre_admin, people, django_capture_on_commit_callbacks
):
    upload(centre, centre_admin, INVITEE_ONLY, django_capture_on_commit_callbacks)
    upload(
        centre,
        centre_admin,
        INVITEE_ONLY.replace(",A2,", ",A3,"),
        django_capture_on_commit_callbacks,
    )
    [asked] = Invitation.objects.get().registrations
    assert asked["ao_registration_number"] == "A3"


def test_a_row_refused_for_one_thing_shows_its_other_problems_too(centre, people):
    """One upload shows every problem of a row: a wrong ULN and a name over the limit are not
    hidden behind an unknown qualification."""
    header = HEADER.rstrip("\n") + ",legal_first_names,uln\n"
    raw = header + "x@example.org,X,NOPE,,,,2026-09-01,,," + "A" * 21 + ",9276308687\n"
    [row] = read_csv(raw.encode(), centre).rows
    assert row.errors[0].startswith("No qualification has the code or number 'NOPE'")
    assert any("check digit" in e for e in row.errors)
    assert any("at most 20 characters" in e for e in row.errors)


def test_the_qualification_column_takes_the_qualification_number_as_well_as_the_code(
    centre, people
):
    qualification = Qualification.objects.exclude(number="").exclude(number=F("code")).first()
    assert qualification is not None
    raw = HEADER + f"learner@example.org,,{qualification.number},,,,2026-09-01,,\n"
    [row] = read_csv(raw.encode(), centre).rows
    assert not any("No qualification" in e for e in row.errors)
