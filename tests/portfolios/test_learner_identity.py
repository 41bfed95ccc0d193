"""The learner's identity for awarding organisations and the registration's funding: on the
registration form, the learner's details page and the CSV file; a refusal changes nothing."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from portal.models import Invitation, User
from portal.services import invitation_accept, invitation_accept_as_newcomer
from portfolios.bulk import read_csv, registration_bulk_create
from portfolios.models import FUNDING_MISSING, ULN_MISSING, Funding, Registration
from portfolios.services import (
    ULN_TAKEN,
    LearnerIdentity,
    RegistrationRejected,
    learner_details_change,
)
from qualifications.models import AwardingOrganisation, Qualification
from tests.audit import AuditWatch
from tests.factories import RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ_ENOUGH
from tests.portfolios.test_bulk import links, token_in

ULN = "9276308686"  # HESA's example
OTHER_ULN = "1000000000"
UNITS = ";".join(SFJ_ENOUGH)
IDENTITY = {
    "legal_first_names": "Amara Joy",
    "legal_last_name": "Adams",
    "date_of_birth": "2001-04-12",
    "sex": "F",
    "postcode": "sw1a1aa",
    "uln": ULN,
}


def recorded(person: User) -> tuple:
    person.refresh_from_db()
    return (
        person.legal_first_names,
        person.legal_last_name,
        person.date_of_birth,
        person.sex,
        person.postcode,
        person.uln,
    )


AS_RECORDED = ("Amara Joy", "Adams", datetime.date(2001, 4, 12), "F", "SW1A 1AA", ULN)
NOTHING = ("", "", None, "", "", "")


# The registration form


def register_url(sfj) -> str:
    return reverse("portfolios:registration-create") + f"?qualification={sfj.pk}"


def test_the_registration_form_records_the_learners_details_and_the_funding(
    client, centre_admin, learner, sfj
):
    client.force_login(centre_admin)
    sent = {"learner": learner.pk, "start_date": "2026-09-01", "optional_units": SFJ_ENOUGH}
    response = client.post(register_url(sfj), {**sent, **IDENTITY, "funding": "funded"})
    assert response.status_code == 302
    assert recorded(learner) == AS_RECORDED
    assert Registration.objects.get(learner=learner).funding == Funding.FUNDED


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("uln", "9276308687", "fails its check digit"),
        ("uln", "0276308686", "is 10 digits, the first not 0"),
        ("legal_first_names", "Anna Maria Elisabetta", "can be at most 20 characters"),
        ("legal_last_name", "Featherstonehaugh-Cholmondeley", ""),  # 30: accepted
        ("legal_last_name", "Featherstonehaugh-Cholmondeleys", "can be at most 30 characters"),
        ("postcode", "SW1A-1AA", "is not a UK postcode"),
        ("date_of_birth", "2099-01-01", "is in the future"),
        ("date_of_birth", "1890-01-01", "makes the learner"),
    ],
)
def test_the_registration_form_refuses_bad_details_saying_why_and_saves_nothing(
    client, centre_admin, learner, sfj, field, value, said
):
    client.force_login(centre_admin)
    sent = {"learner": learner.pk, "start_date": "2026-09-01", "optional_units": SFJ_ENOUGH}
    response = client.post(register_url(sfj), {**sent, field: value})
    if not said:
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert escape(said) in response.content.decode()
    assert not Registration.objects.exists()
    assert recorded(learner) == NOTHING


def test_blank_details_on_the_registration_form_keep_what_is_recorded(
    client, centre_admin, learner, sfj
):
    User.objects.filter(pk=learner.pk).update(uln=ULN, date_of_birth=datetime.date(2001, 4, 12))
    client.force_login(centre_admin)
    sent = {"learner": learner.pk, "start_date": "2026-09-01", "optional_units": SFJ_ENOUGH}
    assert client.post(register_url(sfj), {**sent, "sex": "F"}).status_code == 302
    assert recorded(learner)[2:] == (datetime.date(2001, 4, 12), "F", "", ULN)


# The learner's details page


def details_url(registration) -> str:
    return reverse("portfolios:registration-learner", args=[registration.pk])


def test_an_existing_learner_without_details_works_and_the_page_says_what_an_ao_would_need(
    client, centre_admin, registration
):
    client.force_login(centre_admin)
    page = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    text = page.content.decode()
    assert "legal first name(s); legal last name; date of birth; sex" in text
    assert escape(ULN_MISSING) in text
    # SFJ is not City & Guilds, the one awarding organisation known to ask for funding.
    assert escape(FUNDING_MISSING) not in text
    Qualification.objects.filter(pk=registration.qualification_id).update(
        awarding_organisation=AwardingOrganisation.objects.get(code="city-and-guilds")
    )
    page = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    assert escape(FUNDING_MISSING) in page.content.decode()
    # The learner sees their registration; the notice is for the centre admin.
    client.force_login(registration.learner)
    page = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    assert page.status_code == 200 and "details-missing" not in page.content.decode()


def test_the_centre_admin_records_the_learners_details_audited_on_their_account(
    client, centre_admin, registration
):
    client.force_login(centre_admin)
    audit = AuditWatch()
    response = client.post(details_url(registration), {**IDENTITY, "funding": "non_funded"})
    assert response.status_code == 302
    assert recorded(registration.learner) == AS_RECORDED
    registration.refresh_from_db()
    assert registration.funding == Funding.NON_FUNDED
    assert audit.actions() == ["learner.identity_changed", "registration.funding_changed"]
    changed, funded = audit.entries()
    assert changed.subject == f"user:{registration.learner_id}"
    assert (changed.before or {})["uln"] == "" and (changed.after or {})["uln"] == ULN
    assert (funded.before, funded.after) == ({"funding": ""}, {"funding": "non_funded"})
    page = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    assert "details-missing" not in page.content.decode()
    # The same again changes nothing and writes nothing.
    client.post(details_url(registration), {**IDENTITY, "funding": "non_funded"})
    assert len(audit.actions()) == 2


def test_a_uln_another_learner_holds_is_refused_without_naming_them_and_nothing_changes(
    client, centre_admin, registration, other_centre
):
    holder = UserFactory.create(email="holder@example.org", uln=ULN)
    RoleFactory.create(user=holder, centre=other_centre)
    client.force_login(centre_admin)
    audit = AuditWatch()
    page = client.post(details_url(registration), {**IDENTITY, "funding": "funded"})
    assert page.status_code == 200
    text = page.content.decode()
    assert escape(ULN_TAKEN.format(uln=ULN)) in text
    assert holder.full_name not in text and holder.email not in text
    assert recorded(registration.learner) == NOTHING
    registration.refresh_from_db()
    assert registration.funding == "" and audit.actions() == []


def test_clearing_a_detail_on_the_details_page_blanks_it(centre_admin, registration):
    learner_details_change(
        registration=registration,
        given=LearnerIdentity(uln=ULN, sex="M"),
        funding="",
        actor=centre_admin,
    )
    learner_details_change(
        registration=registration, given=LearnerIdentity(sex="M"), funding="", actor=centre_admin
    )
    assert recorded(registration.learner)[3:] == ("M", "", "")


def test_only_the_centre_admin_may_change_a_learners_details(
    client, registration, assessor, outsider
):
    for person in (registration.learner, assessor, outsider):
        client.force_login(person)
        assert client.post(details_url(registration), IDENTITY).status_code in (403, 404)
    assert recorded(registration.learner) == NOTHING


# The CSV file

HEADER = (
    "learner_email,learner_name,qualification,start_date,optional_units,funding,"
    "legal_first_names,legal_last_name,date_of_birth,sex,postcode,uln\n"
)


def row(email: str, name: str = "", **cells: str) -> str:
    values = {"funding": "", **{k: "" for k in IDENTITY}, **cells}
    order = ["funding", *IDENTITY]
    return ",".join([email, name, "SFJ-L2-CS", "2026-09-01", UNITS, *(values[k] for k in order)])


def test_a_csv_file_with_bad_details_is_refused_row_by_row_and_changes_nothing(
    centre, centre_admin, learner, sfj, django_capture_on_commit_callbacks
):
    raw = HEADER + "\n".join(
        [
            row(learner.email, uln="9276308687"),
            row("a@example.org", "A Person", legal_first_names="Anna Maria Elisabetta"),
            row("b@example.org", "B Person", legal_last_name="X" * 31),
            row("c@example.org", "C Person", date_of_birth="31/02/2001"),
            row("d@example.org", "D Person", date_of_birth="2030-01-01"),
            row("e@example.org", "E Person", sex="X"),
            row("f@example.org", "F Person", postcode="12345"),
            row("g@example.org", "G Person", funding="maybe"),
        ]
    )
    preview = read_csv(raw.encode(), centre)
    assert not preview.valid
    said = [" ".join(r.errors) for r in preview.rows]
    for text, expected in zip(
        said,
        [
            "fails its check digit",
            "Legal first name(s) can be at most 20 characters",
            "Legal last name can be at most 30 characters",
            "date_of_birth '31/02/2001' is not a date",
            "is in the future",
            "sex 'X' is not M or F",
            "is not a UK postcode",
            "funding 'maybe' is not funded or non-funded",
        ],
        strict=True,
    ):
        assert expected in text
    audit = AuditWatch()
    with pytest.raises(RegistrationRejected), django_capture_on_commit_callbacks(execute=True):
        registration_bulk_create(
            centre=centre, raw=raw.encode(), actor=centre_admin, link_for=links
        )
    assert not Registration.objects.exists() and not Invitation.objects.exists()
    assert recorded(learner) == NOTHING and audit.actions() == [] and mail.outbox == []


def test_one_uln_for_two_learners_or_two_details_for_one_learner_in_a_file_is_refused(
    centre, learner, sfj, catalogue_db
):
    proqual = "601/3576/1"
    raw = HEADER + "\n".join(
        [
            row("a@example.org", "A Person", uln=ULN),
            row("b@example.org", "B Person", uln=ULN),
            row(learner.email, date_of_birth="2001-04-12"),
            row(learner.email, date_of_birth="2001-04-13").replace("SFJ-L2-CS", proqual),
        ]
    )
    errors = [r.errors for r in read_csv(raw.encode(), centre).rows]
    assert "The same ULN as row 2, for another learner." in errors[1]
    assert "The same learner as row 4 with another date_of_birth." in errors[3]


def test_a_uln_already_recorded_for_someone_else_is_refused_in_the_csv(centre, learner, sfj):
    UserFactory.create(email="holder@example.org", uln=ULN)
    raw = HEADER + row(learner.email, uln=ULN)
    [checked] = read_csv(raw.encode(), centre).rows
    assert ULN_TAKEN.format(uln=ULN) in checked.errors


def test_a_good_csv_file_records_a_members_details_and_an_invitees_on_acceptance(
    centre, centre_admin, learner, sfj, django_capture_on_commit_callbacks
):
    raw = HEADER + "\n".join(
        [
            row(learner.email, funding="Funded", **{**IDENTITY, "sex": "female"}),
            row("new@example.org", "New Person", funding="non-funded", uln=OTHER_ULN,
                date_of_birth="12/04/2001"),
        ]
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        registration_bulk_create(
            centre=centre, raw=raw.encode(), actor=centre_admin, link_for=links
        )
    assert recorded(learner) == AS_RECORDED
    assert Registration.objects.get(learner=learner).funding == Funding.FUNDED
    [asked] = Invitation.objects.get().registrations
    assert asked["learner_details"] == {"date_of_birth": "2001-04-12", "uln": OTHER_ULN}
    person = invitation_accept_as_newcomer(
        token=token_in(mail.outbox[0]), password="a-long-new-password"
    )
    assert recorded(person) == ("", "", datetime.date(2001, 4, 12), "", "", OTHER_ULN)
    assert Registration.objects.get(learner=person).funding == Funding.NON_FUNDED


def test_an_invited_account_keeps_the_details_it_holds_and_the_invitation_says_which_differed(
    centre, centre_admin, other_centre, sfj, django_capture_on_commit_callbacks
):
    elsewhere = UserFactory.create(
        email="elsewhere@example.org", date_of_birth=datetime.date(1990, 1, 1)
    )
    RoleFactory.create(user=elsewhere, centre=other_centre)
    raw = HEADER + row(elsewhere.email, "Else Where", date_of_birth="1991-01-01", uln=OTHER_ULN)
    with django_capture_on_commit_callbacks(execute=True):
        registration_bulk_create(
            centre=centre, raw=raw.encode(), actor=centre_admin, link_for=links
        )
    invitation_accept(token=token_in(mail.outbox[0]), actor=elsewhere)
    assert recorded(elsewhere)[2:] == (datetime.date(1990, 1, 1), "", "", OTHER_ULN)
    [asked] = Invitation.objects.get().registrations
    assert "registration" in asked
    assert asked["details_not_recorded"][0].startswith("The date of birth given by the centre")


def test_a_name_typed_with_combining_accents_counts_as_the_ao_counts_it():
    from portal import identity
    from portfolios.services import LearnerIdentity

    decomposed = "A\u0301" * 30  # "Á" as A and a combining acute accent: 30 letters
    cleaned = LearnerIdentity(legal_last_name=decomposed).cleaned()
    assert cleaned.legal_last_name == "\u00c1" * 30
    assert identity.last_name_problem(cleaned.legal_last_name) == ""
