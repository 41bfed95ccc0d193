"""The register's pages: the centre admin records a person's awards under the person's page;
the person reads their own; another centre's admin finds nothing; the strategy page shows each
assessor's and IQA's standing."""

import datetime

from django.test import Client
from django.urls import reverse

from competence.forms import UNKNOWN_UNITS
from competence.models import CompetenceEntry, EntryStatus
from competence.services import DEADLINE_NEEDED
from tests.competence.register import award

UNIT = "A/506/2130"


def logged_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_admin_records_an_award_worked_towards_from_the_persons_page(
    centre, centre_admin, trainee_assessor, sfj
):
    client = logged_in(centre_admin)
    person_page = client.get(reverse("person-detail", args=[trainee_assessor.pk]))
    register = reverse("competence:person", args=[trainee_assessor.pk])
    assert register in person_page.content.decode()
    answer = client.post(
        reverse("competence:entry-add", args=[trainee_assessor.pk]),
        {
            "award": "assessing_competence",
            "status": "working_towards",
            "deadline": "2027-03-31",
            "units": f"{UNIT}",
        },
    )
    assert answer.status_code == 302 and answer["Location"] == register
    entry = CompetenceEntry.objects.get(person=trainee_assessor)
    assert entry.status == EntryStatus.WORKING_TOWARDS
    assert [u.code for u in entry.units.all()] == [UNIT]
    page = client.get(register).content.decode()
    assert "working towards it, deadline 31 March 2027" in page and f"Unit {UNIT}" in page


def test_a_form_missing_its_deadline_or_naming_an_unknown_unit_says_so_under_the_field(
    centre, centre_admin, assessor, sfj
):
    answer = logged_in(centre_admin).post(
        reverse("competence:entry-add", args=[assessor.pk]),
        {"award": "iqa", "status": "working_towards", "units": "NOPE-1"},
    )
    form = answer.context["form"]
    assert form.errors["units"] == [UNKNOWN_UNITS.format(codes="NOPE-1")]
    answer = logged_in(centre_admin).post(
        reverse("competence:entry-add", args=[assessor.pk]),
        {"award": "iqa", "status": "working_towards", "qualifications": [sfj.pk]},
    )
    assert answer.context["form"].errors["deadline"] == [DEADLINE_NEEDED]
    assert not CompetenceEntry.objects.exists()


def test_the_person_reads_their_own_entries_but_cannot_open_the_admins_pages(
    centre, centre_admin, assessor, sfj
):
    entry = award(centre, assessor, centre_admin, qualifications=[sfj])
    client = logged_in(assessor)
    mine = client.get(reverse("competence:mine")).content.decode()
    assert entry.award_title in mine and sfj.title in mine and "Change" not in mine
    assert client.get(reverse("competence:person", args=[assessor.pk])).status_code == 403
    edit = reverse("competence:entry-edit", args=[entry.pk])
    assert client.post(edit, {"award": "iqa"}).status_code == 403
    assert client.post(reverse("competence:entry-remove", args=[entry.pk])).status_code == 403
    assert CompetenceEntry.objects.get().award == entry.award


def test_another_centres_admin_finds_nothing_of_this_centres_register(
    centre, centre_admin, assessor, outsider, sfj
):
    entry = award(centre, assessor, centre_admin, qualifications=[sfj])
    client = logged_in(outsider)
    assert client.get(reverse("competence:person", args=[assessor.pk])).status_code == 404
    assert client.get(reverse("competence:entry-edit", args=[entry.pk])).status_code == 404
    assert client.post(reverse("competence:entry-remove", args=[entry.pk])).status_code == 404
    assert entry.award_title not in client.get(reverse("competence:centre")).content.decode()
    assert CompetenceEntry.objects.filter(pk=entry.pk).exists()


def test_the_strategy_page_shows_each_persons_awards_scope_and_flags(
    centre, centre_admin, assessor, trainee_assessor, iqa, sfj
):
    award(
        centre,
        assessor,
        centre_admin,
        qualifications=[sfj],
        expires_on=datetime.date(2025, 12, 31),
    )
    award(
        centre,
        trainee_assessor,
        centre_admin,
        qualifications=[sfj],
        deadline=datetime.date(2026, 1, 31),
    )
    page = logged_in(iqa).get(reverse("iqa:strategy", args=[sfj.pk])).content.decode()
    assert "Expired on 31 December 2025" in page
    assert "Past its deadline of 31 January 2026" in page
    assert sfj.title in page and "Nothing recorded in the competence register." in page  # the IQA
    assert "not enforced at this centre" in page


def test_the_admin_turns_enforcement_on_from_the_centres_register(centre, centre_admin):
    client = logged_in(centre_admin)
    answer = client.post(reverse("competence:enforce"), {"on": "1"})
    assert answer.status_code == 302
    assert 'data-testid="enforced"' in client.get(reverse("competence:centre")).content.decode()
