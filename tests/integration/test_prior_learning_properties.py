"""Properties of the rules engine as the portal calls it with a registration's RPL and
exemptions (`portfolios.prior_learning`: verdict_with, route_with, plan_verdict_with; decision
50), on the random small qualifications of test_rules_properties.py.

Pure Python, but in the integration suite for its time, as the engine's other properties are;
the last one, over criteria met through RPL (decision 54), runs the services on the database.
"""

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.progress import progress_of
from assessment.services import (
    DecisionRefused,
    Judgement,
    decision_record,
    unit_learner_countersign,
    unit_missing,
    unit_sign_off,
)
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.models import EvidenceMethod
from portfolios.prior_learning import (
    PriorDetails,
    PriorStanding,
    plan_verdict_with,
    route_with,
    rpl_items_record,
    verdict_with,
)
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Criterion, Qualification, Unit
from qualifications.rules import Rules, evaluate
from tests.factories import PASSWORD
from tests.integration.test_rules_properties import PROPERTY_SETTINGS, qualifications
from tests.portfolios.files import pdf


@st.composite
def standings(draw: st.DrawFn) -> tuple[Rules, frozenset[str], PriorStanding]:
    """A qualification, units signed off, and RPL and exemptions on other units of it (as the
    services keep them: a unit is met one way at most)."""
    rules = draw(qualifications())
    codes = sorted(rules.units)
    how = {code: draw(st.sampled_from(["none", "signed", "rpl", "exempt"])) for code in codes}
    signed = frozenset(c for c, h in how.items() if h == "signed")
    rpl = frozenset(c for c, h in how.items() if h == "rpl")
    exempt = frozenset(c for c, h in how.items() if h == "exempt")
    return rules, signed, PriorStanding(rpl, exempt)


def credits_of(rules: Rules, codes) -> int:
    return sum(rules.units[c].credits or 0 for c in codes)


@PROPERTY_SETTINGS
@given(standings(), st.data())
def test_adding_an_rpl_unit_never_lowers_credit_nor_takes_eligibility_away(case, data):
    rules, signed, prior = case
    open_units = sorted(rules.units.keys() - signed - prior.rpl - prior.exempt)
    if not open_units:
        return
    code = data.draw(st.sampled_from(open_units))
    before = verdict_with(rules, signed, prior)
    after = verdict_with(rules, signed, PriorStanding(prior.rpl | {code}, prior.exempt))
    assert after.achieved_credits == before.achieved_credits + (rules.units[code].credits or 0)
    assert after.counted_credits >= before.counted_credits
    assert after.eligible or not before.eligible


@PROPERTY_SETTINGS
@given(standings())
def test_an_rpl_unit_counts_as_achieved_and_is_flagged(case):
    rules, signed, prior = case
    with_rpl = verdict_with(rules, signed, prior)
    as_signed = evaluate(rules, signed | prior.rpl, exempt=prior.exempt)
    assert (with_rpl.eligible, with_rpl.counted_credits) == (
        as_signed.eligible,
        as_signed.counted_credits,
    )
    assert set(with_rpl.rpl_units) == prior.rpl & set(with_rpl.counted_units)
    assert not set(with_rpl.rpl_units) & signed


@PROPERTY_SETTINGS
@given(standings())
def test_exempt_units_earn_no_credit(case):
    rules, signed, prior = case
    verdict = verdict_with(rules, signed, prior)
    without = verdict_with(rules, signed, PriorStanding(prior.rpl, frozenset()))
    assert verdict.achieved_credits == credits_of(rules, signed | prior.rpl)
    # Exemptions only satisfy what counts units: they never add a credit.
    assert verdict.counted_credits == without.counted_credits
    assert set(verdict.exempt_units) == prior.exempt
    assert not set(verdict.counted_units) & prior.exempt


@PROPERTY_SETTINGS
@given(standings())
def test_an_exempt_unit_satisfies_its_mandatory_group(case):
    rules, signed, prior = case
    verdict = verdict_with(rules, signed, prior)
    results = {r.rule: r for r in verdict.rules}
    # Counted (a barred combination may leave a held unit out) or exempt.
    held = set(verdict.counted_units) | prior.exempt
    for group in rules.groups:
        if group.mandatory and set(group.units) <= held:
            assert results[group.title].met, results[group.title].message


@PROPERTY_SETTINGS
@given(standings(), st.data())
def test_the_route_never_asks_for_a_unit_met_already_and_reaches_eligibility(case, data):
    rules, signed, prior = case
    chosen = data.draw(st.frozensets(st.sampled_from(sorted(rules.units)), max_size=3))
    route = route_with(rules, signed, chosen, prior)
    if not route.found:
        return
    assert not set(route.units) & (signed | prior.rpl | prior.exempt)
    reached = verdict_with(rules, signed | (chosen - prior.exempt) | set(route.units), prior)
    assert reached.eligible


