"""The claim path with RPL and exemptions (decision 50): readiness kept and refreshed, the claim,
the certificate's snapshot and PDF lines, and withdrawal refused while a certificate rests on
it."""

import datetime

import pytest
from django.template.loader import render_to_string

from certification.models import Kind
from certification.readiness import readiness_of, refresh_readiness
from certification.rendering import RPL_MARK, unit_lines
from certification.services import certificate_claim, certificate_revoke
from iqa.models import PlanItem, SamplingPlan, Stage
from iqa.selectors import NOT_SAMPLED, claim_blockers
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import ClaimList, ClaimReadiness, EvidenceMethod, RegistrationUnit
from portfolios.prior_learning import (
    PriorDetails,
    PriorLearningRefused,
    exemption_record,
    prior_learning_withdraw,
    rpl_record,
)
from qualifications.models import Unit
from tests.certification.conftest import achieve
from tests.portfolios.files import pdf

RPL_UNIT = "K/503/0421"  # 7 credits
SIGNED = "F/506/2131"
EXEMPT_UNIT = "L/506/1788"  # mandatory


@pytest.fixture(autouse=True)
def issued_at_once(direct_claims):
    return direct_claims


def record_rpl(registration, assessor, code=RPL_UNIT):
    details = EvidenceDetails("Prior certificate", datetime.date(2026, 9, 2), EvidenceMethod.RPL)
    evidence = evidence_add(
        registration=registration,
        details=details,
        files=[pdf(extra=b"prior")],
        declared=True,
        actor=registration.learner,
    )
    prior = PriorDetails(
        Unit.objects.get(code=code).pk, "Contact centre award, 2021", datetime.date(2021, 5, 4)
    )
    return rpl_record(
        registration=registration,
        details=PriorDetails(prior.unit_id, prior.description, prior.achieved_on, evidence),
        actor=assessor,
    )


def test_the_kept_readiness_is_refreshed_by_rpl_and_the_unit_certificate_flags_it(
    registration, assessor, centre_admin
):
    achieve(registration, assessor, codes={SIGNED})
    refresh_readiness(registration.centre)
    assert ClaimReadiness.objects.get(registration=registration).claimable_units == [SIGNED]
    record = record_rpl(registration, assessor)
    assert ClaimReadiness.objects.get(registration=registration).stale
    refresh_readiness(registration.centre)
    kept = ClaimReadiness.objects.get(registration=registration)
    assert kept.claimable_units == sorted([SIGNED, RPL_UNIT])
    assert kept.listed == ClaimList.UNIT
    assert kept.counted_credits == readiness_of(registration).verdict.counted_credits

    certificate = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    flagged = {u["reference"]: u["rpl"] for u in certificate.snapshot["units"]}
    assert flagged == {SIGNED: False, RPL_UNIT: True}
    assert certificate.snapshot["credits"] == sum(
        u["credits"] for u in certificate.snapshot["units"]
    )
    _, lines, _ = unit_lines(certificate.snapshot["units"])
    assert [title.endswith(RPL_MARK) for _, title in lines] == [False, True]

    # The certificate in force rests on the RPL: not withdrawn until it is revoked.
    with pytest.raises(PriorLearningRefused, match=certificate.number):
        prior_learning_withdraw(record=record, reason="Not genuine", actor=centre_admin)
    certificate_revoke(certificate=certificate, reason="Issued in error", actor=centre_admin)
    prior_learning_withdraw(record=record, reason="Not genuine", actor=centre_admin)
    assert readiness_of(registration).claimable_units == [SIGNED]


def test_a_full_certificate_names_the_exempt_unit_and_counts_no_credit_for_it(
    registration, assessor, centre_admin
):
    # More optional units, so that the credits are met without the exempt unit's.
    for code in ("D/506/2119", "H/506/2154", "K/506/2155"):
        RegistrationUnit.objects.create(registration=registration, unit=Unit.objects.get(code=code))
    details = PriorDetails(
        Unit.objects.get(code=EXEMPT_UNIT).pk, "Exempt by the AO", datetime.date(2021, 5, 4)
    )
    record = exemption_record(registration=registration, details=details, actor=centre_admin)
    others = set(registration.planned_units.values_list("unit__code", flat=True)) - {EXEMPT_UNIT}
    achieve(registration, assessor, codes=others)
    ready = readiness_of(registration)
    assert ready.full_ready, ready.full_reasons
    assert EXEMPT_UNIT not in ready.claimable_units
    assert ready.verdict.exempt_units == (EXEMPT_UNIT,)

    certificate = certificate_claim(registration=registration, kind=Kind.FULL, actor=centre_admin)
    snapshot = certificate.snapshot
    assert [u["reference"] for u in snapshot["exempt_units"]] == [EXEMPT_UNIT]
    assert EXEMPT_UNIT not in {u["reference"] for u in snapshot["units"]}
    assert snapshot["credits"] == ready.verdict.counted_credits
    _, lines, _ = unit_lines(snapshot["units"])
    context = {"certificate": certificate, "s": snapshot, "unit_lines": lines}
    page = render_to_string("certification/pdf/full.html", context)
    assert "Exempt (each satisfies the rules of combination and earns no credit)" in page
    assert f"{EXEMPT_UNIT} {Unit.objects.get(code=EXEMPT_UNIT).title}" in page
    with pytest.raises(PriorLearningRefused, match=certificate.number):
        prior_learning_withdraw(record=record, reason="Wrong unit", actor=centre_admin)


def test_a_summative_plan_item_on_a_unit_met_through_rpl_does_not_hold_the_claim(
    registration, assessor, centre_admin, iqa
):
    """Decision 54: an RPL (or exempt) unit has no assessor's decisions to sample; an item
    planned for it (say, while it was signed off, before an unlock) holds nothing back, and
    holds it back again if the RPL is withdrawn."""
    plan = SamplingPlan.objects.create(
        centre=registration.centre, qualification=registration.qualification, iqa=iqa,
        starts_on=datetime.date(2026, 9, 1), ends_on=datetime.date(2027, 8, 31),
    )  # fmt: skip
    rpl_unit = Unit.objects.get(code=RPL_UNIT)
    PlanItem.objects.create(
        plan=plan, registration=registration, unit=rpl_unit, assessor=assessor,
        stage=Stage.SUMMATIVE,
    )  # fmt: skip
    assert claim_blockers(registration) == {rpl_unit.pk: NOT_SAMPLED.format(unit=RPL_UNIT)}
    record = record_rpl(registration, assessor)
    assert claim_blockers(registration) == {}
    ready = readiness_of(registration)
    assert ready.claimable_units == [RPL_UNIT] and not ready.held
    certificate = certificate_claim(registration=registration, kind=Kind.UNIT, actor=centre_admin)
    assert [u["reference"] for u in certificate.snapshot["units"]] == [RPL_UNIT]
    certificate_revoke(certificate=certificate, reason="Issued in error", actor=centre_admin)
    prior_learning_withdraw(record=record, reason="Not genuine", actor=centre_admin)
    assert claim_blockers(registration) == {rpl_unit.pk: NOT_SAMPLED.format(unit=RPL_UNIT)}
