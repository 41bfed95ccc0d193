"""Retention: learners whose records have passed the period are anonymised, keeping what their
certificates show, with the audit chain still verifying."""

import datetime
import json
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.checks import run_checks
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessment.services import Judgement, decision_record
from certification.models import Certificate
from iqa.models import IqaDocument
from portal.audit import REDACTED, audit_verification
from portal.models import AuditEntry, Centre, Invitation, RoleKind, User
from portal.services import InvitationLinkProblem, Invitee, invitation_create, invitation_for_link
from portfolios.models import (
    Evidence,
    EvidenceFile,
    Registration,
    RegistrationStatus,
    WitnessRequest,
)
from portfolios.services import registration_choose_units
from privacy.models import Anonymisation
from privacy.records import LearnerRecords
from privacy.redaction import REMOVED, redacted
from privacy.retention import Due
from privacy.services import ANONYMISED_EMAIL, ANONYMISED_NAME, learner_anonymise
from tests.factories import PASSWORD, RoleFactory
from tests.integration.privacy.conftest import (
    AO_NUMBER,
    BEGUN_UNIT,
    BORN,
    ELSEWHERE,
    EMAIL,
    IDENTITY,
    LEARNER_ADDRESS,
    NAME,
    OTHER_EMAIL,
    OTHER_NAME,
    OTHER_ULN,
    POSTCODE,
    SECRETS,
    STRANGER_ADDRESS,
    WITNESS_EMAIL,
    WITNESS_JOB,
    WITNESS_NAME,
    YEARS_AGO,
    clock_at,
    criteria,
    dump,
    links_into,
    where,
)
from tests.portfolios.conftest import SFJ_ENOUGH, START


def retention(*options):
    call_command("apply_retention", *options)


def stored_files(settings) -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path.relative_to(root) for path in root.rglob("*") if path.is_file()}


def after(entry: AuditEntry | None) -> dict:
    assert entry is not None and isinstance(entry.after, dict)
    return entry.after


def test_nobody_is_anonymised_within_the_retention_period(settings, record, capsys):
    settings.RETENTION_YEARS = YEARS_AGO + 1
    before = dump()
    retention()
    assert dump() == before
    out = capsys.readouterr().out
    assert "Nothing to do" in out and "no audit entry written" in out


def test_a_dry_run_says_who_and_what_and_changes_nothing(settings, record, other, capsys):
    settings.RETENTION_YEARS = 6
    before, files = dump(), stored_files(settings)
    retention("--dry-run")
    assert dump() == before and stored_files(settings) == files
    out = capsys.readouterr().out
    assert "Dry run: nothing was changed." in out
    assert f"person {record.learner.pk}, last activity" in out
    assert "2 evidence file(s) and 1 IQA PDF(s) deleted" in out
    assert "1 certificate(s) kept as issued" in out
    assert "2 invitation(s)" in out and "4 login record(s) and 1 session(s) deleted" in out
    assert f"person {other.learner.pk}" not in out
    assert "1 learner(s) would be anonymised." in out
    assert NAME not in out and EMAIL not in out  # ids only: output ends up in logs


def test_anonymising_removes_their_name_and_email_from_every_row_but_the_certificate(
    settings, record, other
):
    settings.RETENTION_YEARS = 6
    # The search finds what is there: their invitations and logins filled these tables too.
    held = {model for model, _ in where(dump(), EMAIL)}
    assert {"portal.user", "portal.invitation", "portal.auditentry", "admin.logentry",
            "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"} <= held  # fmt: skip
    retention()
    rows = dump()
    assert where(rows, EMAIL) == set()
    assert where(rows, NAME) == {("certification.certificate", "snapshot.learner_name")}
    for text in (WITNESS_NAME, WITNESS_EMAIL, WITNESS_JOB, AO_NUMBER, *SECRETS.values()):
        assert where(rows, text) == set(), text
    for address in (LEARNER_ADDRESS, STRANGER_ADDRESS):  # where they, and someone, logged in from
        assert where(rows, address) == set(), address
    # Their identity for the awarding organisation: gone from their account, the invitation that
    # carried it and the audit entry that recorded it; the ULN stays on the certificate it
    # printed, as the name does.
    assert where(rows, IDENTITY["uln"]) == {("certification.certificate", "snapshot.uln")}
    for text in (BORN, POSTCODE, IDENTITY["legal_first_names"], IDENTITY["legal_last_name"]):
        assert where(rows, text) == set(), text
    learner = User.objects.get(pk=record.learner.pk)
    assert (learner.date_of_birth, learner.sex, learner.uln) == (None, "", "")
    assert User.objects.get(email=OTHER_EMAIL).uln == OTHER_ULN  # the other learner keeps theirs


