"""The subject-access export: one learner's data and evidence as a ZIP with a manifest."""

import hashlib
import json
import tracemalloc
import zipfile
from pathlib import PurePosixPath

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils.dateparse import parse_datetime

from assessment.models import Decision, UnitSignOff
from iqa.models import Sample
from portal.http import EXTENSIONS, download_name
from portal.models import AuditEntry, Invitation, User
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import EvidenceFile, WitnessRequest
from portfolios.services import RegistrationDetails, registration_create
from privacy.documents import logs_said, safe_name
from privacy.export import subject_access_export
from privacy.records import LearnerRecords
from qualifications.models import Qualification
from tests.factories import CentreFactory, RoleFactory
from tests.integration.privacy.conftest import (
    AO_NUMBER,
    BORN,
    ELSEWHERE,
    EMAIL,
    IDENTITY,
    LEARNER_ADDRESS,
    NAME,
    OTHER_AO_NUMBER,
    OTHER_EMAIL,
    OTHER_NAME,
    OTHER_SECRETS,
    POSTCODE,
    SECRETS,
    STRANGER_ADDRESS,
    WITNESS_EMAIL,
    WITNESS_NAME,
)
from tests.portfolios.conftest import PROQUAL_OPTIONAL, START
from tests.portfolios.files import big_buffer, upload


def export(tmp_path, email=EMAIL, *options):
    target = tmp_path / "export.zip"
    call_command("export_subject_access", email, "--output", str(target), *options)
    return zipfile.ZipFile(target)


def read_json(archive, name):
    return json.loads(archive.read(name))


def every_byte(archive) -> bytes:
    return b"\n".join(archive.read(name) for name in archive.namelist())


def test_the_manifest_lists_every_file_of_the_zip_with_its_size_and_hash(tmp_path, record):
    archive = export(tmp_path)
    manifest = read_json(archive, "manifest.json")
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(archive.namelist()) == {*listed, "manifest.json"}
    for path, entry in listed.items():
        content = archive.read(path)
        assert entry["size"] == len(content)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
    assert {"README.txt", "data/evidence.json", "data/audit_log.json"} <= set(listed)
    assert all(entry["what"] for entry in listed.values())
    assert manifest["subject"] == {"id": record.learner.pk, "email": EMAIL}


def test_evidence_files_are_the_original_bytes_named_safely_with_the_stored_hash(tmp_path, record):
    archive = export(tmp_path)
    listed = {f["path"]: f for f in read_json(archive, "manifest.json")["files"]}
    files = list(EvidenceFile.objects.filter(registration=record.registration))
    assert len(files) == 2
    for row in files:
        [path] = [p for p in listed if p.startswith(f"evidence/{row.registration_id}/")
                  and p.split("/")[-1].startswith(f"{row.pk}-")]  # fmt: skip
        with default_storage.open(str(row.file.name), "rb") as stored:
            assert archive.read(path) == stored.read()
        assert listed[path]["sha256"] == listed[path]["stored_sha256"] == row.sha256
        assert listed[path]["matches_stored_sha256"] is True
    names = sorted(p.split("/")[-1] for p in listed if p.startswith("evidence/"))
    # The PNG uploaded as "photo of the shop floor.html" is named as what it is.
    assert names == sorted(
        [f"{files[0].pk}-{SECRETS['file']}.pdf", f"{files[1].pk}-photo-of-the-shop-floor.png"]
    )


@pytest.mark.parametrize(
    ("original", "content_type", "expected"),
    [
        ("../../etc/passwd", "text/plain", "passwd.txt"),
        ("évidence d'été.JPG", "image/jpeg", "evidence-d-ete.jpg"),
        ("notes.bat", "text/plain", "notes.txt"),
        (".hidden", "application/pdf", "file.pdf"),
        ("report", "application/x-unknown", "report.bin"),
        # As the portal's downloads do: a name already ending in one of its type's extensions
        # keeps it, and every type the portal serves has its own.
        ("site photo.JPEG", "image/jpeg", "site-photo.jpeg"),
        ("results.csv", "text/csv", "results.csv"),
    ],
)
def test_a_file_name_in_the_export_is_plain_and_has_the_extension_of_its_type(
    original, content_type, expected
):
    assert safe_name(original, content_type) == expected


