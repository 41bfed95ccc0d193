"""A learner transferred between centres (certification.transfers, decision 40): asked for by the
sending centre's admin, accepted or declined by the receiving centre's, cancelled by the sender;
the registration moves with its work under both centres' chains; blockers; the pack."""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from assessment.models import Decision, UnitSignOff
from certification.models import CentreApproval, Kind, Transfer, TransferStatus
from certification.services import certificate_claim
from certification.transfers import (
    CLAIM_PENDING,
    NOT_APPROVED,
    TransferRefused,
    centre_approval_record,
    transfer_accept,
    transfer_cancel,
    transfer_decline,
    transfer_pack_download,
    transfer_start,
)
from iqa.models import Verdict
from iqa.services import Judgement as Finding
from iqa.services import sample_record
from iqa.work import work_in_period
from portal.audit import audit_verify
from portal.models import AuditEntry, Notification, NotificationKind, Role, RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from tests.audit import AuditWatch
from tests.certification.conftest import REASON, achieve
from tests.factories import UserFactory
from tests.portfolios.files import pdf

SIGNED = "F/506/2131"  # Understand customers: a mandatory unit of the SFJ certificate


def accept(transfer, their_admin, their_assessor, their_iqa) -> Transfer:
    return transfer_accept(
        transfer=transfer, assessor=their_assessor, iqa=their_iqa, actor=their_admin
    )


def test_a_transfer_asked_for_moves_nothing_and_tells_the_receiving_admins_and_the_learner(
    registration, centre, centre_admin, learner, northgate, their_admin
):
    watch = AuditWatch()
    transfer = transfer_start(
        registration=registration, to_centre=northgate, reason=f"  {REASON} ", actor=centre_admin
    )
    registration.refresh_from_db()
    assert registration.centre == centre
    assert (transfer.status, transfer.reason) == (TransferStatus.PENDING, REASON)
    [entry] = watch.entries()
    assert (entry.action, entry.centre_id) == ("registration.transfer_requested", centre.pk)
    assert (entry.after or {})["to_centre"] == northgate.pk
    told = Notification.objects.filter(kind=NotificationKind.TRANSFER)
    assert set(told.values_list("recipient", "role_kind")) == {
        (their_admin.pk, RoleKind.CENTRE_ADMIN),
        (learner.pk, RoleKind.LEARNER),
    }


def test_accepting_moves_the_registration_with_its_work_and_both_chains_record_it(
    registration,
    centre,
    centre_admin,
    assessor,
    learner,
    northgate,
    their_admin,
    their_assessor,
    their_iqa,
    django_capture_on_commit_callbacks,
):
    achieve(registration, assessor, codes=[SIGNED])
    decisions = Decision.objects.filter(registration=registration).count()
    transfer = transfer_start(
        registration=registration, to_centre=northgate, reason=REASON, actor=centre_admin
    )
    watch = AuditWatch()
    with django_capture_on_commit_callbacks(execute=True):
        accept(transfer, their_admin, their_assessor, their_iqa)
    registration.refresh_from_db()
    assert (registration.centre, registration.assessor, registration.iqa) == (
        northgate,
        their_assessor,
        their_iqa,
    )
    # The work came with them: the same decisions and the signed-off unit, on the same record.
    assert Decision.objects.filter(registration=registration).count() == decisions
    assert UnitSignOff.objects.achieved().filter(registration=registration).count() == 1
    assert Role.objects.filter(user=learner, centre=northgate, kind=RoleKind.LEARNER).exists()
    assert {(e.action, e.centre_id) for e in watch.entries()} == {
        ("registration.transferred_out", centre.pk),
        ("registration.transferred_in", northgate.pk),
    }
    assert audit_verify()[1] is None
    told = Notification.objects.filter(kind=NotificationKind.TRANSFER, key__contains="accepted")
    assert set(told.values_list("recipient", flat=True)) == {
        learner.pk,
        centre_admin.pk,
        their_assessor.pk,
        their_iqa.pk,
    }
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.ACCEPTED and transfer.pack_sha256
    with transfer.pack.open("rb") as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    names = archive.namelist()
    assert "decisions.csv" in names and "manifest.json" in names
    assert any(name.startswith("evidence/") for name in names)


@pytest.mark.parametrize("who", ["outsider", "learner", "assessor", "their_admin"])
def test_only_the_learners_centre_admin_may_ask_for_a_transfer(
    request, registration, northgate, who
):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        transfer_start(registration=registration, to_centre=northgate, reason=REASON, actor=actor)
    assert not Transfer.objects.exists()


