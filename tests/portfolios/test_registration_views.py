import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from portal.models import Invitation, RoleKind
from portfolios.bulk import UNREADABLE
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import Registration
from portfolios.services import ALREADY_REGISTERED
from tests.factories import RoleFactory
from tests.portfolios.conftest import SFJ_ENOUGH
from tests.portfolios.files import pdf
from tests.portfolios.test_bulk import GOOD, HEADER


def test_the_centre_admin_registers_a_learner_through_the_form(client, centre_admin, learner, sfj):
    client.force_login(centre_admin)
    url = reverse("portfolios:registration-create") + f"?qualification={sfj.pk}"
    page = client.get(url).content.decode()
    assert "Optional units" in page and "SFJ-CS2-07" in page
    # The group rules are beside the choice, not only the total.
    assert "Optional units: At least 13 credits from this group." in page
    response = client.post(
        url,
        {"learner": learner.pk, "start_date": "2026-09-01", "optional_units": SFJ_ENOUGH},
        follow=True,
    )
    assert f"{learner.full_name} is registered on" in response.content.decode()
    assert Registration.objects.filter(learner=learner).count() == 1


def test_a_refused_choice_shows_why_and_keeps_what_was_typed(client, centre_admin, learner, sfj):
    client.force_login(centre_admin)
    url = reverse("portfolios:registration-create") + f"?qualification={sfj.pk}"
    page = client.post(
        url,
        {
            "learner": learner.pk,
            "start_date": "2026-09-01",
            "ao_registration_number": "KEEP-ME",
            "optional_units": ["SFJ-CS2-07"],
        },
    ).content.decode()
    assert "Optional units: 5 of at least 13 credits (8 more credits needed)" in page
    assert 'value="KEEP-ME"' in page
    assert Registration.objects.count() == 0


def test_registering_a_learner_twice_on_a_qualification_is_refused_on_the_form(
    client, centre_admin, learner, sfj
):
    client.force_login(centre_admin)
    url = reverse("portfolios:registration-create") + f"?qualification={sfj.pk}"
    sent = {"learner": learner.pk, "start_date": "2026-09-01", "optional_units": SFJ_ENOUGH}
    assert client.post(url, sent).status_code == 302
    page = client.post(url, sent)
    assert page.status_code == 200
    message = ALREADY_REGISTERED.format(learner=learner.full_name, title=sfj.title)
    assert escape(message) in page.content.decode()
    assert Registration.objects.filter(learner=learner).count() == 1


def test_the_centre_admin_changes_units_on_the_page(client, centre_admin, registration):
    client.force_login(centre_admin)
    url = reverse("portfolios:registration-units", args=[registration.pk])
    client.post(url, {"optional_units": ["K/503/0421", "A/506/2158", "T/506/2126"]})
    assert registration.planned_units.filter(unit__code="A/506/2158").exists()


def test_bulk_upload_previews_then_registers(client, centre_admin, learner, assessor, iqa, sfj):
    client.force_login(centre_admin)
    url = reverse("portfolios:registration-bulk")
    page = client.post(
        url, {"file": SimpleUploadedFile("list.csv", GOOD.encode())}
    ).content.decode()
    assert "Register 1 learner and invite 1" in page
    assert Registration.objects.count() == 0
    answer = client.post(url, {"confirm": "1", "content": GOOD}, follow=True).content.decode()
    assert "1 learner registered. 1 invitation sent" in answer
    assert Registration.objects.count() == 1 and Invitation.objects.count() == 1


BIG_CELL = HEADER + f"big@example.org,{'A' * 200_000},SFJ-L2-CS,,,,2026-09-01,,\n"


def test_a_file_with_a_cell_over_the_csv_limit_is_refused_with_a_reason_at_both_steps(
    client, centre_admin, sfj
):
    client.force_login(centre_admin)
    url = reverse("portfolios:registration-bulk")
    said = UNREADABLE.format(line=2, problem="a cell is longer than 131,072 characters")
    preview = client.post(url, {"file": SimpleUploadedFile("list.csv", BIG_CELL.encode())})
    confirmed = client.post(url, {"confirm": "1", "content": BIG_CELL})
    for page in (preview, confirmed):
        assert page.status_code == 200 and said in page.content.decode()
    assert Registration.objects.count() == 0 and Invitation.objects.count() == 0


def test_a_file_with_bare_cr_line_endings_is_read_like_any_other(
    client, centre_admin, learner, assessor, iqa, sfj
):
    mac = GOOD.replace("\n", "\r")  # Excel's "CSV (Macintosh)"
    client.force_login(centre_admin)
    url = reverse("portfolios:registration-bulk")
    page = client.post(url, {"file": SimpleUploadedFile("list.csv", mac.encode())})
    assert "Register 1 learner and invite 1" in page.content.decode()
    answer = client.post(url, {"confirm": "1", "content": mac}, follow=True).content.decode()
    assert "1 learner registered. 1 invitation sent" in answer


