"""The AO's files, parsed back and compared with what was claimed: one layout per AO family
(Pearson-style registrations and results, City & Guilds results entry, CXC's achievement sheet
and portfolio completion record), and what each refuses."""

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.utils import timezone

from certification.exports.batch import (
    CANDIDATE_MISSING,
    FUNDING_MISSING,
    Batch,
    ExportRefused,
    batch_file,
)
from certification.exports.formats import FORMATS, Format
from certification.models import Certificate, Kind
from certification.services import certificate_claim
from portal.models import User
from portfolios.models import Registration, RegistrationStatus
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification, Unit
from tests.certification.conftest import achieve
from tests.portfolios.conftest import START

# Claims issued at once: the files are of what the AO let out (decision 29).
pytestmark = pytest.mark.usefixtures("direct_claims")

ULN = "9276308686"


def identify(registration: Registration, **more: str) -> Registration:
    """Record what an AO registers the learner by, and the registration's own details."""
    User.objects.filter(pk=registration.learner_id).update(
        legal_first_names="Ann Marie",
        legal_last_name="O'Brien-Smith",
        date_of_birth=datetime.date(2001, 4, 12),
        sex="F",
        postcode="SW1A 1AA",
        uln=ULN,
    )
    Registration.objects.filter(pk=registration.pk).update(**more)
    return Registration.objects.select_related("learner", "qualification", "centre").get(
        pk=registration.pk
    )


def batch(registration: Registration, format: Format, days: int = 1) -> Batch:
    today = timezone.localdate()
    return Batch(
        registration.centre,
        registration.qualification,
        format,
        today - datetime.timedelta(days=days),
        today,
    )


