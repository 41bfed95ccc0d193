import shutil
import subprocess

import pytest
from django.core.files.storage import default_storage

from certification.models import Certificate, Kind, RenderStatus
from certification.rendering import certificate_render, unit_lines
from certification.services import certificate_claim
from tests.certification.conftest import achieve
from tests.conftest import need

# Their centre holds Direct Claims Status: claims are issued at once (decision 29).
pytestmark = pytest.mark.usefixtures("direct_claims")


def pdf_text(content: bytes, tmp_path) -> str:
    need(shutil.which("pdftotext"), "reading PDFs needs pdftotext (apt-get install poppler-utils)")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


@pytest.fixture
def claimed(achieved, centre_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    certificate.refresh_from_db()
    return certificate


def test_the_full_certificate_pdf_states_the_learner_the_exact_title_the_number_and_each_unit(
    claimed, tmp_path
):
    assert claimed.status == RenderStatus.READY
    text = pdf_text(claimed.file.read(), tmp_path)
    s = claimed.snapshot
    assert s["learner_name"] in text
    assert s["qualification_title"] in text
    assert s["qualification_number"] in text
    assert claimed.number in text and claimed.learner_identifier in text
    for unit in s["units"]:
        assert unit["reference"] in text
    assert "/verify/" + claimed.number in text
    assert "Replacement" not in text


def test_the_pdf_is_the_centres_record_of_achievement_and_names_who_issues_the_certificate(
    claimed, tmp_path
):
    """Decision 30: what the portal prints is the centre's record, never the AO's certificate."""
    text = pdf_text(claimed.file.read(), tmp_path)
    assert text.startswith("Riverside Skills Academy Record of achievement This records that")
    assert (
        "This record of achievement is issued by Riverside Skills Academy; "
        "the certificate is issued by SFJ Awards." in text
    )
    assert "Record number " + claimed.number in text
    # Nothing calls it a certificate but the qualification's own title.
    rest = text.replace(claimed.snapshot["qualification_title"], "")
    assert "Certificate" not in rest and "certify" not in rest


def test_a_unit_record_that_supersedes_another_says_which_and_who_issues_unit_credit(
    registration, assessor, centre_admin, tmp_path, django_capture_on_commit_callbacks
):
    achieve(registration, assessor, codes={"F/506/2131"})
    first = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    achieve(registration, assessor, codes={"K/503/0421"})
    with django_capture_on_commit_callbacks(execute=True):
        second = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    second.refresh_from_db()
    text = pdf_text(second.file.read(), tmp_path)
    assert "Record of unit achievement" in text
    assert f"Supersedes record {first.number} of " in text
    assert (
        "This record of achievement is issued by Riverside Skills Academy; "
        "the certificate of unit credit is issued by SFJ Awards." in text
    )


def test_rendering_twice_leaves_one_file(claimed):
    name = claimed.file.name
    Certificate.objects.filter(pk=claimed.pk).update(status=RenderStatus.PENDING)
    certificate_render(claimed.pk)
    claimed.refresh_from_db()
    assert claimed.file.name == name  # the same name, overwritten, not a second file
    folder = default_storage.listdir("certificates")[1]
    assert [f for f in folder if f.startswith(claimed.number)] == [f"{claimed.number}.pdf"]


def test_a_unit_record_of_a_cvq_leaves_the_statement_of_competence_to_the_awarding_body(
    centre,
    centre_admin,
    learner,
    assessor,
    catalogue_db,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    from portfolios.services import RegistrationDetails, registration_create
    from qualifications.models import Qualification
    from tests.portfolios.conftest import START

    cvq = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="CCA010-02"),
            start_date=START,
            assessor=assessor,
        ),
        optional_units=["U13402"],
        actor=centre_admin,
    )
    achieve(cvq, assessor, codes={"U09602"})
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certificate_claim(registration=cvq, kind=Kind.UNIT, actor=centre_admin)
    certificate.refresh_from_db()
    text = pdf_text(certificate.file.read(), tmp_path)
    assert "Record of units of competence" in text and "U09602" in text
    # The Statement of Competence is the awarding body's document, not the centre's.
    ao = certificate.snapshot["awarding_organisation"]
    assert f"the Statement of Competence is issued by {ao}." in text


def test_the_unit_list_columns_line_up_whatever_the_lengths():
    units = [
        {"reference": "U09602", "title": "Short", "level": 2, "credits": 5},
        {"reference": "A/506/2130", "title": "Longer title", "level": 10, "credits": None},
    ]
    head, lines, indent = unit_lines(units)
    assert [len(columns) for columns, _ in lines] == [len(head)] * 2 == [indent] * 2
    assert head.split() == ["Unit", "Level", "Credit"]
    assert lines[0][0].split() == ["U09602", "2", "5"] and lines[0][1] == "Short"
    assert lines[1][0].split() == ["A/506/2130", "10", "—"]  # no credit value: a dash
