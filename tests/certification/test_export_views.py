"""The claims page's downloads for the awarding organisation: only the centre admin of the
learner's centre, each one audited, a refusal flashed with nothing written."""

import csv
import datetime
import hashlib
import io
import zipfile

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from certification.models import Kind
from certification.services import certificate_claim
from tests.audit import AuditWatch
from tests.certification.conftest import achieve
from tests.certification.test_ao_exports import identify

# Claims issued at once: the files are of what the AO let out (decision 29).
pytestmark = pytest.mark.usefixtures("direct_claims")


def form(registration, format="results"):
    today = timezone.localdate().isoformat()
    return {
        "qualification": registration.qualification_id,
        "format": format,
        "start": today,
        "end": today,
    }


def test_the_centre_admin_downloads_the_results_file_and_it_is_audited(
    client, registration, assessor, centre_admin
):
    registration = identify(registration)
    achieve(registration, assessor)
    certificate = certificate_claim(registration=registration, kind=Kind.FULL, actor=centre_admin)
    client.force_login(centre_admin)
    watch = AuditWatch()
    response = client.post(reverse("certification:results-file"), form(registration))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="results-')
    assert response["Cache-Control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["Certificate number"] for r in rows} == {certificate.number}
    [entry] = watch.entries()
    assert entry.action == "certification.results_exported" and entry.after is not None
    assert entry.actor_id == centre_admin.pk and entry.centre_id == registration.centre_id
    assert entry.after["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert entry.after["registrations"] == [registration.pk]


def test_a_refused_file_is_flashed_and_nothing_is_audited(
    client, registration, assessor, centre_admin
):

    achieve(registration, assessor)
    certificate_claim(registration=registration, kind=Kind.FULL, actor=centre_admin)
    client.force_login(centre_admin)
    watch = AuditWatch()
    response = client.post(reverse("certification:results-file"), form(registration))
    assert response.status_code == 302
    assert f"qualification={registration.qualification_id}" in response["Location"]
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(registration.learner.full_name in m for m in said)
    assert watch.actions() == []
    # A format of another AO's family is refused too.
    response = client.post(
        reverse("certification:results-file"), form(registration, format="cg-results")
    )
    assert response.status_code == 302 and watch.actions() == []


def test_the_pack_streams_to_the_centre_admin_only_and_each_download_is_audited(
    client, registration, assessor, centre_admin, learner, outsider
):
    achieve(registration, assessor)
    url = reverse("certification:portfolio-pack", args=[registration.pk])
    watch = AuditWatch()
    for person, status in ((learner, 403), (assessor, 403), (outsider, 404)):
        client.force_login(person)
        assert client.post(url).status_code == status
    assert client.get(url).status_code == 405
    assert watch.actions() == []
    client.force_login(centre_admin)
    response = client.post(url)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "manifest.json" in archive.namelist()
    [entry] = watch.entries()
    assert entry.after is not None
    assert (entry.action, entry.subject) == (
        "certification.portfolio_pack_downloaded",
        f"registration:{registration.pk}",
    )
    assert entry.after["counts"]["evidence_files"] == 1


def test_the_claims_page_offers_the_qualifications_own_ao_formats(
    client, registration, centre_admin
):
    client.force_login(centre_admin)
    page = client.get(reverse("certification:claims")).content.decode()
    assert 'data-testid="export-form"' in page
    assert 'value="results"' in page and 'value="registrations"' in page
    assert 'value="cg-results"' not in page and 'value="cvq-achievement"' not in page
    # The dates come filled in as a browser's date field reads them (yyyy-mm-dd): the first
    # of the month to today.
    today = datetime.date.today()
    assert f'name="start" value="{today.replace(day=1).isoformat()}"' in page
    assert f'name="end" value="{today.isoformat()}"' in page