def parsed(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def claim(registration: Registration, kind: str, admin: User) -> Certificate:
    return certificate_claim(registration=registration, kind=kind, actor=admin)


def test_pearson_style_results_give_each_claimed_unit_with_the_learners_identity(
    registration, assessor, centre_admin
):
    registration = identify(registration, ao_registration_number="PQ123")
    achieve(registration, assessor)
    certificate = claim(registration, Kind.FULL, centre_admin)
    made = batch_file(batch(registration, Format.RESULTS))
    rows = parsed(made.text)
    assert list(rows[0]) == FORMATS[Format.RESULTS].header
    assert sorted(r["Unit reference"] for r in rows) == sorted(
        u["reference"] for u in certificate.snapshot["units"]
    )
    today = timezone.localdate().strftime("%d/%m/%Y")
    for row in rows:
        assert (row["Surname"], row["First name(s)"]) == ("O'Brien-Smith", "Ann Marie")
        assert (row["ULN"], row["Date of birth"], row["AO registration number"]) == (
            ULN,
            "12/04/2001",
            "PQ123",
        )
        assert row["Qualification number"] == registration.qualification.code  # SFJ: no number
        assert (row["Result"], row["Claim"], row["Certificate number"]) == (
            "Pass",
            "Full",
            certificate.number,
        )
        assert row["Date achieved"] == today and row["Claimed on"] == today
    assert made.rows == len(rows) and made.registrations == [registration.pk]
    assert made.filename.startswith("results-qualification-")


def test_a_unit_claimed_twice_is_given_once_from_the_later_certificate(
    registration, assessor, centre_admin
):
    registration = identify(registration)
    first = registration.planned_units.order_by("unit__code").first().unit
    achieve(registration, assessor, codes={first.code})
    unit_certificate = claim(registration, Kind.UNIT, centre_admin)
    achieve(
        registration,
        assessor,
        codes={p.unit.code for p in registration.planned_units.all()} - {first.code},
    )
    full = claim(registration, Kind.FULL, centre_admin)
    rows = parsed(batch_file(batch(registration, Format.RESULTS)).text)
    printed = first.reference or first.code
    assert [r["Certificate number"] for r in rows if r["Unit reference"] == printed] == [
        full.number
    ]
    assert unit_certificate.number not in {r["Certificate number"] for r in rows}
    # A revoked certificate is not sent.
    Certificate.objects.filter(pk=full.pk).update(revoked_at=timezone.now(), revocation_reason="x")
    rows = parsed(batch_file(batch(registration, Format.RESULTS)).text)
    assert {r["Certificate number"] for r in rows} == {unit_certificate.number}


def test_the_registrations_file_has_a_row_per_learner_registered_in_the_window(
    registration, centre, centre_admin, assessor, iqa, sfj, catalogue_db
):
    registration = identify(registration)
    other = User.objects.create_user(email="w@example.org", password="x", full_name="Wendy W")
    from portal.models import Role, RoleKind

    Role.objects.create(user=other, centre=centre, kind=RoleKind.LEARNER)
    withdrawn = registration_create(
        centre=centre,
        details=RegistrationDetails(learner=other, qualification=sfj, start_date=START),
        optional_units=["SFJ-CS2-07", "K/503/0421", "T/506/2126"],
        actor=centre_admin,
    )
    Registration.objects.filter(pk=withdrawn.pk).update(status=RegistrationStatus.WITHDRAWN)
    rows = parsed(batch_file(batch(registration, Format.REGISTRATIONS)).text)
    assert len(rows) == 1
    [row] = rows
    assert list(row) == FORMATS[Format.REGISTRATIONS].header
    assert (row["Surname"], row["First name(s)"], row["Sex"], row["Postcode"]) == (
        "O'Brien-Smith",
        "Ann Marie",
        "F",
        "SW1A 1AA",
    )
    assert (row["Date of birth"], row["ULN"], row["Start date"]) == (
        "12/04/2001",
        ULN,
        START.strftime("%d/%m/%Y"),
    )
    assert row["Centre learner reference"] == f"QPL{registration.learner_id:08d}"
    # Registered yesterday: not in today's window.
    Registration.objects.filter(pk=registration.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    with pytest.raises(ExportRefused) as refused:
        batch_file(batch(registration, Format.REGISTRATIONS))
    assert "Nobody was registered" in str(refused.value)


def test_a_file_is_refused_naming_each_learner_without_a_legal_identity(
    registration, assessor, centre_admin
):
    achieve(registration, assessor)
    claim(registration, Kind.FULL, centre_admin)
    with pytest.raises(ExportRefused) as refused:
        batch_file(batch(registration, Format.RESULTS))
    assert registration.learner.full_name in str(refused.value)
    assert "legal names, date of birth and sex" in str(refused.value)


def test_nothing_claimed_in_the_window_is_refused(registration, assessor, centre_admin):
    registration = identify(registration)
    achieve(registration, assessor)
    claim(registration, Kind.FULL, centre_admin)
    Certificate.objects.update(issued_at=timezone.now() - datetime.timedelta(days=10))
    with pytest.raises(ExportRefused) as refused:
        batch_file(batch(registration, Format.RESULTS, days=2))
    assert "No certificate of" in str(refused.value)
    assert batch_file(batch(registration, Format.RESULTS, days=11)).rows > 0


@pytest.fixture
def city_and_guilds(centre, centre_admin, learner, assessor, catalogue_db) -> Registration:
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="3412-03"),
            start_date=START,
            assessor=assessor,
        ),
        optional_units=["L/601/0933"],
        actor=centre_admin,
    )


def test_city_and_guilds_results_entry_marks_each_row_funded_and_gives_cgs_numbers(
    city_and_guilds, assessor, centre_admin
):
    registration = identify(city_and_guilds, funding="funded", ao_registration_number="CG7")
    achieve(registration, assessor)
    certificate = claim(registration, Kind.UNIT, centre_admin)
    unit = Unit.objects.get(code="L/601/0933")
    [row] = parsed(batch_file(batch(registration, Format.CG_RESULTS)).text)
    assert list(row) == FORMATS[Format.CG_RESULTS].header
    assert (row["Qualification"], row["Accreditation number"]) == ("3412-03", "600/1135/X")
    assert (row["Unit number"], row["Unit reference"]) == (unit.ao_unit_number, "L/601/0933")
    assert (row["Funding"], row["AO registration number"], row["ULN"]) == ("Funded", "CG7", ULN)
    assert row["Certificate number"] == certificate.number
    Registration.objects.filter(pk=registration.pk).update(funding="")
    with pytest.raises(ExportRefused) as refused:
        batch_file(batch(registration, Format.CG_RESULTS))
    assert refused.value.messages == [FUNDING_MISSING.format(who=registration.learner.full_name)]


@pytest.fixture
def cvq(centre, centre_admin, learner, assessor, iqa, catalogue_db) -> Registration:
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="CCA010-02"),
            start_date=START,
            assessor=assessor,
            iqa=iqa,
        ),
        optional_units=["U13402"],
        actor=centre_admin,
    )