def without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def bulk_pages(client, file: str) -> tuple[str, str]:
    """The preview of the file, and the page its confirmation leads to."""
    url = reverse("portfolios:registration-bulk")
    preview = client.post(url, {"file": SimpleUploadedFile("list.csv", file.encode())})
    confirmed = client.post(url, {"confirm": "1", "content": file}, follow=True)
    return without_csrf(preview.content.decode()), without_csrf(confirmed.content.decode())


AS_LEARNER = HEADER + (
    "taken@example.org,Name From The File,SFJ-L2-CS,assessor@example.org,,,2026-09-01,,"
    "SFJ-CS2-07;K/503/0421;T/506/2126\n"
)
AS_ASSESSOR = HEADER + (
    "learner@example.org,,SFJ-L2-CS,taken@example.org,,,2026-09-01,,SFJ-CS2-07;K/503/0421;T/506/2126\n"
)


@pytest.mark.parametrize("file", [AS_LEARNER, AS_ASSESSOR], ids=["as-learner", "as-assessor"])
@pytest.mark.parametrize("kind", [RoleKind.LEARNER, RoleKind.ASSESSOR, RoleKind.CENTRE_ADMIN])
def test_the_bulk_pages_read_the_same_whether_or_not_an_address_has_an_account_elsewhere(
    client, centre_admin, learner, assessor, iqa, sfj, other_centre, kind, file
):
    client.force_login(centre_admin)
    unknown = bulk_pages(client, file)
    Invitation.objects.all().delete()
    RoleFactory.create(
        centre=other_centre,
        kind=kind,
        user__email="taken@example.org",
        user__full_name="Ivy Secret",
    )
    known = bulk_pages(client, file)
    assert known == unknown
    assert "Ivy Secret" not in known[0] + known[1]
    assert Registration.objects.count() == 0  # neither file registered anyone now


@pytest.mark.parametrize("persona", ["learner", "assessor", "iqa", "centre_admin"])
def test_everyone_on_the_registration_can_open_it(client, request, registration, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("persona", "opens"),
    [
        ("learner", "portfolios:evidence-detail"),
        ("assessor", "assessment:evidence-review"),
        ("centre_admin", "portfolios:evidence-detail"),
    ],
)
def test_each_piece_of_evidence_and_unit_links_to_its_page(
    client, request, registration, learner, persona, opens
):
    on = datetime.date(2026, 10, 5)
    made = [
        evidence_add(
            registration=registration,
            details=EvidenceDetails(f"Piece {n}", on, "product"),
            files=[pdf(extra=str(n).encode())],
            declared=True,
            actor=learner,
        )
        for n in range(3)
    ]
    client.force_login(request.getfixturevalue(persona))
    page = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    html = page.content.decode()
    for evidence in made:
        assert f'<a href="{reverse(opens, args=[evidence.pk])}">{evidence.title}</a>' in html
    for unit_id in registration.planned_units.values_list("unit_id", flat=True):
        assert reverse("assessment:unit-progress", args=[registration.pk, unit_id]) in html


def test_an_outsider_cannot_open_or_guess_a_registration(client, outsider, registration):
    client.force_login(outsider)
    assert (
        client.get(reverse("portfolios:registration-detail", args=[registration.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("portfolios:registration-units", args=[registration.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("portfolios:registration-list"))
        .content.decode()
        .count(registration.learner.email)
        == 0
    )


def test_a_learner_of_the_same_centre_cannot_see_anothers_registration(
    client, centre, registration
):
    from portal.models import RoleKind
    from tests.factories import RoleFactory

    other = RoleFactory.create(centre=centre, kind=RoleKind.LEARNER).user
    client.force_login(other)
    assert (
        client.get(reverse("portfolios:registration-detail", args=[registration.pk])).status_code
        == 404
    )


@pytest.mark.parametrize("persona", ["learner", "assessor", "iqa"])
def test_only_centre_admins_register_or_change_units(client, request, registration, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("portfolios:registration-create")).status_code == 403
    assert client.get(reverse("portfolios:registration-bulk")).status_code == 403
    assert (
        client.post(
            reverse("portfolios:registration-units", args=[registration.pk]), {"optional_units": []}
        ).status_code
        == 403
    )


@pytest.mark.parametrize("field", ["learner", "assessor", "iqa"])
def test_the_registration_form_reaches_only_this_centres_people_and_says_the_same_of_anyone_else(
    client, centre_admin, learner, outsider, sfj, field
):
    client.force_login(centre_admin)
    url = reverse("portfolios:registration-create") + f"?qualification={sfj.pk}"
    assert outsider.email not in client.get(url).content.decode()
    pages = []
    for pk in (outsider.pk, 987654):  # another centre's admin, and nobody at all
        values = {"learner": learner.pk, "start_date": "2026-09-01", "optional_units": SFJ_ENOUGH}
        answer = client.post(url, {**values, field: pk})
        assert answer.status_code == 200
        pages.append(re.sub(r'value="[^"]+"', "", answer.content.decode()))
    assert pages[0] == pages[1] and "Select a valid choice" in pages[0]
    assert outsider.full_name not in pages[0]
    assert Registration.objects.count() == 0
