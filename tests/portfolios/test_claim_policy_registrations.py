"""The claim policy at registration, by every path (one by one, a CSV row, an invitation
accepted): a learner under the awarding organisation's age limit is refused, one at it is not;
an AO registration number not in the AO's stated format is refused. The AO number is recorded
later on the learner's details page, audited, and the registration's page says it is missing
where the AO asks for it."""

import datetime
import html

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEntry, Invitation, RoleKind
from portal.services import invitation_accept_as_newcomer
from portfolios.bulk import read_csv, registration_bulk_create
from portfolios.models import Registration
from portfolios.services import (
    LearnerIdentity,
    RegistrationDetails,
    RegistrationRejected,
    learner_details_change,
    registration_create,
)
from qualifications.models import Qualification, day
from tests.conftest import _person
from tests.portfolios.conftest import PROQUAL_OPTIONAL, SFJ_ENOUGH, START

TITLE = "SFJ Awards Level 2 Certificate in Customer Service"
CSV = (
    "learner_email,learner_name,qualification,start_date,optional_units,date_of_birth\n"
    "{email},{name},SFJ-L2-CS,2026-09-01," + ";".join(SFJ_ENOUGH) + ",{born}\n"
)


def years_ago(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) + datetime.timedelta(days=days)


def under(aged: int, limit: int) -> str:
    return (
        f"Aged {aged} on {day(timezone.localdate())}: SFJ Awards approves {TITLE} for learners "
        f"aged {limit} or over at registration."
    )


@pytest.fixture
def limited(sfj):
    sfj.min_age = 16
    sfj.save()
    return sfj


def register(centre, centre_admin, learner, qualification, *, born=None, number=""):
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=qualification,
            start_date=START,
            ao_registration_number=number,
            identity=LearnerIdentity(date_of_birth=born) if born else None,
        ),
        optional_units=SFJ_ENOUGH if qualification.code == "SFJ-L2-CS" else PROQUAL_OPTIONAL,
        actor=centre_admin,
    )


def test_a_learner_a_day_short_of_the_age_limit_is_not_registered_and_one_at_it_is(
    centre, centre_admin, learner, limited
):
    with pytest.raises(RegistrationRejected) as refused:
        register(centre, centre_admin, learner, limited, born=years_ago(16, days=1))
    assert refused.value.messages == [under(15, 16)]
    assert not Registration.objects.exists()
    learner.refresh_from_db()
    assert learner.date_of_birth is None  # refused: nothing recorded
    made = register(centre, centre_admin, learner, limited, born=years_ago(16))
    assert made.registered_on == timezone.localdate()


def test_the_date_of_birth_recorded_counts_when_the_registration_gives_none(
    centre, centre_admin, learner, limited
):
    learner.date_of_birth = years_ago(15)
    learner.save()
    with pytest.raises(RegistrationRejected) as refused:
        register(centre, centre_admin, learner, limited)
    assert refused.value.messages == [under(15, 16)]


def test_a_learner_with_no_date_of_birth_is_registered_and_the_claim_asks_for_it(
    centre, centre_admin, learner, limited
):
    assert register(
        centre, centre_admin, learner, limited
    ).pk  # certification/test_claim_policy_claims


def test_a_csv_row_under_the_age_limit_says_why_and_the_file_saves_nothing(
    centre, centre_admin, learner, limited, django_capture_on_commit_callbacks
):
    raw = CSV.format(email="new@example.org", name="New Person", born=years_ago(14)).encode()
    [row] = read_csv(raw, centre).rows
    assert row.errors == [under(14, 16)]
    with pytest.raises(RegistrationRejected), django_capture_on_commit_callbacks(execute=True):
        registration_bulk_create(centre=centre, raw=raw, actor=centre_admin, link_for=str)
    assert not Registration.objects.exists() and not Invitation.objects.exists()
    ok = CSV.format(email="new@example.org", name="New Person", born=years_ago(16)).encode()
    assert read_csv(ok, centre).rows[0].errors == []