def test_cxc_achievement_sheet_and_completion_record_follow_the_portfolio(
    cvq, assessor, iqa, centre_admin
):
    registration = identify(cvq, ao_registration_number="0100123456")
    achieve(registration, assessor, codes={"U09602"})
    certificate = claim(registration, Kind.UNIT, centre_admin)
    [row] = parsed(batch_file(batch(registration, Format.CVQ_ACHIEVEMENT)).text)
    assert (row["Candidate number"], row["CVQ code"], row["Unit code"]) == (
        "0100123456",
        "CCA010-02",
        "U09602",
    )
    assert (row["Assessor"], row["Internal verifier"]) == (assessor.full_name, iqa.full_name)
    assert (row["Award claimed"], row["Certificate number"]) == (
        "Statement of competence",
        certificate.number,
    )
    rows = parsed(batch_file(batch(registration, Format.CVQ_COMPLETION)).text)
    chosen = {p.unit.code for p in registration.planned_units.select_related("unit")}
    assert {r["Unit code"] for r in rows} == chosen and len(rows) == len(chosen)
    done = next(r for r in rows if r["Unit code"] == "U09602")
    unit = Unit.objects.get(code="U09602")
    criteria, ranges, knowledge = (
        unit.criteria.count(),
        unit.range_items.count(),
        unit.knowledge_items.count(),
    )
    assert done["Performance criteria met"] == f"{criteria} of {criteria}"
    assert done["Range covered"] == f"{ranges} of {ranges}" and ranges > 0
    assert done["Underpinning knowledge"] == f"{knowledge} of {knowledge}" and knowledge > 0
    # achieve() maps one piece; the sufficiency rules (at least 2 occasions) add a second.
    assert (done["Complete"], done["Evidence items"]) == ("Yes", "2")
    waiting = next(r for r in rows if r["Unit code"] == "U13402")
    assert waiting["Performance criteria met"].startswith("0 of ")
    assert (waiting["Complete"], waiting["Signed off on"], waiting["Evidence items"]) == (
        "No",
        "",
        "0",
    )


def test_cxc_files_need_each_candidates_number(cvq, assessor, centre_admin):
    registration = identify(cvq)
    achieve(registration, assessor, codes={"U09602"})
    claim(registration, Kind.UNIT, centre_admin)
    for format in (Format.CVQ_ACHIEVEMENT, Format.CVQ_COMPLETION):
        with pytest.raises(ExportRefused) as refused:
            batch_file(batch(registration, format))
        assert refused.value.messages == [
            CANDIDATE_MISSING.format(who=registration.learner.full_name)
        ]


def test_a_name_a_spreadsheet_would_run_is_written_as_text(registration, assessor, centre_admin):
    registration = identify(registration)
    User.objects.filter(pk=registration.learner_id).update(legal_last_name="=HYPERLINK(1)")
    achieve(registration, assessor)
    claim(registration, Kind.FULL, centre_admin)
    rows = parsed(batch_file(batch(registration, Format.RESULTS)).text)
    assert {r["Surname"] for r in rows} == {"'=HYPERLINK(1)"}


def test_every_column_is_documented_with_its_source():
    documented = (Path(__file__).resolve().parents[2] / "docs" / "ao-exports.md").read_text()
    for layout in FORMATS.values():
        assert f"### {layout.format.label}" in documented
        for column in layout.columns:
            assert f"| {column.header} | {column.source} |" in documented


@pytest.mark.parametrize("release", ["awaiting", "held"])
def test_a_claim_the_eqa_has_not_released_is_not_in_the_aos_file(
    registration, assessor, centre_admin, release
):
    """Without Direct Claims Status a claim waits for the AO's external quality assurer, or is
    held by them (decision 29): it is not the AO's to enter until released."""
    registration = identify(registration, ao_registration_number="PQ123")
    achieve(registration, assessor)
    certificate = claim(registration, Kind.FULL, centre_admin)
    Certificate.objects.filter(pk=certificate.pk).update(
        release=release, hold_reason="Sample first"
    )
    with pytest.raises(ExportRefused):
        batch_file(batch(registration, Format.RESULTS))
    Certificate.objects.filter(pk=certificate.pk).update(release="released")
    rows = parsed(batch_file(batch(registration, Format.RESULTS)).text)
    assert {r["Certificate number"] for r in rows} == {certificate.number}