@PROPERTY_SETTINGS
@given(standings())
def test_a_plan_with_an_exempt_unit_counts_no_credit_for_it(case):
    rules, signed, prior = case
    plan = signed | prior.rpl | prior.exempt
    judged = plan_verdict_with(rules, plan, prior)
    as_if_achieved = verdict_with(rules, signed, prior)
    assert judged.counted_credits == as_if_achieved.counted_credits
    assert judged.eligible == as_if_achieved.eligible


# Criteria met through RPL (decision 54): they never reach the engine, and where it matters (a
# unit's sign-off, hence the units the engine is given) they count as met.

HOW = ["none", "met", "not_yet", "rpl", "rpl_then_not_yet"]
UNIT = "F/506/2131"  # mandatory, of the SFJ certificate


@pytest.fixture
def sfj_registration(centre, centre_admin, learner, assessor, iqa, catalogue_db):
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="SFJ-L2-CS"),
            start_date=datetime.date(2026, 9, 1),
            assessor=assessor,
            iqa=iqa,
        ),
        optional_units=["SFJ-CS2-07", "K/503/0421", "T/506/2126"],
        actor=centre_admin,
    )


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_a_unit_whose_items_are_met_by_rpl_or_decisions_is_signed_off_and_no_more(
    sfj_registration, assessor, learner, data
):
    """Whatever mix of criteria met through RPL, met, not yet met (after RPL or not) or
    untouched: exactly the items neither met nor met through RPL stand in the way; with none,
    the unit is signed off and counted as achieved by assessment, never flagged RPL; with
    some, the engine's verdict is what it was without any criterion RPL."""
    registration = sfj_registration
    unit = Unit.objects.get(code=UNIT)
    criteria = list(Criterion.objects.filter(unit=unit).order_by("position"))
    # Half the cases with nothing left to meet, so the sign-off is tried as often as not.
    complete = data.draw(st.booleans(), label="complete")
    choices = [h for h in HOW if h not in ("none", "not_yet")] if complete else HOW
    how = {c.pk: data.draw(st.sampled_from(choices), label=c.number) for c in criteria}
    with transaction.atomic():
        evidence = evidence_add(
            registration=registration,
            details=EvidenceDetails("Certificate", datetime.date(2026, 9, 2), EvidenceMethod.RPL),
            files=[pdf(extra=b"property")],
            declared=True,
            actor=learner,
        )
        before = verdict_of(registration)
        by_rpl = [pk for pk, h in how.items() if h.startswith("rpl")]
        if by_rpl:
            rpl_items_record(
                registration=registration,
                details=PriorDetails(unit.pk, "A course", datetime.date(2021, 5, 4), evidence),
                items=[("criterion", pk) for pk in by_rpl],
                actor=assessor,
            )
        for outcome, wanted in (("met", {"met"}), ("not_yet", {"not_yet"})):
            chosen = [pk for pk, h in how.items() if h in wanted]
            if chosen:
                decision_record(
                    registration=registration,
                    targets=Targets(criteria=frozenset(chosen)),
                    judgement=Judgement(outcome, "product", datetime.date(2026, 10, 6), "Seen."),
                    evidence=[evidence],
                    actor=assessor,
                )
        # A decision on an item met through RPL is refused (decision 54, amended).
        if after_rpl := [pk for pk, h in how.items() if h == "rpl_then_not_yet"]:
            with pytest.raises(DecisionRefused, match="met through RPL"):
                decision_record(
                    registration=registration,
                    targets=Targets(criteria=frozenset(after_rpl)),
                    judgement=Judgement("not_yet", "product", datetime.date(2026, 10, 6), "No."),
                    evidence=[evidence],
                    actor=assessor,
                )
        missing = unit_missing(registration, unit.pk)
        expected = [c for c in criteria if how[c.pk] in ("none", "not_yet")]
        assert [m.split(" ")[1] for m in missing] == [c.number for c in expected]
        if expected:
            assert verdict_of(registration) == before  # the engine never sees an item's RPL
        else:
            signed = unit_sign_off(
                registration=registration,
                unit_id=unit.pk,
                signature="A. Assessor",
                password=PASSWORD,
                declared=True,
                actor=assessor,
            )
            unit_learner_countersign(
                sign_off=signed, signature=learner.full_name, declared=True, actor=learner
            )
            after = verdict_of(registration)
            assert after.achieved_credits == before.achieved_credits + (unit.credits or 0)
            assert UNIT not in after.rpl_units
        transaction.set_rollback(True)


def verdict_of(registration):
    return progress_of([registration], with_route=False)[0].verdict