def test_an_invitation_accepted_after_the_age_limit_was_raised_says_why(
    centre, centre_admin, limited, django_capture_on_commit_callbacks
):
    raw = CSV.format(email="new@example.org", name="New Person", born=years_ago(17)).encode()
    with django_capture_on_commit_callbacks(execute=True):
        registration_bulk_create(
            centre=centre, raw=raw, actor=centre_admin, link_for=lambda token: f"/i/{token}/"
        )
    Qualification.objects.filter(pk=limited.pk).update(min_age=18)
    token = mail.outbox[0].body.split("/i/")[1].split("/")[0]
    person = invitation_accept_as_newcomer(token=token, password="a-long-new-password")
    assert not Registration.objects.filter(learner=person).exists()
    [asked] = Invitation.objects.get().registrations
    assert asked["problems"] == [under(17, 18)]


@pytest.fixture
def stated_format(sfj):
    ao = sfj.awarding_organisation
    ao.registration_number_pattern = r"[A-Z]{3}\d{6}"
    ao.registration_number_format = "three letters and six digits"
    ao.save()
    return ao


WRONG_FORMAT = (
    "AO registration number 12345 is not in the format SFJ Awards states: three letters and "
    "six digits."
)


def test_an_ao_number_not_in_the_stated_format_is_refused_at_registration(
    centre, centre_admin, learner, sfj, stated_format
):
    with pytest.raises(RegistrationRejected) as refused:
        register(centre, centre_admin, learner, sfj, number="12345")
    assert refused.value.messages == [WRONG_FORMAT]
    assert register(centre, centre_admin, learner, sfj, number="SFJ123456").pk


def details(registration, number, actor):
    return learner_details_change(
        registration=registration,
        given=LearnerIdentity.of(registration.learner),
        funding="",
        ao_registration_number=number,
        actor=actor,
    )


def test_the_ao_number_is_recorded_on_the_learners_details_page_and_audited(
    client, registration, centre_admin, stated_format
):
    client.force_login(centre_admin)
    url = reverse("portfolios:registration-learner", args=[registration.pk])
    page = html.unescape(client.post(url, {"ao_registration_number": "12345"}).content.decode())
    assert WRONG_FORMAT in page
    registration.refresh_from_db()
    assert registration.ao_registration_number == ""
    assert client.post(url, {"ao_registration_number": " SFJ123456 "}).status_code == 302
    registration.refresh_from_db()
    assert registration.ao_registration_number == "SFJ123456"
    entry = AuditEntry.objects.get(action="registration.ao_number_changed")
    assert (entry.subject, entry.before, entry.after) == (
        f"registration:{registration.pk}",
        {"ao_registration_number": ""},
        {"ao_registration_number": "SFJ123456"},
    )
    assert details(registration, "SFJ123456", centre_admin) == []  # the same again: no change


def test_an_ao_number_another_registration_holds_is_refused_on_the_details_page(
    registration, centre, centre_admin, sfj
):
    someone = _person(centre, RoleKind.LEARNER, "someone@example.org")
    other = register(centre, centre_admin, someone, sfj, number="SFJ000001")
    with pytest.raises(RegistrationRejected) as refused:
        details(registration, "SFJ000001", centre_admin)
    assert refused.value.messages == [
        f"AO registration number SFJ000001 is already used for {TITLE}."
    ]
    assert details(other, "SFJ000001", centre_admin) == []


def test_the_registration_page_says_the_ao_number_is_missing_where_the_ao_asks_for_it(
    client, centre, centre_admin, learner, catalogue_db
):
    proqual = Qualification.objects.get(code="601/3576/1")
    registration = register(centre, centre_admin, learner, proqual)
    said = "AO registration number (ProQual Awarding Body asks for it before a claim)"
    assert said in registration.details_missing
    client.force_login(centre_admin)
    url = reverse("portfolios:registration-detail", args=[registration.pk])
    assert said in html.unescape(client.get(url).content.decode())
    details(registration, "PQ1", centre_admin)
    registration.refresh_from_db()
    assert said not in registration.details_missing