def people_logged_in() -> list[str]:
    """Whom each stored session is logged in as (their id), as Django reads it."""
    return [str(s.get_decoded().get(SESSION_KEY)) for s in Session.objects.order_by("pk")]


def test_their_sessions_are_deleted_and_everyone_elses_kept(settings, client, record, other):
    settings.RETENTION_YEARS = 6
    client.force_login(other.learner)
    # Theirs ended years ago (30 minutes idle), but its row is still in the table.
    assert people_logged_in().count(str(record.learner.pk)) == 1
    retention()
    assert people_logged_in() == [str(other.learner.pk)]


def test_their_invitations_name_them_as_the_account_does_and_an_open_one_is_withdrawn(
    settings, monkeypatch, record, other, other_centre, outsider
):
    settings.RETENTION_YEARS = 6
    tokens: list[str] = []
    with clock_at(record.learner.date_joined, monkeypatch):  # never answered; long expired
        invitation_create(
            centre=other_centre,
            invitee=Invitee(EMAIL, NAME, RoleKind.ASSESSOR),
            actor=outsider,
            link_for=links_into(tokens),
        )
    retention()
    learner = User.objects.get(pk=record.learner.pk)
    found = Invitation.objects.exclude(email=OTHER_EMAIL).order_by("pk")
    assert [(i.centre.name, i.email, i.full_name, i.status) for i in found] == [
        (record.registration.centre.name, learner.email, learner.full_name, "accepted"),
        (ELSEWHERE, learner.email, learner.full_name, "withdrawn"),
        (other_centre.name, learner.email, learner.full_name, "withdrawn"),
    ]
    [asked] = found[0].registrations
    assert asked["registration"] == record.registration.pk
    assert (asked["ao_registration_number"], asked["optional_units"]) == (REMOVED, SFJ_ENOUGH)
    with pytest.raises(InvitationLinkProblem, match="has withdrawn this invitation"):
        invitation_for_link(tokens[0])
    assert Invitation.objects.get(email=OTHER_EMAIL).full_name == OTHER_NAME


def test_an_invitation_sent_to_them_within_the_period_keeps_them(
    settings, monkeypatch, record, other_centre, outsider
):
    settings.RETENTION_YEARS = 6
    with clock_at(timezone.now() - datetime.timedelta(days=365), monkeypatch):
        invitation_create(
            centre=other_centre,
            invitee=Invitee(EMAIL, NAME, RoleKind.LEARNER),
            actor=outsider,
            link_for=links_into([]),
        )
    retention()
    assert not Anonymisation.objects.exists()


def test_login_records_under_their_address_in_any_case_go_and_others_stay(settings, record, other):
    """Rows the portal's settings would not write today (a mixed-case address, the log of
    successful logins), as an older configuration or another login path may have left them."""
    settings.RETENTION_YEARS = 6
    row = {"user_agent": "Firefox", "ip_address": "203.0.113.9", "http_accept": "text/html",
           "path_info": "/admin/login/"}  # fmt: skip
    AccessAttempt.objects.create(
        username=EMAIL.upper(), get_data="", post_data="", failures_since_start=3, **row
    )
    AccessLog.objects.create(username=OTHER_EMAIL, **row)
    retention()
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        assert not model.objects.filter(username__iexact=EMAIL).exists()
    assert AccessLog.objects.filter(username=OTHER_EMAIL).count() == 1


def test_anonymising_keeps_what_the_records_are_about(settings, record):
    settings.RETENTION_YEARS = 6
    retention()
    learner = User.objects.get(pk=record.learner.pk)
    assert learner.full_name == ANONYMISED_NAME.format(pk=learner.pk)
    assert learner.email == ANONYMISED_EMAIL.format(pk=learner.pk)
    registration = learner.registrations.get()
    # Only a unit certificate: withdrawn, so no claims page or caseload lists them any more.
    assert registration.status == RegistrationStatus.WITHDRAWN
    assert registration.planned_units.count() == len(SFJ_ENOUGH) + 4
    assert registration.decisions.filter(outcome="met").count() == 10
    assert registration.sign_offs.get().achieved
    evidence = Evidence.objects.get(pk=record.evidence.pk)
    assert (evidence.title, evidence.description, evidence.method) == (
        REMOVED,
        "",
        "reflective_account",
    )
    # The conversation on the evidence: who wrote and when is kept, never the words.
    assert list(evidence.comments.values_list("text", "author_kind")) == [
        (REMOVED, "learner"),
        (REMOVED, "assessor"),
    ]
    witness = WitnessRequest.objects.get()
    assert (witness.witness_name, witness.witness_email, witness.statement) == (
        REMOVED,
        "",
        REMOVED,
    )
    assert witness.confirmed_at is not None and witness.expires_at <= timezone.now()