@pytest.mark.parametrize("content_type", [*EXTENSIONS, "application/x-unknown"])
def test_a_file_in_the_export_has_the_extension_it_downloads_with(content_type):
    for sent in ["evidence", *(f"evidence{e}" for e in EXTENSIONS.get(content_type, ()))]:
        downloaded = PurePosixPath(download_name(sent, content_type)).suffix
        assert PurePosixPath(safe_name(sent, content_type)).suffix == downloaded


def test_the_data_matches_the_database(tmp_path, record):
    archive = export(tmp_path)
    account = read_json(archive, "data/account.json")
    assert (account["email"], account["full_name"]) == (EMAIL, NAME)
    assert [r["role"] for r in account["roles"]] == ["Learner"]
    # Their identity as the centre recorded it for the awarding organisation.
    assert {key: account[key] for key in ("legal_first_names", "legal_last_name", "uln")} == {
        key: IDENTITY[key] for key in ("legal_first_names", "legal_last_name", "uln")
    }
    assert (account["date_of_birth"], account["sex"], account["postcode"]) == (
        BORN,
        "Female",
        POSTCODE,
    )
    [registration] = read_json(archive, "data/registrations.json")
    assert registration["funding"] == "Funded"
    assert registration["id"] == record.registration.pk
    assert sorted(u["code"] for u in registration["units_chosen"]) == sorted(
        record.registration.planned_units.values_list("unit__code", flat=True)
    )
    items = read_json(archive, "data/evidence.json")
    assert sorted(i["id"] for i in items) == sorted(
        record.registration.evidence.values_list("pk", flat=True)
    )
    [item] = [i for i in items if i["id"] == record.evidence.pk]
    assert (item["title"], item["description"]) == (SECRETS["title"], SECRETS["description"])
    assert [i["title"] for i in items if i["id"] != item["id"]] == [
        f"Witness testimony from {WITNESS_NAME}"
    ]
    assert len(item["mappings"]) == record.evidence.mappings.count()
    [rejected] = [m for m in item["mappings"] if m["status"] == "Rejected by the assessor"]
    assert rejected["feedback"] == SECRETS["mapping feedback"]
    # The conversation on the evidence, oldest first, with who wrote and as whom.
    assert [(c["text"], c["as"]) for c in item["comments"]] == [
        (SECRETS["comment"], "Learner"),
        (SECRETS["reply"], "Assessor"),
    ]
    assessed = read_json(archive, "data/assessment.json")
    decisions = Decision.objects.filter(registration=record.registration)
    assert sorted(d["id"] for d in assessed["decisions"]) == sorted(d.pk for d in decisions)
    assert {d["feedback"] for d in assessed["decisions"]} == {SECRETS["decision feedback"]}
    [sign_off] = assessed["sign_offs"]
    assert sign_off["id"] == UnitSignOff.objects.get().pk and sign_off["your_signature"] == NAME
    [testimony] = read_json(archive, "data/witness_testimony.json")
    assert (testimony["witness_name"], testimony["statement"]) == (
        WITNESS_NAME,
        SECRETS["statement"],
    )
    # The questions their assessor set them, with their draft answer (decision 42).
    [asked] = read_json(archive, "data/questions.json")
    assert asked["title"] == SECRETS["questions title"] and asked["sent_at"] is None
    assert asked["questions_and_answers"] == [
        {"question": SECRETS["question"], "answer": SECRETS["draft answer"]}
    ]
    iqa = read_json(archive, "data/iqa.json")
    assert sorted(s["id"] for s in iqa["samples"]) == sorted(
        Sample.objects.values_list("pk", flat=True)
    )
    [acted] = [s for s in iqa["samples"] if s["actions"]]
    assert acted["actions"][0]["text"] == SECRETS["action"]
    assert acted["actions"][0]["assessor_response"] == SECRETS["response"]
    [certificate] = read_json(archive, "data/certificates.json")
    assert certificate["number"] == record.certificate.number
    assert certificate["what_it_states"] == record.certificate.snapshot
    with default_storage.open(record.certificate.file.name, "rb") as pdf:
        assert archive.read(certificate["pdf"]) == pdf.read()