def test_a_centre_not_approved_for_the_qualification_is_refused_with_a_message(
    registration, other_centre, centre_admin, sfj
):
    watch = AuditWatch()
    with pytest.raises(TransferRefused) as refused:
        transfer_start(
            registration=registration, to_centre=other_centre, reason=REASON, actor=centre_admin
        )
    assert refused.value.messages == [NOT_APPROVED.format(centre=other_centre, title=sfj.title)]
    assert not Transfer.objects.exists() and watch.actions() == []


def test_a_claim_waiting_for_the_eqa_blocks_the_transfer(
    registration, northgate, centre_admin, assessor
):
    achieve(registration, assessor, codes=[SIGNED])
    # No Direct Claims Status: the claim waits for the AO's external quality assurer.
    certificate = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    with pytest.raises(TransferRefused) as refused:
        transfer_start(
            registration=registration, to_centre=northgate, reason=REASON, actor=centre_admin
        )
    assert CLAIM_PENDING.format(number=certificate.number) in refused.value.messages
    assert not Transfer.objects.exists()


def test_an_open_iqa_action_blocks_the_transfer_and_its_acceptance(
    registration, northgate, centre_admin, assessor, iqa, their_admin, their_assessor
):
    achieve(registration, assessor, codes=[SIGNED])
    transfer = transfer_start(
        registration=registration, to_centre=northgate, reason=REASON, actor=centre_admin
    )
    sample_record(
        registration=registration,
        unit_id=registration.planned_units.get(unit__code=SIGNED).unit_id,
        decisions=list(Decision.objects.filter(registration=registration, current=True)),
        evidence=list(registration.evidence.all()),
        judgement=Finding(True, True, True, False, True, Verdict.ACTION_REQUIRED, "Thin."),
        actions=[("Add a witness statement.", datetime.date(2026, 12, 1))],
        actor=iqa,
    )
    with pytest.raises(TransferRefused) as refused:
        accept(transfer, their_admin, their_assessor, None)
    assert any("IQA action on unit" in m for m in refused.value.messages)
    registration.refresh_from_db()
    transfer.refresh_from_db()
    assert registration.centre_id == transfer.from_centre_id and transfer.is_pending


@pytest.mark.parametrize("who", ["outsider", "learner", "centre_admin", "their_assessor"])
def test_nobody_but_the_receiving_centres_admin_may_accept_or_decline(
    request, asked, registration, who, their_assessor
):
    actor = request.getfixturevalue(who)
    watch = AuditWatch()
    with pytest.raises(PermissionDenied):
        transfer_accept(transfer=asked, assessor=their_assessor, iqa=None, actor=actor)
    with pytest.raises(PermissionDenied):
        transfer_decline(transfer=asked, reason="No room.", actor=actor)
    asked.refresh_from_db()
    registration.refresh_from_db()
    assert asked.is_pending and registration.centre_id == asked.from_centre_id
    assert watch.actions() == []


def test_a_second_accept_from_a_stale_page_changes_nothing(
    asked, registration, their_admin, their_assessor, their_iqa
):
    stale = Transfer.objects.get(pk=asked.pk)  # the page the second tab still shows
    accept(asked, their_admin, their_assessor, their_iqa)
    watch = AuditWatch()
    notified = Notification.objects.count()
    with pytest.raises(TransferRefused) as refused:
        accept(stale, their_admin, their_assessor, their_iqa)
    assert refused.value.messages == ["This transfer was accepted already: nothing changed."]
    assert watch.actions() == [] and Notification.objects.count() == notified


def test_the_people_chosen_must_work_at_the_receiving_centre(
    asked, assessor, their_admin, their_iqa
):
    with pytest.raises(TransferRefused) as refused:
        transfer_accept(transfer=asked, assessor=assessor, iqa=their_iqa, actor=their_admin)
    assert refused.value.messages == [
        f"{assessor.full_name} is not an assessor at Northgate College."
    ]
    asked.refresh_from_db()
    assert asked.is_pending


