"""A qualification's lifecycle: its status and dates, in the files, the export, the admin and
the checks, and what each allows on a given day."""

import datetime
import json
import re

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from portal.models import User
from qualifications.catalogue_files import SEEDS_DIR, catalogue_files, normalise, read
from qualifications.lifecycle import claim_refusal, registration_refusal
from qualifications.loader import CatalogueError, catalogue_load
from qualifications.models import Qualification, QualificationStatus
from qualifications.validation import WARNING, validate

pytestmark = pytest.mark.django_db

D = datetime.date
LIFECYCLE = {
    "status": "operational",
    "operational_start": D(2014, 9, 1),
    "last_registration": D(2026, 8, 31),
    "certification_end": D(2028, 8, 31),
    "lifecycle_note": 'Profile: "Qualification start date 1/9/2014".',
}


def qualification(**given) -> Qualification:
    return Qualification(title="Test Level 2 Certificate", **{**LIFECYCLE, **given})


# What each status and date allows, day by day.


def test_a_consultation_draft_takes_no_registration_and_no_claim():
    draft = qualification(status=QualificationStatus.CONSULTATION_DRAFT)
    assert registration_refusal(draft, D(2026, 1, 5)) == (
        "Test Level 2 Certificate is a consultation draft: it can be browsed, but it takes no "
        "registrations until its awarding organisation makes it operational."
    )
    assert claim_refusal(draft, D(2026, 1, 5)) == (
        "Test Level 2 Certificate is a consultation draft: it can be browsed, but it takes no "
        "claims for certificates until its awarding organisation makes it operational."
    )


def test_a_withdrawn_qualification_takes_no_registration_and_no_claim():
    withdrawn = qualification(status=QualificationStatus.WITHDRAWN)
    assert registration_refusal(withdrawn, D(2026, 1, 5)) == (
        "Test Level 2 Certificate has been withdrawn: it takes no registrations."
    )
    assert claim_refusal(withdrawn, D(2026, 1, 5)) == (
        "Test Level 2 Certificate has been withdrawn: it takes no claims for certificates."
    )


def test_registrations_open_on_the_operational_start_date_and_not_before():
    assert registration_refusal(qualification(), D(2014, 8, 31)) == (
        "Test Level 2 Certificate takes registrations from 1 September 2014, its operational "
        "start date."
    )
    assert registration_refusal(qualification(), D(2014, 9, 1)) is None


def test_registrations_close_after_the_last_registration_date():
    assert registration_refusal(qualification(), D(2026, 8, 31)) is None
    assert registration_refusal(qualification(), D(2026, 9, 1)) == (
        "The last registration date of Test Level 2 Certificate was 31 August 2026: it takes no "
        "new registrations."
    )


def test_claims_go_on_after_registrations_close_until_the_certification_end_date():
    assert claim_refusal(qualification(), D(2028, 8, 31)) is None
    assert claim_refusal(qualification(), D(2028, 9, 1)) == (
        "The certification end date of Test Level 2 Certificate was 31 August 2028: its "
        "awarding organisation certificates no more learners on it."
    )


def test_blank_dates_set_no_limit():
    open_ended = qualification(
        operational_start=None, last_registration=None, certification_end=None
    )
    assert registration_refusal(open_ended, D(1990, 1, 1)) is None
    assert claim_refusal(open_ended, D(2090, 1, 1)) is None


# The files: loaded, exported and refused.


def with_lifecycle(catalogue, **given):
    catalogue["qualifications"][0].update({**LIFECYCLE, **given})
    return catalogue


def test_the_lifecycle_goes_from_the_file_to_the_export_unchanged(catalogue, write, capsys):
    catalogue_load([write(with_lifecycle(catalogue, status="withdrawn"))])
    call_command("export_qualification", "T/1")
    exported = json.loads(capsys.readouterr().out)
    assert {key: exported[key] for key in LIFECYCLE} == {
        "status": "withdrawn",
        "operational_start": "2014-09-01",
        "last_registration": "2026-08-31",
        "certification_end": "2028-08-31",
        "lifecycle_note": LIFECYCLE["lifecycle_note"],
    }
    # The export's values written back into a file load the same values again.
    catalogue["qualifications"][0].update({key: exported[key] for key in LIFECYCLE})
    catalogue_load([write(catalogue, "901-again.yaml")], force=True)
    again = Qualification.objects.get(code="T/1")
    assert (again.status, again.operational_start, again.last_registration) == (
        "withdrawn",
        D(2014, 9, 1),
        D(2026, 8, 31),
    )
    assert again.certification_end == D(2028, 8, 31)


