"""RPL and exemptions on a registration (portfolios.prior_learning, decision 50): who records
them, on what, how they are withdrawn, and how every reader of the rules engine sees them."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from assessment.progress import progress_of
from assessment.services import MET_BY_PRIOR_LEARNING, DecisionRefused, unit_sign_off
from assessment.tracker import registration_tracker
from certification.readiness import refresh_readiness
from portal.models import Notification, NotificationKind, RoleKind
from portfolios.evidence import EvidenceDetails, EvidenceRejected, evidence_add, evidence_delete
from portfolios.models import (
    ClaimReadiness,
    EvidenceMethod,
    PriorLearning,
    PriorLearningKind,
    Registration,
    RegistrationStatus,
)
from portfolios.prior_learning import (
    ALREADY_RECORDED,
    EVIDENCE_NEEDED,
    EXEMPTION_BASIS_NEEDED,
    EXEMPTION_NO_EVIDENCE,
    REASON_NEEDED,
    PriorDetails,
    PriorLearningRefused,
    exemption_record,
    prior_learning_withdraw,
    rpl_record,
    standing_of,
)
from portfolios.services import DROPPED_PRIOR, RegistrationRejected, registration_choose_units
from portfolios.unit_states import UnitState, unit_standings
from qualifications.models import Unit
from tests.audit import AuditWatch
from tests.factories import PASSWORD, RoleFactory
from tests.portfolios.files import pdf

RPL_UNIT = "K/503/0421"  # optional, 7 credits, in the registration's plan
EXEMPT_UNIT = "SFJ-CS2-07"  # optional, 5 credits
PRIOR = "Certificate in Contact Centre Skills (ABC Awards, no. 88123), May 2021"


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


@pytest.fixture
def certificate_copy(registration, learner):
    details = EvidenceDetails("My 2021 certificate", datetime.date(2026, 9, 2), EvidenceMethod.RPL)
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def rpl(registration, evidence, actor, code=RPL_UNIT):
    details = PriorDetails(unit(code).pk, PRIOR, datetime.date(2021, 5, 4), evidence)
    return rpl_record(registration=registration, details=details, actor=actor)


def exempt(registration, actor, code=EXEMPT_UNIT):
    details = PriorDetails(unit(code).pk, "Exempt by the AO's letter", datetime.date(2021, 5, 4))
    return exemption_record(registration=registration, details=details, actor=actor)


def test_the_assessor_records_rpl_on_evidence_and_the_unit_is_achieved_through_rpl(
    registration, assessor, learner, certificate_copy
):
    watch = AuditWatch()
    record = rpl(registration, certificate_copy, assessor)
    assert (record.kind, record.agreed_by, record.evidence) == (
        PriorLearningKind.RPL,
        assessor,
        certificate_copy,
    )
    [entry] = watch.entries()
    assert entry.action == "prior_learning.rpl_recorded"
    assert entry.after is not None
    assert entry.after["unit"] == unit(RPL_UNIT).pk and entry.after["description"] == PRIOR
    # The evidence is agreed on: the learner can no longer take it away from under the RPL.
    certificate_copy.refresh_from_db()
    assert certificate_copy.is_locked
    with pytest.raises(EvidenceRejected):
        evidence_delete(evidence=certificate_copy, actor=learner)
    standings = unit_standings(registration, [unit(RPL_UNIT).pk])
    assert standings[unit(RPL_UNIT).pk].state == UnitState.RPL
    told = Notification.objects.get(recipient=learner, kind=NotificationKind.UNIT_SIGNED_OFF)
    assert "recognition of prior learning" in told.text


def test_rpl_counts_with_its_credit_and_is_flagged_in_progress(
    registration, assessor, certificate_copy
):
    before = progress_of([registration])[0]
    rpl(registration, certificate_copy, assessor)
    after = progress_of([registration])[0]
    assert after.units_achieved == before.units_achieved + 1
    assert after.verdict.achieved_credits == before.verdict.achieved_credits + 7
    assert after.verdict.rpl_units == (RPL_UNIT,)
    assert any("recognition of prior learning" in note for note in after.verdict.notes)
    assert RPL_UNIT not in (after.route.units if after.route else ())


def test_an_exemption_satisfies_its_place_and_earns_no_credit(registration, centre_admin):
    before = progress_of([registration])[0]
    exempt(registration, centre_admin)
    after = progress_of([registration])[0]
    assert after.verdict.achieved_credits == before.verdict.achieved_credits
    assert after.verdict.counted_credits == before.verdict.counted_credits
    assert after.verdict.exempt_units == (EXEMPT_UNIT,)
    assert after.units_achieved == before.units_achieved  # exempt is not achieved
    assert after.route is not None and EXEMPT_UNIT not in after.route.units
    [tracked] = [u for u in registration_tracker(registration) if u.unit.code == EXEMPT_UNIT]
    assert tracked.state == UnitState.EXEMPT


def test_rpl_needs_evidence_of_the_prior_learning(registration, assessor):
    details = PriorDetails(unit(RPL_UNIT).pk, PRIOR, datetime.date(2021, 5, 4))
    with pytest.raises(PriorLearningRefused) as refused:
        rpl_record(registration=registration, details=details, actor=assessor)
    assert refused.value.messages == [EVIDENCE_NEEDED]
    assert refused.value.fields == {EVIDENCE_NEEDED: "evidence"}
    assert not PriorLearning.objects.exists()


def test_only_a_qualified_assessor_of_the_unit_records_rpl_and_only_an_admin_an_exemption(
    registration, centre, centre_admin, assessor, iqa, learner, certificate_copy
):
    trainee = RoleFactory.create(centre=centre, kind=RoleKind.ASSESSOR, is_trainee=True).user
    registration.planned_units.filter(unit__code=RPL_UNIT).update(assessor=trainee)
    for who in (trainee, assessor, centre_admin, iqa, learner):
        with pytest.raises(PermissionDenied):
            rpl(registration, certificate_copy, who)
    for who in (assessor, iqa, learner):
        with pytest.raises(PermissionDenied):
            exempt(registration, who)
    assert not PriorLearning.objects.exists()


def test_a_unit_met_once_cannot_be_met_again_nor_signed_off(
    registration, assessor, centre_admin, certificate_copy
):
    rpl(registration, certificate_copy, assessor)
    with pytest.raises(PriorLearningRefused) as refused:
        exempt(registration, centre_admin, code=RPL_UNIT)
    name = f"{RPL_UNIT} {unit(RPL_UNIT).title}"
    assert refused.value.messages == [
        ALREADY_RECORDED.format(unit=name, what="achieved through RPL")
    ]
    with pytest.raises(DecisionRefused, match=MET_BY_PRIOR_LEARNING[:30]):
        unit_sign_off(
            registration=registration,
            unit_id=unit(RPL_UNIT).pk,
            signature="A. Assessor",
            password=PASSWORD,
            declared=True,
            actor=assessor,
        )


def test_a_withdrawal_needs_a_reason_keeps_the_record_and_marks_readiness_stale(
    registration, assessor, centre_admin, certificate_copy
):
    record = rpl(registration, certificate_copy, assessor)
    with pytest.raises(PriorLearningRefused, match=REASON_NEEDED):
        prior_learning_withdraw(record=record, reason=" ", actor=assessor)
    refresh_readiness(registration.centre)
    kept = ClaimReadiness.objects.get(registration=registration)
    assert kept.claimable_units == [RPL_UNIT] and not kept.stale
    watch = AuditWatch()
    prior_learning_withdraw(record=record, reason="The certificate is not genuine", actor=assessor)
    record.refresh_from_db()
    assert record.withdrawn_by == assessor and not record.in_force
    assert [e.action for e in watch.entries()] == ["prior_learning.rpl_withdrawn"]
    assert standing_of(registration).rpl == frozenset()
    kept.refresh_from_db()
    assert kept.stale
    # Recorded again afterwards, on the same unit: the old record stays, withdrawn.
    rpl(registration, certificate_copy, assessor)
    assert PriorLearning.objects.filter(registration=registration).count() == 2


def test_an_assessor_cannot_withdraw_an_exemption(registration, assessor, centre_admin):
    record = exempt(registration, centre_admin)
    with pytest.raises(PermissionDenied):
        prior_learning_withdraw(record=record, reason="Wrong", actor=assessor)
    prior_learning_withdraw(record=record, reason="Wrong unit", actor=centre_admin)


def logged_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_assessor_uploads_a_copy_on_the_page_and_everyone_sees_the_unit_met(
    registration, assessor, learner, iqa
):
    url = reverse("portfolios:rpl-new", args=[registration.pk])
    client = logged_in(assessor)
    page = client.get(url)
    assert page.status_code == 200 and RPL_UNIT in page.content.decode()
    response = client.post(
        url,
        {
            "unit": unit(RPL_UNIT).pk,
            "description": PRIOR,
            "achieved_on": "2021-05-04",
            "evidence_files": pdf(extra=b"rpl copy"),
        },
    )
    assert response.status_code == 302
    record = PriorLearning.objects.get()
    assert record.evidence is not None and record.evidence.method == EvidenceMethod.RPL
    assert record.evidence.files.count() == 1
    for who in (learner, iqa, assessor):
        shown = logged_in(who).get(
            reverse("portfolios:registration-detail", args=[registration.pk])
        )
        text = shown.content.decode()
        assert PRIOR in text and "achieved through recognition of prior learning" in text


def test_a_refusal_is_shown_under_its_field(registration, assessor):
    response = logged_in(assessor).post(
        reverse("portfolios:rpl-new", args=[registration.pk]),
        {"unit": unit(RPL_UNIT).pk, "description": PRIOR, "achieved_on": "2021-05-04"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"evidence": [EVIDENCE_NEEDED]}


def test_the_withdrawal_page_refuses_without_a_reason_and_withdraws_with_one(
    registration, centre_admin
):
    record = exempt(registration, centre_admin)
    url = reverse("portfolios:prior-learning-withdraw", args=[record.pk])
    client = logged_in(centre_admin)
    assert client.post(url, {"reason": ""}).status_code == 200
    assert client.post(url, {"reason": "Recorded by mistake"}).status_code == 302
    record.refresh_from_db()
    assert record.withdrawal_reason == "Recorded by mistake"


def test_an_exemption_rests_on_the_other_award_and_asks_for_no_evidence_of_prior_learning(
    registration, centre_admin
):
    """An exemption is credit from another qualification (DOMAIN.md, rules of combination
    item 7): the form asks which award exempts the learner, not for evidence of prior learning,
    and nothing is added to the learner's portfolio."""
    url = reverse("portfolios:exemption-new", args=[registration.pk])
    client = logged_in(centre_admin)
    page = client.get(url)
    form = page.context["form"]
    assert "evidence" not in form.fields and "evidence_files" not in form.fields
    text = page.content.decode()
    assert "prior learning" not in text.lower()
    assert "The award that exempts the learner" in text
    response = client.post(
        url,
        {
            "unit": unit(EXEMPT_UNIT).pk,
            "description": "Level 2 Certificate in Customer Service, unit 7 (AO letter 2021/44)",
            "achieved_on": "2021-05-04",
            "evidence_files": pdf(extra=b"not wanted"),
        },
    )
    assert response.status_code == 302
    record = PriorLearning.objects.get()
    assert record.kind == PriorLearningKind.EXEMPTION and record.evidence is None
    assert not registration.evidence.exists()