def test_the_audit_log_part_holds_every_entry_about_them_including_removed_evidence(
    tmp_path, record
):
    expected = [e.pk for e in LearnerRecords(record.learner).audit_entries()]
    log = read_json(export(tmp_path), "data/audit_log.json")
    assert [e["id"] for e in log] == expected
    actions = {e["action"] for e in log}
    assert {"registration.created", "evidence.added", "evidence.removed", "witness.requested",
            "witness.confirmed", "decision.recorded", "unit.signed_off",
            "unit.learner_countersigned", "mapping.rejected", "iqa.sampled",
            "iqa.action_responded", "certificate.claimed"} <= actions  # fmt: skip
    # The removed item's entries are found through the registration its removal names.
    removed = next(e for e in log if e["action"] == "evidence.removed")["subject"]
    assert [e["action"] for e in log if e["subject"] == removed] == [
        "evidence.added",
        "evidence.removed",
    ]
    assert not {e["subject"].split(":")[0] for e in log} & {"plan", "strategy"}


def test_another_learners_data_never_appears_in_the_export(tmp_path, record, other):
    archive = export(tmp_path)
    everything = every_byte(archive).decode("utf-8", "replace")
    for text in (OTHER_NAME, OTHER_EMAIL, *OTHER_SECRETS.values(), "otto@example.org",
                 "Otto Whitlock", "other learner", OTHER_AO_NUMBER):  # fmt: skip
        assert text not in everything, text
    theirs = {record.registration.pk}
    for name in ("evidence", "witness_testimony", "certificates"):
        assert {row["registration"] for row in read_json(archive, f"data/{name}.json")} <= theirs
    assessed, iqa = read_json(archive, "data/assessment.json"), read_json(archive, "data/iqa.json")
    for rows in (*assessed.values(), *iqa.values()):
        assert {row["registration"] for row in rows} <= theirs
    for entry in read_json(archive, "data/audit_log.json"):
        assert other.registration.pk not in (
            (entry["before"] or {}).get("registration"),
            (entry["after"] or {}).get("registration"),
        )


def test_witness_emails_staff_emails_and_secrets_are_withheld_and_the_readme_says_so(
    tmp_path, record, assessor, iqa, centre_admin
):
    archive = export(tmp_path)
    everything = every_byte(archive).decode("utf-8", "replace")
    withheld = [WITNESS_EMAIL, assessor.email, iqa.email, centre_admin.email]
    withheld += [record.learner.password, WitnessRequest.objects.get().token_hash]
    for text in withheld:
        assert text not in everything, text
    readme = archive.read("README.txt").decode()
    assert "Witnesses' e-mail addresses" in readme and "password" in readme
    assert assessor.full_name in everything  # staff are named, as they acted in their role


def test_their_invitations_are_given_without_the_links_secret(tmp_path, record, assessor):
    archive = export(tmp_path)
    invitations = read_json(archive, "data/invitations.json")
    assert [(i["centre"], i["status"], i["name_given"], i["email"]) for i in invitations] == [
        (record.registration.centre.name, "Accepted", NAME, EMAIL),
        (ELSEWHERE, "Withdrawn", NAME, EMAIL),
    ]
    [asked] = invitations[0]["registrations_asked_for"]
    assert (asked["registration"], asked["ao_registration_number"], asked["assessor"]) == (
        record.registration.pk,
        AO_NUMBER,
        assessor.full_name,
    )
    everything = every_byte(archive).decode("utf-8", "replace")
    assert all(i.token_hash not in everything for i in Invitation.objects.all())
    actions = {e["action"] for e in read_json(archive, "data/audit_log.json")}
    assert {"invitation.created", "invitation.accepted", "invitation.withdrawn",
            "account.password_reset"} <= actions  # fmt: skip