def test_a_file_whose_last_registration_comes_after_its_certification_end_is_refused(
    catalogue, write
):
    bad = with_lifecycle(catalogue, last_registration=D(2029, 1, 31))
    with pytest.raises(CatalogueError) as refused:
        catalogue_load([write(bad)])
    assert (
        "qualification T/1: The certification end date (31 August 2028) is before the last "
        "registration date (31 January 2029)"
    ) in str(refused.value)
    assert not Qualification.objects.exists()


def test_a_file_with_a_date_that_is_not_a_date_or_an_unknown_status_is_refused(catalogue, write):
    with pytest.raises(CatalogueError, match=re.escape("operational_start must be a date")):
        catalogue_load([write(with_lifecycle(catalogue, operational_start="1/9/2014"))])
    with pytest.raises(CatalogueError, match=re.escape("status 'published' is not one of")):
        catalogue_load([write(with_lifecycle(catalogue, status="published"))])


def test_the_database_refuses_dates_out_of_order_from_any_path(catalogue, write):
    catalogue_load([write(catalogue)])
    with pytest.raises(IntegrityError), transaction.atomic():
        Qualification.objects.filter(code="T/1").update(
            operational_start=D(2020, 1, 1), last_registration=D(2019, 1, 1)
        )


def test_validation_warns_of_a_date_with_no_note_of_where_it_comes_from(catalogue, write):
    catalogue_load([write(with_lifecycle(catalogue, lifecycle_note=None))])
    found = [(f.severity, f.message) for f in validate(Qualification.objects.get(code="T/1"))]
    assert found == [
        (
            WARNING,
            "operational start date 1 September 2014, last registration date 31 August 2026, "
            "certification end date 31 August 2028: no lifecycle note says where it comes from",
        )
    ]


def test_every_quotation_in_the_real_files_lifecycle_notes_is_printed_in_its_seed():
    for path in catalogue_files():
        data = read(path)
        seed = normalise((SEEDS_DIR / data["source"]["file"]).read_text(encoding="utf-8"))
        for record in data["qualifications"]:
            quoted = re.findall(r'"([^"]+)"', record["lifecycle_note"])
            dated = any(record[key] for key in ("operational_start", "certification_end"))
            assert quoted or not dated, record["code"]
            for quotation in quoted:
                assert normalise(quotation) in seed, (record["code"], quotation)


def test_the_real_catalogue_dates_only_what_its_seeds_print(sfj_as_the_file_says):
    dated = {
        q.code: (q.status, q.operational_start, q.last_registration, q.certification_end)
        for q in Qualification.objects.all()
        if q.operational_start or q.last_registration or q.certification_end
    }
    assert dated == {"601/3576/1": ("operational", D(2014, 9, 1), None, None)}
    assert sfj_as_the_file_says.status == QualificationStatus.CONSULTATION_DRAFT


# The admin.


@pytest.fixture
def operator(client, catalogue, write):
    catalogue_load([write(catalogue)])
    user = User.objects.create_superuser("ops@example.org", "Platform Operator", "pw-ops-123456")
    client.force_login(user)
    return user


def admin_form(client, qualification: Qualification) -> tuple[str, dict]:
    """The qualification's admin page as it would be sent back unchanged (its inlines sent as
    none, which leaves their rows as they are)."""
    url = reverse("admin:qualifications_qualification_change", args=[qualification.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return url, data


def test_an_admin_edit_of_the_dates_renews_the_revision(client, operator):
    qualification = Qualification.objects.get(code="T/1")
    before = qualification.revision
    url, data = admin_form(client, qualification)
    data.update(status="withdrawn", last_registration="2026-08-31", lifecycle_note="A letter.")
    assert client.post(url, data).status_code == 302
    qualification.refresh_from_db()
    assert (qualification.status, qualification.last_registration) == ("withdrawn", D(2026, 8, 31))
    assert qualification.revision != before


def test_the_admin_refuses_dates_out_of_order_and_changes_nothing(client, operator):
    qualification = Qualification.objects.get(code="T/1")
    before = qualification.revision
    url, data = admin_form(client, qualification)
    data.update(last_registration="2029-01-31", certification_end="2028-08-31")
    page = client.post(url, data)
    assert page.status_code == 200
    assert "The certification end date (31 August 2028) is before the last registration date" in (
        page.content.decode()
    )
    qualification.refresh_from_db()
    assert (qualification.certification_end, qualification.revision) == (None, before)
