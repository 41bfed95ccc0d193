"""No registration on a qualification outside its lifecycle, by any path: one by one, from a CSV
file, or when an invited learner accepts. Each refusal says why and saves nothing."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEntry, Invitation
from portal.services import invitation_accept_as_newcomer
from portfolios.bulk import read_csv, registration_bulk_create
from portfolios.models import Registration
from portfolios.services import RegistrationDetails, RegistrationRejected, registration_create
from qualifications.models import Qualification, QualificationStatus
from tests.portfolios.conftest import SFJ_ENOUGH, START

TITLE = "SFJ Awards Level 2 Certificate in Customer Service"
DRAFT = (
    f"{TITLE} is a consultation draft: it can be browsed, but it takes no registrations until "
    "its awarding organisation makes it operational."
)
CSV = (
    "learner_email,learner_name,qualification,start_date,optional_units\n"
    "{email},{name},SFJ-L2-CS,2026-09-01," + ";".join(SFJ_ENOUGH) + "\n"
)


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def register(centre, centre_admin, learner, qualification):
    return registration_create(
        centre=centre,
        details=RegistrationDetails(learner=learner, qualification=qualification, start_date=START),
        optional_units=SFJ_ENOUGH,
        actor=centre_admin,
    )


def refusal(centre, centre_admin, learner, qualification) -> list[str]:
    with pytest.raises(RegistrationRejected) as refused:
        register(centre, centre_admin, learner, qualification)
    assert not Registration.objects.exists()
    assert not AuditEntry.objects.filter(action="registration.created").exists()
    return refused.value.messages


def test_the_sfj_consultation_draft_can_be_browsed_but_takes_no_registration(
    client, centre, centre_admin, learner, sfj_as_the_file_says
):
    url = reverse("qualifications:qualification-detail", args=[sfj_as_the_file_says.pk])
    page = client.get(url).content.decode()
    assert "Consultation draft" in page and DRAFT in page
    assert refusal(centre, centre_admin, learner, sfj_as_the_file_says) == [DRAFT]


def test_a_withdrawn_qualification_takes_no_registration(centre, centre_admin, learner, sfj):
    sfj.status = QualificationStatus.WITHDRAWN
    sfj.save()
    assert refusal(centre, centre_admin, learner, sfj) == [
        f"{TITLE} has been withdrawn: it takes no registrations."
    ]


def test_no_registration_before_the_operational_start_date(centre, centre_admin, learner, sfj):
    sfj.operational_start = days(1)
    sfj.save()
    start = f"{days(1).day} {days(1):%B %Y}"
    assert refusal(centre, centre_admin, learner, sfj) == [
        f"{TITLE} takes registrations from {start}, its operational start date."
    ]


def test_no_registration_after_the_last_registration_date_but_one_on_it(
    centre, centre_admin, learner, sfj
):
    sfj.last_registration = days(-1)
    sfj.save()
    last = f"{days(-1).day} {days(-1):%B %Y}"
    assert refusal(centre, centre_admin, learner, sfj) == [
        f"The last registration date of {TITLE} was {last}: it takes no new registrations."
    ]
    Qualification.objects.filter(pk=sfj.pk).update(last_registration=days(0))
    sfj.refresh_from_db()
    assert register(centre, centre_admin, learner, sfj).qualification == sfj


def test_a_csv_row_on_the_draft_says_why_and_the_file_saves_nothing(
    centre, centre_admin, learner, sfj_as_the_file_says, django_capture_on_commit_callbacks
):
    raw = CSV.format(email=learner.email, name="").encode()
    [row] = read_csv(raw, centre).rows
    assert row.errors == [DRAFT]
    with pytest.raises(RegistrationRejected), django_capture_on_commit_callbacks(execute=True):
        registration_bulk_create(centre=centre, raw=raw, actor=centre_admin, link_for=str)
    assert not Registration.objects.exists() and not Invitation.objects.exists()


def test_an_invitation_accepted_after_the_last_registration_date_says_why(
    centre, centre_admin, sfj, django_capture_on_commit_callbacks
):
    raw = CSV.format(email="new@example.org", name="New Person").encode()
    with django_capture_on_commit_callbacks(execute=True):
        registration_bulk_create(
            centre=centre, raw=raw, actor=centre_admin, link_for=lambda token: f"/i/{token}/"
        )
    Qualification.objects.filter(pk=sfj.pk).update(last_registration=days(-1))
    token = mail.outbox[0].body.split("/i/")[1].split("/")[0]
    person = invitation_accept_as_newcomer(token=token, password="a-long-new-password")
    assert not Registration.objects.filter(learner=person).exists()
    [asked] = Invitation.objects.get().registrations
    assert asked["problems"] == [
        f"The last registration date of {TITLE} was {days(-1).day} {days(-1):%B %Y}: it takes "
        "no new registrations."
    ]


def test_the_registration_page_offers_only_operational_qualifications_and_says_why_not_others(
    client, centre, centre_admin, sfj_as_the_file_says
):
    client.force_login(centre_admin)
    url = reverse("portfolios:registration-create")
    page = client.get(url).content.decode()
    assert f'value="{sfj_as_the_file_says.pk}"' not in page  # the draft is not offered
    operational = Qualification.objects.filter(status=QualificationStatus.OPERATIONAL)
    assert operational.exists()
    for each in operational:
        assert f'value="{each.pk}"' in page
    # Sent by hand, the draft gets the lifecycle's reason, and the unit form is not shown.
    answer = client.get(url, {"qualification": sfj_as_the_file_says.pk}).content.decode()
    assert DRAFT in answer
    assert "optional_units" not in answer
