"""The register's pages: the centre admin records a person's awards under the person's page;
the person reads their own; another centre's admin finds nothing; the strategy page shows each
assessor's and IQA's standing."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from competence.forms import UNKNOWN_UNITS
from competence.models import Award, CompetenceEntry, EntryStatus
from competence.services import (
    DEADLINE_NEEDED,
    OWN_ENTRY,
    REASON_NEEDED,
    CompetenceRefused,
    EntryDetails,
    entry_record,
)
from competence.views import NOT_A_PRACTITIONER
from portal.models import RoleKind, User
from qualifications.models import Qualification
from tests.competence.register import award, enforce
from tests.factories import RoleFactory

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
    end = reverse("competence:entry-end", args=[entry.pk])
    assert client.post(end, {"reason": "No longer true."}).status_code == 403
    assert CompetenceEntry.objects.get().award == entry.award
    assert CompetenceEntry.objects.get().ended_on is None


def test_another_centres_admin_finds_nothing_of_this_centres_register(
    centre, centre_admin, assessor, outsider, sfj
):
    entry = award(centre, assessor, centre_admin, qualifications=[sfj])
    client = logged_in(outsider)
    assert client.get(reverse("competence:person", args=[assessor.pk])).status_code == 404
    assert client.get(reverse("competence:entry-edit", args=[entry.pk])).status_code == 404
    end = reverse("competence:entry-end", args=[entry.pk])
    assert client.post(end, {"reason": "No longer true."}).status_code == 404
    assert entry.award_title not in client.get(reverse("competence:centre")).content.decode()
    assert CompetenceEntry.objects.filter(pk=entry.pk, ended_on__isnull=True).exists()


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
    assert "Expired at the end of 31 December 2025" in page
    assert "Past its deadline of 31 January 2026" in page
    assert sfj.title in page and "Nothing recorded in the competence register." in page  # the IQA
    assert "not enforced at this centre" in page


def test_the_admin_turns_enforcement_on_from_the_centres_register(centre, centre_admin):
    client = logged_in(centre_admin)
    answer = client.post(reverse("competence:enforce"), {"on": "1"})
    assert answer.status_code == 302
    assert 'data-testid="enforced"' in client.get(reverse("competence:centre")).content.decode()


def test_the_admin_ends_an_entry_with_a_reason_and_it_stays_on_the_register_as_history(
    centre, centre_admin, assessor, sfj
):
    entry = award(centre, assessor, centre_admin, qualifications=[sfj])
    client = logged_in(centre_admin)
    register = reverse("competence:person", args=[assessor.pk])
    end = reverse("competence:entry-end", args=[entry.pk])
    assert end in client.get(register).content.decode()
    answer = client.post(end, {"reason": ""})
    assert answer.context["form"].errors["reason"] == [REASON_NEEDED]
    answer = client.post(end, {"reason": "The certificate was issued in error."})
    assert answer.status_code == 302 and answer["Location"] == register
    page = client.get(register).content.decode()
    today = f"{timezone.localdate():%-d %B %Y}"
    said = f"Ended on {today} by {centre_admin.full_name}: The certificate was issued in error."
    assert said in page and sfj.title in page
    assert end not in page  # no longer offered: it is ended
    assert said in logged_in(assessor).get(reverse("competence:mine")).content.decode()
    assert CompetenceEntry.objects.get(pk=entry.pk).ended_on == timezone.localdate()


def test_an_admin_who_is_an_assessor_too_is_told_another_admin_records_their_awards(
    centre, centre_admin, sfj
):
    RoleFactory.create(user=centre_admin, centre=centre, kind=RoleKind.ASSESSOR)
    refusal = OWN_ENTRY.format(centre=centre).replace("'", "&#x27;")
    client = logged_in(centre_admin)
    page = client.get(reverse("competence:person", args=[centre_admin.pk])).content.decode()
    assert refusal in page
    add = reverse("competence:entry-add", args=[centre_admin.pk])
    assert add not in page
    for answer in (
        client.get(add),
        client.post(
            add,
            {
                "award": "iqa",
                "status": "held",
                "achieved_on": "2020-05-01",
                "qualifications": [sfj.pk],
            },
        ),
    ):
        assert answer.status_code == 403 and refusal in answer.content.decode()
        assert 'name="award"' not in answer.content.decode()  # no form to fill in for nothing
    assert not CompetenceEntry.objects.exists()


def test_an_admins_own_entry_recorded_by_another_admin_is_neither_changed_nor_ended_by_them(
    centre, centre_admin, sfj
):
    RoleFactory.create(user=centre_admin, centre=centre, kind=RoleKind.ASSESSOR)
    other_admin = RoleFactory.create(centre=centre, kind=RoleKind.CENTRE_ADMIN).user
    entry = award(centre, centre_admin, other_admin, qualifications=[sfj])
    refusal = OWN_ENTRY.format(centre=centre).replace("'", "&#x27;")
    client = logged_in(centre_admin)
    page = client.get(reverse("competence:person", args=[centre_admin.pk])).content.decode()
    edit = reverse("competence:entry-edit", args=[entry.pk])
    end = reverse("competence:entry-end", args=[entry.pk])
    assert entry.award_title in page and edit not in page and end not in page
    for answer in (
        client.get(edit),
        client.get(end),
        client.post(end, {"reason": "Mine to end."}),
    ):
        assert answer.status_code == 403 and refusal in answer.content.decode()
    assert CompetenceEntry.objects.get(pk=entry.pk).ended_on is None
    # The other admin opens both.
    theirs = logged_in(other_admin)
    assert theirs.get(edit).status_code == 200 and theirs.get(end).status_code == 200


def test_the_centres_register_shows_when_enforcement_was_switched_and_by_whom(centre, centre_admin):
    client = logged_in(centre_admin)
    page = client.get(reverse("competence:centre")).content.decode()
    assert 'data-testid="enforcement-history"' not in page
    client.post(reverse("competence:enforce"), {"on": "1"})
    client.post(reverse("competence:enforce"), {"on": ""})
    page = client.get(reverse("competence:centre")).content.decode()
    history = page.split('data-testid="enforcement-history"')[1].split("</ul>")[0]
    lines = [line.split("<li>")[1] for line in history.split("</li>")[:-1]]
    assert [line.split(" from ")[0] for line in lines] == ["No longer enforced", "Enforced"]
    assert all(line.endswith(f"by {centre_admin.full_name}") for line in lines)


def test_the_register_is_in_djangos_admin_to_read_not_to_change(
    centre, centre_admin, assessor, sfj
):
    entry = award(centre, assessor, centre_admin, qualifications=[sfj])
    enforce(centre, centre_admin)
    root = User.objects.create_superuser("root@example.org", "Root", "pw-123456789")
    client = logged_in(root)
    listing = client.get(reverse("admin:competence_competenceentry_changelist"))
    assert listing.status_code == 200 and assessor.full_name in listing.content.decode()
    shown = client.get(reverse("admin:competence_competenceentry_change", args=[entry.pk]))
    assert shown.status_code == 200 and 'name="_save"' not in shown.content.decode()
    assert client.get(reverse("admin:competence_competenceentry_add")).status_code == 403
    delete = reverse("admin:competence_competenceentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:competence_registerenforced_changelist")).status_code == 200
    assert CompetenceEntry.objects.filter(pk=entry.pk).exists()


def test_a_learner_or_an_admin_only_has_no_register_to_read_and_no_link_to_one(
    centre, centre_admin, learner, assessor
):
    mine = reverse("competence:mine")
    for person in (learner, centre_admin):
        client = logged_in(person)
        answer = client.get(mine)
        assert answer.status_code == 403
        assert NOT_A_PRACTITIONER.replace("'", "&#x27;") in answer.content.decode()
        assert f'href="{mine}"' not in client.get(reverse("home")).content.decode()
    client = logged_in(assessor)
    assert f'href="{mine}"' in client.get(reverse("home")).content.decode()
    assert client.get(mine).status_code == 200


def test_a_vra_award_cannot_cover_units_assessed_at_real_work_and_the_form_says_why(
    centre, centre_admin, assessor, sfj
):
    """Decision 49, amended on 7 December 2026. Seed 001 (lines 117-122) asks assessors of
    "competence-based units or qualifications" for an "appropriate" assessor qualification,
    "such as" the Award in Assessing Competence in the Work Environment or the Award in
    Assessing Vocationally Related Achievement; a unit whose evidence must come from real work
    (C&G 3412 unit 208: "Simulation is not allowed for any performance evidence within this
    Unit.") is assessed in the work environment, which the VRA award is not for."""
    cg = Qualification.objects.get(code="3412-03")
    add = reverse("competence:entry-add", args=[assessor.pk])
    client = logged_in(centre_admin)
    base = {"award": "assessing_vra", "status": "held", "achieved_on": "2020-05-04"}
    answer = client.post(add, {**base, "qualifications": [cg.pk], "units": "U00306"})
    errors = answer.context["form"].errors
    [on_qualifications] = errors["qualifications"]
    assert on_qualifications.startswith(
        "The Award in Assessing Vocationally Related Achievement does not qualify its holder to "
        "assess units whose evidence must come from real work: D/601/0936 "
    )
    assert "“Simulation is not allowed for any performance evidence within this Unit.”" in (
        on_qualifications
    )
    assert "Award in Assessing Competence in the Work Environment" in on_qualifications
    [on_units] = errors["units"]
    assert "U00306 Maintain a safe and secure working environment" in on_units
    assert on_units in answer.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert not CompetenceEntry.objects.exists()
    # The service refuses it too, changing nothing.
    details = EntryDetails(
        award=Award.ASSESSING_VRA,
        status=EntryStatus.HELD,
        achieved_on=datetime.date(2020, 5, 4),
        qualifications=[cg],
    )
    with pytest.raises(CompetenceRefused, match="Vocationally Related Achievement"):
        entry_record(centre=centre, person=assessor, details=details, actor=centre_admin)
    assert not CompetenceEntry.objects.exists()
    # A qualification whose units state no such rule (SFJ, seed 002) may be in its scope, and
    # the award for competence in the work environment covers the C&G one.
    client.post(add, {**base, "qualifications": [sfj.pk]})
    client.post(add, {**base, "award": "assessing_competence", "qualifications": [cg.pk]})
    assert sorted(CompetenceEntry.objects.values_list("award", flat=True)) == [
        "assessing_competence",
        "assessing_vra",
    ]
