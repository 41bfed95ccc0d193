"""The portfolio pack: a ZIP streamed from storage whose manifest's hashes are those of the bytes
written, holding the evidence exactly as uploaded and the records that judged it; named by
CXC's rule for a CVQ."""

import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage

from assessment.models import Decision
from certification.exports.batch import ExportRefused
from certification.exports.pack import NO_CANDIDATE_NUMBER, pack_name, pack_stream, portfolio_pack
from certification.models import Kind
from certification.services import certificate_claim
from portal.archives import CHUNK
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import EvidenceFile, Mapping, Registration
from tests.certification.conftest import achieve
from tests.certification.test_ao_exports import city_and_guilds, cvq, identify
from tests.portfolios.files import pdf

# Claims issued at once: the files are of what the AO let out (decision 29).
pytestmark = pytest.mark.usefixtures("direct_claims")

__all__ = ["city_and_guilds", "cvq"]


def unpacked(registration: Registration) -> tuple[str, zipfile.ZipFile, list[bytes]]:
    pack = portfolio_pack(registration)
    chunks = list(pack_stream(pack))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None  # every member's CRC checks
    return pack.filename, archive, chunks


def table(archive: zipfile.ZipFile, path: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(path).decode())))


def test_the_manifest_hashes_every_file_as_written_and_the_evidence_is_as_uploaded(
    registration, assessor, centre_admin, django_capture_on_commit_callbacks
):

    achieve(registration, assessor)
    certificate_claim(registration=registration, kind=Kind.FULL, actor=centre_admin)
    name, archive, _ = unpacked(registration)
    manifest = json.loads(archive.read("manifest.json"))
    listed = {f["path"]: f for f in manifest["files"] if f["path"] != "manifest.json"}
    assert set(listed) == set(archive.namelist()) - {"manifest.json", "SHA256SUMS"}
    for path, entry in listed.items():
        data = archive.read(path)
        assert (entry["size"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    stored = EvidenceFile.objects.filter(registration=registration)
    assert stored.count() == len([p for p in listed if p.startswith("evidence/")]) > 0
    for row in stored:
        [path] = [p for p in listed if p.startswith(f"evidence/{row.evidence_id}/{row.pk}-")]
        with row.file.open("rb") as original:
            assert archive.read(path) == original.read()
        assert listed[path]["stored_sha256"] == row.sha256
        assert listed[path]["matches_stored_sha256"] is True
    lines = archive.read("SHA256SUMS").decode().splitlines()
    sums = {path: digest for digest, path in (line.split("  ", 1) for line in lines)}
    assert sums["manifest.json"] == hashlib.sha256(archive.read("manifest.json")).hexdigest()
    assert all(sums[path] == entry["sha256"] for path, entry in listed.items())
    assert manifest["missing_from_storage"] == [] and manifest["name"] == name


def test_the_records_in_the_pack_are_the_portfolios(registration, assessor, centre_admin):
    registration = identify(registration, ao_registration_number="PQ-9 9")
    achieve(registration, assessor)
    certificate = certificate_claim(registration=registration, kind=Kind.FULL, actor=centre_admin)
    name, archive, _ = unpacked(registration)
    assert name == "PQ-99-SFJ-L2-CS-portfolio.zip"  # a space dropped
    decisions = table(archive, "decisions.csv")
    assert len(decisions) == Decision.objects.filter(registration=registration).count()
    assert {d["Decided by"] for d in decisions} == {assessor.full_name}
    mappings = table(archive, "mapping-index.csv")
    assert len(mappings) == Mapping.objects.filter(evidence__registration=registration).count()
    units = {p.unit.reference or p.unit.code for p in registration.planned_units.all()}
    assert {m["Unit"] for m in mappings} == units
    assert {s["Unit"] for s in table(archive, "sign-offs.csv")} == units
    [issued] = table(archive, "certificates.csv")
    assert (issued["Number"], issued["Kind"]) == (certificate.number, "Certificate")
    candidate = json.loads(archive.read("candidate.json"))
    assert candidate["learner"]["uln"] == "9276308686"
    assert candidate["registration"]["ao_registration_number"] == "PQ-9 9"
    [item] = table(archive, "evidence-index.csv")
    assert item["Files in this pack"] in archive.namelist()


def test_a_cvq_pack_is_named_by_the_candidate_number_and_the_cvq_code(cvq):
    Registration.objects.filter(pk=cvq.pk).update(ao_registration_number="0100123456")
    cvq.refresh_from_db()
    assert pack_name(cvq) == "0100123456CCA010-02.zip"
    Registration.objects.filter(pk=cvq.pk).update(ao_registration_number="")
    cvq.refresh_from_db()
    with pytest.raises(ExportRefused) as refused:
        portfolio_pack(cvq)
    assert refused.value.messages == [NO_CANDIDATE_NUMBER.format(name=cvq.learner.full_name)]


def test_without_an_ao_number_a_pack_is_named_by_the_uln_then_the_portals_identifier(
    city_and_guilds,
):
    assert (
        pack_name(city_and_guilds)
        == f"QPL{city_and_guilds.learner_id:08d}-600-1135-X-portfolio.zip"
    )
    identify(city_and_guilds)
    city_and_guilds.learner.refresh_from_db()
    assert pack_name(city_and_guilds) == "9276308686-600-1135-X-portfolio.zip"


def test_a_large_file_is_sent_a_chunk_at_a_time_and_one_gone_from_storage_is_listed(
    registration,
):
    big = pdf(extra=b"x" * (3 * CHUNK))
    details = EvidenceDetails("Video notes", registration.start_date, "product")
    evidence_add(
        registration=registration,
        details=details,
        files=[big, pdf(extra=b"gone")],
        declared=True,
        actor=registration.learner,
    )
    gone = EvidenceFile.objects.filter(registration=registration).order_by("-pk")[0]
    default_storage.delete(gone.file.name or "")
    _, archive, chunks = unpacked(registration)
    # Never more than a chunk (and a member's header) at a time, however big the file.
    assert max(len(c) for c in chunks) <= CHUNK + 1024
    manifest = json.loads(archive.read("manifest.json"))
    assert [m for m in manifest["missing_from_storage"] if f"/{gone.pk}-" in m]
    assert not [n for n in archive.namelist() if f"/{gone.pk}-" in n]
