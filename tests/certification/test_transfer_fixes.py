"""What an attacker found in transfers (issue 19, decision 40): the sending centre's per-unit
assessors cleared on acceptance; certificates kept by the centre that claimed them; trainee
decisions awaiting a countersignature block the move; no withdrawal while a transfer waits; the
answers to written questions reach whoever assesses the learner now."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from assessment.models import Decision
from assessment.services import Judgement, decision_record
from certification.models import Certificate, Kind, RenderStatus, Transfer, TransferStatus
from certification.services import (
    NOT_THE_CLAIMING_ADMIN,
    certificate_claim,
    certificate_replace,
    certificate_revoke,
)
from certification.transfers import (
    ACHIEVED_ALREADY,
    AWAITING_COUNTERSIGNATURE,
    AWAITING_COUNTERSIGNATURE_ONE,
    NOT_APPROVED,
    TransferRefused,
    transfer_accept,
    transfer_cancel,
    transfer_start,
)
from portal.audit import audit_verify
from portal.models import Role, RoleKind
from portfolios.mapping import Targets
from portfolios.models import RegistrationStatus, RegistrationUnit
from portfolios.services import (
    TRANSFER_WAITING,
    RegistrationRejected,
    registration_unit_assessor_change,
    registration_withdraw,
)
from qualifications.models import Criterion, Unit
from tests.audit import AuditWatch
from tests.certification.conftest import REASON, achieve, person
from tests.factories import RoleFactory

UNIT = "A/506/2130"  # mandatory in the SFJ certificate: in every plan
SIGNED = "F/506/2131"  # Understand customers: another mandatory unit


def criteria(unit: Unit, n: int) -> Targets:
    first = Criterion.objects.filter(unit=unit).order_by("pk").values_list("pk", flat=True)[:n]
    return Targets(criteria=frozenset(first), range_items=frozenset(), knowledge_items=frozenset())


def decide(registration, unit, actor, n: int = 1) -> list[Decision]:
    return decision_record(
        registration=registration,
        targets=criteria(unit, n),
        judgement=Judgement("met", "product", datetime.date(2026, 10, 6)),
        evidence=[],
        actor=actor,
    )


def test_accepting_clears_the_sending_centres_unit_assessors_and_audits_it(
    asked, registration, centre, centre_admin, northgate, their_admin, their_assessor
):
    unit = Unit.objects.get(code=UNIT)
    # A second assessor at the sending centre, who also assesses at the receiving one.
    old = person(centre, RoleKind.ASSESSOR, "second@example.org")
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=old, actor=centre_admin
    )
    RoleFactory.create(user=old, centre=northgate, kind=RoleKind.ASSESSOR)
    watch = AuditWatch()
    transfer_accept(transfer=asked, assessor=their_assessor, iqa=None, actor=their_admin)
    assert RegistrationUnit.objects.get(registration=registration, unit=unit).assessor is None
    entry = next(e for e in watch.entries() if e.action == "registration.transferred_in")
    assert (entry.after or {})["unit_assessors_cleared"] == {UNIT: old.pk}
    registration.refresh_from_db()
    with pytest.raises(PermissionDenied):
        decide(registration, unit, old)
    assert decide(registration, unit, their_assessor)


def test_trainee_decisions_awaiting_a_countersignature_block_asking_and_accepting(
    registration, centre_admin, trainee_assessor, northgate, their_admin, their_assessor
):
    unit = Unit.objects.get(code=UNIT)
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=trainee_assessor, actor=centre_admin
    )
    asked = transfer_start(
        registration=registration, to_centre=northgate, reason=REASON, actor=centre_admin
    )
    assert all(d.provisional for d in decide(registration, unit, trainee_assessor, n=2))
    said = AWAITING_COUNTERSIGNATURE.format(count=2)
    with pytest.raises(TransferRefused) as refused:
        transfer_accept(transfer=asked, assessor=their_assessor, iqa=None, actor=their_admin)
    assert said in refused.value.messages
    transfer_cancel(transfer=asked, actor=centre_admin)
    watch = AuditWatch()
    with pytest.raises(TransferRefused) as refused:
        transfer_start(
            registration=registration, to_centre=northgate, reason=REASON, actor=centre_admin
        )
    assert said in refused.value.messages and watch.actions() == []
    registration.refresh_from_db()
    assert registration.centre_id == asked.from_centre_id
    assert Transfer.objects.filter(status=TransferStatus.PENDING).count() == 0


def test_the_start_form_shows_field_problems_under_their_fields_and_blockers_once(
    registration, centre_admin, other_centre, trainee_assessor, sfj
):
    unit = Unit.objects.get(code=UNIT)
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=trainee_assessor, actor=centre_admin
    )
    decide(registration, unit, trainee_assessor)
    client = Client()
    client.force_login(centre_admin)
    start = reverse("certification:transfer-new", args=[registration.pk])
    response = client.post(start, {"to_centre": other_centre.pk, "reason": REASON})
    form = response.context["form"]
    not_approved = NOT_APPROVED.format(centre=other_centre, title=sfj.title)
    assert form.errors == {"to_centre": [not_approved]}
    assert response.context["blockers"] == [AWAITING_COUNTERSIGNATURE_ONE]
    page = response.content.decode()
    assert page.count("1 of a trainee assessor") == 1  # under the heading, not again at the top
    heading = page.index("The learner cannot move yet:")
    assert page.index("1 of a trainee assessor") > heading
    assert page.index(not_approved.replace("'", "&#x27;")) > page.index("<form")


def test_a_registration_cannot_be_withdrawn_while_a_transfer_waits(
    asked, registration, centre_admin, northgate
):
    watch = AuditWatch()
    said = TRANSFER_WAITING.format(centre=northgate)
    with pytest.raises(RegistrationRejected) as refused:
        registration_withdraw(registration=registration, reason="Left.", actor=centre_admin)
    assert refused.value.messages == [said]
    client = Client()
    client.force_login(centre_admin)
    page = reverse("portfolios:registration-withdraw", args=[registration.pk])
    response = client.post(page, {"reason": "Left the employer."})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [said]
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACTIVE and watch.actions() == []
    # Once the sender cancels it, the learner may be withdrawn.
    transfer_cancel(transfer=asked, actor=centre_admin)
    registration_withdraw(registration=registration, reason="Left.", actor=centre_admin)


@pytest.fixture
def moved_with_a_unit_certificate(
    registration, assessor, centre_admin, direct_claims, their_admin, their_assessor, northgate
) -> Certificate:
    """A unit certificate claimed by the sending centre (its PDF made), then the learner moved."""
    achieve(registration, assessor, codes=[SIGNED])
    certificate = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    Certificate.objects.filter(pk=certificate.pk).update(status=RenderStatus.READY)
    asked = transfer_start(
        registration=registration, to_centre=northgate, reason=REASON, actor=centre_admin
    )
    transfer_accept(transfer=asked, assessor=their_assessor, iqa=None, actor=their_admin)
    certificate.refresh_from_db()
    return certificate


def test_the_receiving_centre_cannot_revoke_or_replace_what_the_sender_claimed(
    moved_with_a_unit_certificate, their_admin, northgate
):
    certificate = moved_with_a_unit_certificate
    said = NOT_THE_CLAIMING_ADMIN.format(centre=certificate.centre)
    watch = AuditWatch()
    for change in (certificate_revoke, certificate_replace):
        with pytest.raises(PermissionDenied) as refused:
            change(certificate=certificate, reason="Wrong name.", actor=their_admin)
        assert str(refused.value) == said
    client = Client()
    client.force_login(their_admin)
    page = reverse("certification:certificate-detail", args=[certificate.pk])
    shown = client.get(page)
    assert shown.status_code == 200  # they read it: it is their learner's now
    assert 'value="revoke"' not in shown.content.decode()
    assert 'data-testid="claimed-elsewhere"' in shown.content.decode()
    for action in ("revoke", "replace"):
        response = client.post(page, {"action": action, "reason": "Wrong name."})
        assert response.status_code == 403
        assert said.replace("'", "&#x27;") in response.content.decode()
    certificate.refresh_from_db()
    assert not certificate.is_revoked and not Certificate.objects.filter(replaces=certificate)
    assert watch.actions() == []


def test_the_claiming_centre_keeps_the_certificate_page_and_may_replace_and_revoke_it(
    moved_with_a_unit_certificate, centre, centre_admin, northgate
):
    watch = AuditWatch()
    replacement = certificate_replace(
        certificate=moved_with_a_unit_certificate, reason="Name misspelt.", actor=centre_admin
    )
    assert replacement.centre == centre
    client = Client()
    client.force_login(centre_admin)
    page = reverse("certification:certificate-detail", args=[replacement.pk])
    shown = client.get(page)
    assert shown.status_code == 200 and 'value="revoke"' in shown.content.decode()
    confirm = client.post(page, {"action": "revoke", "reason": "Issued in error."})
    assert confirm.status_code == 200
    client.post(page, {"action": "revoke-confirmed", "token": confirm.context["token"]})
    replacement.refresh_from_db()
    assert replacement.is_revoked
    # Recorded in the claiming centre's chain, not the receiving centre's.
    assert [(e.action, e.centre_id) for e in watch.entries()] == [
        ("certificate.replaced", centre.pk),
        ("certificate.revoked", centre.pk),
    ]
    assert audit_verify()[1] is None


def test_a_full_certificate_in_force_blocks_a_transfer(
    achieved, centre_admin, northgate, direct_claims
):
    certificate = certificate_claim(registration=achieved, kind=Kind.FULL, actor=centre_admin)
    Certificate.objects.filter(pk=certificate.pk).update(status=RenderStatus.READY)
    with pytest.raises(TransferRefused) as refused:
        transfer_start(
            registration=achieved, to_centre=northgate, reason=REASON, actor=centre_admin
        )
    assert ACHIEVED_ALREADY.format(number=certificate.number) in refused.value.messages


def test_an_accept_refused_by_a_blocker_lists_it_once_under_its_heading(
    asked, registration, centre_admin, trainee_assessor, their_admin, their_assessor
):
    unit = Unit.objects.get(code=UNIT)
    registration_unit_assessor_change(
        registration=registration, unit=unit, assessor=trainee_assessor, actor=centre_admin
    )
    decide(registration, unit, trainee_assessor)
    client = Client()
    client.force_login(their_admin)
    page = reverse("certification:transfer-detail", args=[asked.pk])
    response = client.post(page, {"action": "accept", "assessor": their_assessor.pk})
    assert response.status_code == 200
    assert response.context["accept_form"].errors == {}
    assert response.content.decode().count("1 of a trainee assessor") == 1
    asked.refresh_from_db()
    assert asked.is_pending


def test_the_learner_leaves_the_sending_centre_unless_a_registration_of_theirs_is_left_there(
    asked, registration, learner, centre, northgate, their_admin, their_assessor
):
    """Found by the second new-user review of issue 19: after moving, the learner logged in to
    the sending centre's learner role, with nothing of theirs there."""
    watch = AuditWatch()
    transfer_accept(transfer=asked, assessor=their_assessor, iqa=None, actor=their_admin)
    held = set(Role.objects.filter(user=learner).values_list("centre_id", "kind"))
    assert held == {(northgate.pk, RoleKind.LEARNER)}
    entry = next(e for e in watch.entries() if e.action == "registration.transferred_out")
    assert (entry.after or {})["learner_role_ended"] is True
    client = Client()
    client.force_login(learner)
    home = client.get("/").content.decode()
    assert registration.qualification.title in home  # their work, at once, at the new centre


def test_the_sending_centres_claims_page_no_longer_names_the_learner_who_moved(
    asked, registration, learner, centre_admin, their_admin, their_assessor
):
    """Found by the re-check of issue 19's fixes: the kept claim readiness stayed listed under
    the sending centre, whose claims page went on naming the learner and their reasons."""
    sender, receiver = Client(), Client()
    sender.force_login(centre_admin)
    receiver.force_login(their_admin)
    claims = reverse("certification:claims")
    assert learner.full_name in sender.get(claims).content.decode()  # kept under the sender
    transfer_accept(transfer=asked, assessor=their_assessor, iqa=None, actor=their_admin)
    assert learner.full_name not in sender.get(claims).content.decode()
    assert learner.full_name in receiver.get(claims).content.decode()