def test_their_login_records_are_given_with_network_addresses_and_the_readme_says_what_is_kept(
    tmp_path, record
):
    archive = export(tmp_path)
    logins = read_json(archive, "data/logins.json")
    counting = [(a["network_address"], a["failures"]) for a in logins["failed_logins_counting"]]
    assert counting == [(STRANGER_ADDRESS, 1)]  # someone else's try, still on the record
    assert [a["network_address"] for a in logins["logins"]] == [LEARNER_ADDRESS]
    assert [a["network_address"] for a in logins["failed_logins"]] == [LEARNER_ADDRESS] * 2
    [session] = logins["sessions"]
    ends = Session.objects.get().expire_date
    assert parse_datetime(session["ends_at"]) == ends.replace(
        microsecond=ends.microsecond // 1000 * 1000
    )
    everything = every_byte(archive).decode("utf-8", "replace")
    assert Session.objects.get().session_key not in everything
    form = AccessAttempt.objects.get().post_data  # the form sent, masked: not given
    assert "password=" in form and "password=" not in everything
    manifest = read_json(archive, "manifest.json")
    assert manifest["login_records"] == logins["what_is_kept"]
    assert manifest["counts"]["login_records"] == 4
    readme = archive.read("README.txt").decode()
    assert "Login records\n" in readme and "may have been made by someone else" in readme


def test_what_the_export_says_of_the_login_logs_follows_the_settings(settings):
    assert (
        "a log of successful logins is not kept, and a log of each failed login is not kept"
        in logs_said()
    )
    settings.AXES_DISABLE_ACCESS_LOG = False
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    assert (
        "a log of successful logins is kept, and a log of each failed login is kept" in logs_said()
    )


def test_the_export_is_audited_with_counts_and_its_hash_and_no_personal_data(tmp_path, record):
    before = AuditEntry.objects.count()
    export(tmp_path)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("pk")
    assert (entry.action, entry.subject, entry.centre_id) == (
        "privacy.subject_access_exported",
        f"user:{record.learner.pk}",
        None,
    )
    digest = hashlib.sha256((tmp_path / "export.zip").read_bytes()).hexdigest()
    facts = entry.after
    assert isinstance(facts, dict)
    assert facts["sha256"] == digest and facts["counts"]["evidence_files"] == 2
    text = json.dumps(facts)
    assert NAME not in text and EMAIL not in text


def test_with_a_centre_only_that_centres_records_are_exported(
    tmp_path, record, centre_admin, assessor, iqa
):
    elsewhere = CentreFactory.create(name="Northgate College")
    RoleFactory.create(user=record.learner, centre=elsewhere)
    for person in (centre_admin, assessor, iqa):
        RoleFactory.create(user=person, centre=elsewhere, kind=person.roles.first().kind)
    proqual = Qualification.objects.get(code="601/3576/1")
    second = registration_create(
        centre=elsewhere,
        details=RegistrationDetails(
            learner=record.learner, qualification=proqual, start_date=START, assessor=assessor
        ),
        optional_units=PROQUAL_OPTIONAL,
        actor=centre_admin,
    )
    archive = export(tmp_path, EMAIL, "--centre", elsewhere.ao_centre_number)
    assert [r["id"] for r in read_json(archive, "data/registrations.json")] == [second.pk]
    assert read_json(archive, "data/evidence.json") == []
    assert [r["centre"] for r in read_json(archive, "data/account.json")["roles"]] == [
        "Northgate College"
    ]
    everything = every_byte(archive).decode("utf-8", "replace")
    assert SECRETS["title"] not in everything
    assert read_json(archive, "data/invitations.json") == []
    logins = read_json(archive, "data/logins.json")
    assert [logins[part] for part in ("failed_logins_counting", "logins", "failed_logins",
                                      "sessions")] == [[], [], [], []]  # fmt: skip
    assert LEARNER_ADDRESS not in everything and STRANGER_ADDRESS not in everything
    assert AuditEntry.objects.latest("pk").centre_id == elsewhere.pk