def test_an_exemption_refuses_evidence_of_prior_learning_and_says_what_it_rests_on(
    registration, centre_admin, certificate_copy
):
    details = PriorDetails(unit(EXEMPT_UNIT).pk, " ", datetime.date(2021, 5, 4), certificate_copy)
    with pytest.raises(PriorLearningRefused) as refused:
        exemption_record(registration=registration, details=details, actor=centre_admin)
    assert refused.value.messages == [EXEMPTION_BASIS_NEEDED, EXEMPTION_NO_EVIDENCE]
    assert not PriorLearning.objects.exists()


def test_a_unit_held_by_an_exemption_cannot_leave_the_plan_until_it_is_withdrawn(
    registration, centre_admin
):
    """Decision 54: the plan's change is refused, naming the unit, and changes nothing; once
    the exemption is withdrawn (with its reason) the unit can go."""
    exempt(registration, centre_admin)
    others = ["K/503/0421", "A/506/2158", "T/506/2126"]  # without the exempt SFJ-CS2-07
    watch = AuditWatch()
    with pytest.raises(RegistrationRejected) as refused:
        registration_choose_units(
            registration=registration, optional_units=others, actor=centre_admin
        )
    name = f"{EXEMPT_UNIT} {unit(EXEMPT_UNIT).title}"
    assert refused.value.messages == [DROPPED_PRIOR.format(unit=name, what="exempt")]
    assert registration.planned_units.filter(unit__code=EXEMPT_UNIT).exists()
    assert not watch.entries()
    prior_learning_withdraw(
        record=PriorLearning.objects.get(), reason="Taking unit 7 out", actor=centre_admin
    )
    registration_choose_units(registration=registration, optional_units=others, actor=centre_admin)
    assert not registration.planned_units.filter(unit__code=EXEMPT_UNIT).exists()
    assert standing_of(registration).exempt == frozenset()


@pytest.mark.parametrize("status", [RegistrationStatus.WITHDRAWN, RegistrationStatus.COMPLETED])
def test_nothing_is_withdrawn_on_a_closed_registration(registration, centre_admin, status):
    """Like every other record of a closed registration: refused with the reason, the page
    sends the admin back to the registration with it."""
    record = exempt(registration, centre_admin)
    Registration.objects.filter(pk=registration.pk).update(status=status)
    registration.refresh_from_db()
    record.refresh_from_db()
    with pytest.raises(PriorLearningRefused, match="nothing more can be added"):
        prior_learning_withdraw(record=record, reason="Wrong unit", actor=centre_admin)
    url = reverse("portfolios:prior-learning-withdraw", args=[record.pk])
    client = logged_in(centre_admin)
    detail = reverse("portfolios:registration-detail", args=[registration.pk])
    for response in (client.get(url), client.post(url, {"reason": "Wrong unit"})):
        assert response.status_code == 302 and response["Location"] == detail
    record.refresh_from_db()
    assert record.in_force