def test_a_registration_with_a_standing_full_certificate_ends_completed(settings, record):
    settings.RETENTION_YEARS = 6
    Certificate.objects.filter(pk=record.certificate.pk).update(kind="full")
    retention()
    assert Registration.objects.get(pk=record.registration.pk).status == "completed"


def test_the_account_can_no_longer_be_used(settings, client, record):
    settings.RETENTION_YEARS = 6
    login = reverse("login")
    assert client.post(login, {"username": EMAIL, "password": PASSWORD}).status_code == 302
    User.objects.filter(pk=record.learner.pk).update(last_login=record.learner.date_joined)
    session = client.session.session_key
    retention()
    learner = User.objects.get(pk=record.learner.pk)
    assert not learner.is_active and not learner.has_usable_password()
    assert not Session.objects.filter(session_key=session).exists()
    assert client.get(reverse("home")).status_code == 302  # the session they had is over
    fresh = Client()
    refused = fresh.post(login, {"username": learner.email, "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in fresh.session


def test_their_files_are_deleted_from_storage_and_the_certificate_pdf_kept(settings, record):
    settings.RETENTION_YEARS = 6
    evidence_files = [
        f.file.name for f in EvidenceFile.objects.filter(registration=record.registration)
    ]
    plan_pdf = record.iqa_document.file.name
    retention()
    assert not any(default_storage.exists(name) for name in [*evidence_files, plan_pdf])
    assert not EvidenceFile.objects.filter(registration=record.registration).exists()
    assert not IqaDocument.objects.filter(pk=record.iqa_document.pk).exists()
    assert default_storage.exists(record.certificate.file.name)
    assert Anonymisation.objects.get().files_to_delete == []


def test_the_certificate_still_verifies_with_the_name_it_was_issued_to(settings, client, record):
    settings.RETENTION_YEARS = 6
    retention()
    certificate = Certificate.objects.get()
    assert certificate.snapshot == record.certificate.snapshot
    page = client.get(reverse("certification:verify"), {"number": certificate.number})
    content = page.content.decode()
    assert "Genuine" in content and NAME in content
    assert record.certificate.snapshot["qualification_title"] in content


def test_the_audit_chain_verifies_after_anonymisation_with_the_redactions_sealed(
    settings, record, other, capsys
):
    settings.RETENTION_YEARS = 6
    entries = LearnerRecords(record.learner).entries_to_redact()
    changed = [e for e in entries if (redacted(e.before), redacted(e.after)) != (e.before, e.after)]
    assert len(changed) >= 8
    retention()
    verification = audit_verification()
    assert verification.broken is None and verification.redacted == len(changed)
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "The audit chain is intact" in out
    assert f"{len(changed)} of them had personal data redacted" in out
    # One seal in each chain touched: the learner's centre's, and the one that invited them.
    seals = AuditEntry.objects.filter(action=REDACTED)
    elsewhere = Centre.objects.get(name=ELSEWHERE)
    assert {s.centre_id for s in seals} == {record.registration.centre_id, elsewhere.pk}
    assert seals.count() == 2


def test_a_redacted_entry_edited_afterwards_is_still_caught(settings, record):
    settings.RETENTION_YEARS = 6
    retention()
    seal = AuditEntry.objects.get(action=REDACTED, centre=record.registration.centre_id)
    sealed = after(seal)["redacted"]
    victim = AuditEntry.objects.get(pk=int(next(iter(sealed))))
    victim.after = {**after(victim), "outcome": "not_yet"}
    victim.save()
    broken = audit_verification().broken
    assert broken is not None and broken.entry_id == victim.pk


def test_every_run_that_changes_something_writes_what_it_did_without_personal_data(
    settings, record
):
    settings.RETENTION_YEARS = 6
    mark = AuditEntry.objects.latest("pk").pk
    retention()
    written = AuditEntry.objects.filter(pk__gt=mark).order_by("pk")
    assert [e.action for e in written] == [
        REDACTED,  # one seal for each chain touched
        REDACTED,
        "privacy.anonymised",
        "privacy.retention_applied",
    ]
    run = after(written.last())
    assert run["anonymised"] == [record.learner.pk] and run["files_deleted"] == 3
    anonymised = after(written[2])
    assert anonymised["counts"]["evidence_files"] == 2
    assert anonymised["registrations"] == [record.registration.pk]
    text = json.dumps([e.after for e in written])
    assert NAME not in text and EMAIL not in text


def test_a_second_run_does_nothing_and_says_so(settings, record, capsys):
    settings.RETENTION_YEARS = 6
    retention()
    capsys.readouterr()
    before = dump()
    retention()
    assert dump() == before
    assert "Nothing to do" in capsys.readouterr().out


def test_another_learner_is_left_exactly_as_they_were(settings, record, other):
    settings.RETENTION_YEARS = 6

    def theirs(rows):
        marks = (OTHER_NAME, OTHER_EMAIL)
        return [r for r in rows if any(where([r], mark) for mark in marks)]

    before = theirs(dump())
    retention()
    assert theirs(dump()) == before and len(before) > 5


def test_a_learner_whose_role_was_taken_away_is_still_anonymised_by_their_registrations(
    settings, record
):
    settings.RETENTION_YEARS = 6
    record.learner.roles.all().delete()
    retention()
    assert Anonymisation.objects.get().user_id == record.learner.pk


def test_a_learner_who_also_holds_a_staff_role_is_kept_and_reported(
    settings, monkeypatch, record, other_centre, capsys
):
    settings.RETENTION_YEARS = 6
    with clock_at(record.learner.date_joined, monkeypatch):
        RoleFactory.create(user=record.learner, centre=other_centre, kind="assessor")
    before = dump()
    retention()
    assert dump() == before
    out = capsys.readouterr().out
    assert "Kept: 1 person(s)" in out and str(record.learner.pk) in out


def test_a_change_the_tables_keep_no_date_of_still_counts_as_activity(
    settings, monkeypatch, record, centre_admin
):
    """Units chosen again three years ago: only the audit log has the date."""
    settings.RETENTION_YEARS = 6
    with clock_at(timezone.now() - datetime.timedelta(days=365 * 3), monkeypatch):
        registration_choose_units(
            registration=record.registration,
            optional_units=[*SFJ_ENOUGH, "T/506/2160"],
            actor=centre_admin,
        )
    retention()
    assert not Anonymisation.objects.exists()


def test_work_within_the_period_keeps_the_learner(settings, monkeypatch, record, assessor):
    settings.RETENTION_YEARS = 6
    with clock_at(timezone.now() - datetime.timedelta(days=365 * 5), monkeypatch, today=START):
        decision_record(
            registration=record.registration,
            targets=criteria(BEGUN_UNIT, "1.2"),
            judgement=Judgement("met", "product", START, "Seen."),
            evidence=[],
            actor=assessor,
        )
    retention()
    assert not Anonymisation.objects.exists()


def test_activity_after_the_list_was_made_leaves_the_learner_alone(settings, record, assessor):
    settings.RETENTION_YEARS = 6
    decision_record(
        registration=record.registration,
        targets=criteria(BEGUN_UNIT, "1.2"),
        judgement=Judgement("met", "product", START, "Seen."),
        evidence=[],
        actor=assessor,
    )
    due = Due(record.learner, record.learner.date_joined)
    assert learner_anonymise(due=due, years=6, now=timezone.now(), actor=None) is None
    assert User.objects.get(pk=record.learner.pk).email == EMAIL


def test_a_staff_role_taken_after_the_list_was_made_leaves_the_learner_alone(
    monkeypatch, record, other_centre
):
    with clock_at(record.learner.date_joined, monkeypatch):
        RoleFactory.create(user=record.learner, centre=other_centre, kind="iqa")
    due = Due(record.learner, record.learner.date_joined)
    assert learner_anonymise(due=due, years=6, now=timezone.now(), actor=None) is None
    assert not Anonymisation.objects.exists()


def test_files_a_stopped_run_left_in_storage_are_deleted_by_the_next(
    settings, record, monkeypatch, capsys
):
    settings.RETENTION_YEARS = 6
    names = [
        str(f.file.name) for f in EvidenceFile.objects.filter(registration=record.registration)
    ]

    def stopped(anonymisation):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr("privacy.services.files_delete", stopped)
        with pytest.raises(KeyboardInterrupt):
            retention()
    assert all(default_storage.exists(name) for name in names)
    assert User.objects.get(pk=record.learner.pk).email != EMAIL  # committed before the files
    retention()
    assert not any(default_storage.exists(name) for name in names)
    assert "Deleted 3 file(s) an earlier run left in storage." in capsys.readouterr().out


@pytest.mark.parametrize("years", [2, 0, -1])
def test_a_retention_period_under_three_years_fails_the_system_check(settings, years):
    settings.RETENTION_YEARS = years
    assert [m.id for m in run_checks()] == ["privacy.E001"]


def test_the_default_retention_period_passes_the_system_check(settings):
    assert settings.RETENTION_YEARS == 6
    assert run_checks() == []