def test_a_declined_transfer_keeps_the_learner_and_tells_the_sender_why(
    asked, registration, centre, centre_admin, their_admin
):
    with pytest.raises(TransferRefused):
        transfer_decline(transfer=asked, reason="  ", actor=their_admin)
    transfer_decline(
        transfer=asked, reason="No assessor for this qualification.", actor=their_admin
    )
    asked.refresh_from_db()
    registration.refresh_from_db()
    assert asked.status == TransferStatus.DECLINED and registration.centre == centre
    entry = AuditEntry.objects.get(action="registration.transfer_declined")
    assert entry.centre_id == asked.to_centre_id
    told = Notification.objects.get(recipient=centre_admin, key__endswith="declined")
    assert "No assessor for this qualification." in told.text


def test_the_sender_may_cancel_while_it_waits_and_then_it_cannot_be_accepted(
    asked, centre_admin, their_admin, their_assessor
):
    transfer_cancel(transfer=asked, actor=centre_admin)
    with pytest.raises(TransferRefused):
        accept(asked, their_admin, their_assessor, None)
    with pytest.raises(TransferRefused):
        transfer_cancel(transfer=asked, actor=centre_admin)
    asked.refresh_from_db()
    assert asked.status == TransferStatus.CANCELLED
    # And a new one may be asked for.
    transfer_start(
        registration=asked.registration,
        to_centre=asked.to_centre,
        reason=REASON,
        actor=centre_admin,
    )
    assert Transfer.objects.filter(status=TransferStatus.PENDING).count() == 1


def test_only_one_transfer_waits_at_a_time(asked, registration, northgate, centre_admin):
    with pytest.raises(TransferRefused) as refused:
        transfer_start(
            registration=registration, to_centre=northgate, reason=REASON, actor=centre_admin
        )
    assert "already waiting" in refused.value.messages[0]


def test_the_pack_is_the_learners_and_the_receiving_admins_only(
    asked,
    learner,
    centre_admin,
    their_admin,
    their_assessor,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        accept(asked, their_admin, their_assessor, None)
    asked.refresh_from_db()
    for actor in (learner, their_admin):
        transfer_pack_download(transfer=asked, actor=actor)
    with pytest.raises(PermissionDenied):
        transfer_pack_download(transfer=asked, actor=centre_admin)
    downloads = AuditEntry.objects.filter(action="certification.transfer_pack_downloaded")
    assert downloads.count() == 2 and {e.centre_id for e in downloads} == {asked.to_centre_id}


def test_the_sending_centre_loses_the_learners_continuing_work(
    client, asked, registration, learner, assessor, centre_admin, their_admin, their_assessor
):
    accept(asked, their_admin, their_assessor, None)
    details = EvidenceDetails("After the move", datetime.date(2026, 11, 2), "product")
    new = evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    pages = [
        reverse("portfolios:registration-detail", args=[registration.pk]),
        reverse("portfolios:evidence-detail", args=[new.pk]),
    ]
    for person, status in ((assessor, 404), (centre_admin, 404), (their_assessor, 200)):
        client.force_login(person)
        assert [client.get(page).status_code for page in pages] == [status, status]
    # What the sending centre did stays in its own chain.
    assert AuditEntry.objects.filter(
        centre=asked.from_centre,
        action="registration.created",
        subject=f"registration:{registration.pk}",
    ).exists()


def test_an_approval_recorded_for_the_ao_is_audited_on_the_centres_chain(
    other_centre, sfj, catalogue_db
):
    operator = UserFactory.create(is_staff=True)
    centre_approval_record(
        centre=other_centre,
        qualification=sfj,
        approved_on=datetime.date(2025, 9, 1),
        note="Approval letter 2025-117.",
        actor=operator,
    )
    entry = AuditEntry.objects.get(action="centre.approved")
    assert (entry.centre_id, entry.subject) == (other_centre.pk, f"qualification:{sfj.pk}")
    assert CentreApproval.objects.filter(centre=other_centre, qualification=sfj).exists()


def test_the_work_kept_for_the_iqa_moves_with_the_registration(
    registration, centre, centre_admin, assessor, northgate, their_admin, their_assessor, their_iqa
):
    achieve(registration, assessor, codes=[SIGNED])
    ever = (datetime.date(2000, 1, 1), datetime.date(2100, 1, 1))
    qualification = registration.qualification
    before = work_in_period(centre, qualification, *ever)
    assert {w.registration for w in before} == {registration.pk}
    transfer = transfer_start(
        registration=registration, to_centre=northgate, reason=REASON, actor=centre_admin
    )
    accept(transfer, their_admin, their_assessor, their_iqa)
    assert work_in_period(centre, qualification, *ever) == []
    assert work_in_period(northgate, qualification, *ever) == before