def test_the_command_says_where_the_zip_is_and_what_it_holds(tmp_path, record, capsys):
    export(tmp_path)
    out = capsys.readouterr().out
    assert f"Wrote {tmp_path / 'export.zip'}" in out
    assert f"for person {record.learner.pk}." in out
    assert "1 registration(s); 2 evidence item(s) with 2 file(s)" in out
    assert "1 certificate(s) with 1 PDF(s)" in out
    assert "2 invitation(s); 4 login record(s) and 1 session(s)" in out
    assert "Audit entry" in out


def test_a_folder_as_output_gets_a_zip_named_by_id_and_time_not_by_name(tmp_path, record):
    call_command("export_subject_access", EMAIL.upper(), "--output", str(tmp_path))
    [made] = tmp_path.glob("subject-access-*.zip")
    assert made.name.startswith(f"subject-access-{record.learner.pk}-")
    assert oct(made.stat().st_mode & 0o777) == "0o600"


def test_with_no_output_the_zip_goes_to_a_private_folder_of_the_portal_not_the_current_one(
    tmp_path, record, settings, monkeypatch
):
    settings.VAR_DIR = tmp_path / "var"
    monkeypatch.chdir(tmp_path)
    call_command("export_subject_access", EMAIL)
    [made] = (tmp_path / "var" / "exports").glob("subject-access-*.zip")
    assert oct(made.parent.stat().st_mode & 0o777) == "0o700"
    assert not list(tmp_path.glob("*.zip"))


@pytest.mark.parametrize(
    ("email", "options", "message"),
    [
        ("nobody@example.org", [], "No one has the e-mail address nobody@example.org."),
        (EMAIL, ["--centre", "NOPE-1"], "No centre has the id or AO centre number NOPE-1."),
        ("assessor@example.org", [], "assessor@example.org holds no learner role: this export"),
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(
    tmp_path, record, email, options, message
):
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match=message):
        export(tmp_path, email, *options)
    assert list(tmp_path.iterdir()) == [] and AuditEntry.objects.count() == before


def test_an_existing_file_is_never_overwritten(tmp_path, record):
    (tmp_path / "export.zip").write_bytes(b"keep me")
    with pytest.raises(CommandError, match="exists already"):
        export(tmp_path)
    assert (tmp_path / "export.zip").read_bytes() == b"keep me"


def test_a_file_missing_from_storage_is_reported_and_listed_in_the_manifest(
    tmp_path, record, capsys
):
    gone = EvidenceFile.objects.filter(registration=record.registration).earliest("pk")
    default_storage.delete(str(gone.file.name))
    archive = export(tmp_path)
    manifest = read_json(archive, "manifest.json")
    [missing] = manifest["missing_from_storage"]
    assert missing.split("/")[-1].startswith(f"{gone.pk}-") and missing not in archive.namelist()
    assert "is in the records but not in storage" in capsys.readouterr().out


def test_a_stored_file_that_changed_since_upload_is_flagged(tmp_path, record, capsys):
    changed = EvidenceFile.objects.filter(registration=record.registration).earliest("pk")
    with default_storage.open(str(changed.file.name), "wb") as stored:
        stored.write(b"%PDF-1.4 altered")
    listed = read_json(export(tmp_path), "manifest.json")["files"]
    [entry] = [f for f in listed if f.get("stored_sha256") == changed.sha256]
    assert entry["matches_stored_sha256"] is False
    assert "does not match the hash taken at upload" in capsys.readouterr().out


def test_evidence_is_streamed_into_the_zip_not_read_whole(tmp_path, record):
    size = 16 * 1024 * 1024
    evidence_add(
        registration=record.registration,
        details=EvidenceDetails("A long video", START, "product"),
        files=[upload("video.mp4", big_buffer(size).getvalue(), "video/mp4")],
        declared=True,
        actor=record.learner,
    )
    learner = User.objects.get(pk=record.learner.pk)
    tracemalloc.start()
    try:
        report = subject_access_export(
            learner=learner, centre=None, path=tmp_path / "big.zip", actor=None
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert any(p.size == size for p in report.parts)
    assert peak < 6 * 1024 * 1024  # a 16 MB file passed through in 1 MB chunks
