"""An IQA's cycle in a real browser: plan, sample a signed-off unit, raise an action; the
assessor responds, the IQA closes it, and the unit becomes claimable."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessment.services import Judgement, decision_record, unit_learner_countersign, unit_sign_off
from portal.models import RoleKind
from portfolios.mapping import Targets
from qualifications.models import Unit
from tests.browser.test_assessment import (
    SIGNED_UNIT,
    as_user,
    criteria,
    mapped_evidence,
    person,
    register,
    shot,
)
from tests.catalogue import load_test_world
from tests.factories import PASSWORD, CentreFactory
from tests.portfolios.files import pdf

__all__ = ["as_user"]  # the fixture, shared with the assessor's journey


@pytest.fixture
def achieved(transactional_db):
    load_test_world()
    centre = CentreFactory.create(name="Riverside Skills Academy")
    admin = person(centre, "admin@example.org", "Ada Okafor", RoleKind.CENTRE_ADMIN)
    assessor = person(centre, "samir@example.org", "Samir Patel", RoleKind.ASSESSOR)
    person(centre, "grace@example.org", "Grace Mensah", RoleKind.IQA)
    leo = person(centre, "leo@example.org", "Leo Brown", RoleKind.LEARNER)
    registration = register(centre, admin, leo, assessor)
    targets = Targets(criteria=criteria(SIGNED_UNIT))
    evidence = mapped_evidence(registration, "Customer profile", targets, pdf())
    decision_record(
        registration=registration,
        targets=targets,
        judgement=Judgement("met", "product", datetime.date(2026, 10, 6), "Thorough."),
        evidence=[evidence],
        actor=assessor,
    )
    sign_off = unit_sign_off(
        registration=registration,
        unit_id=Unit.objects.get(code=SIGNED_UNIT).pk,
        signature="Samir Patel",
        password=PASSWORD,
        declared=True,
        actor=assessor,
    )
    unit_learner_countersign(sign_off=sign_off, signature="Leo Brown", declared=True, actor=leo)
    return registration


def test_the_iqa_plans_samples_raises_an_action_and_the_unit_becomes_claimable(as_user, achieved):
    grace = as_user("grace@example.org")
    grace.get_by_role("link", name="Generate a sampling plan").click()
    grace.get_by_label("Qualification").select_option(label=achieved.qualification.title)
    grace.get_by_label("From").fill("2026-09-01")
    later = timezone.localdate() + datetime.timedelta(days=30)
    grace.get_by_label("To").fill(later.isoformat())
    grace.get_by_role("button", name="Generate").click()
    expect(grace.get_by_role("status")).to_contain_text("Plan generated with 1 item.")
    expect(grace.get_by_test_id("coverage-units")).to_contain_text("Samir Patel")
    shot(grace, "iqa-plan")

    grace.get_by_role("link", name=f"Sample {SIGNED_UNIT} for Leo Brown").click()
    for rule in ("Valid", "Authentic", "Current", "Reliable"):
        grace.get_by_label(rule, exact=False).first.check()
    grace.get_by_label("Action required").check()
    grace.get_by_label("Feedback to the assessor").fill("Good judgements; records lack dates.")
    grace.get_by_label("Action 1", exact=True).fill("Date every observation record.")
    grace.get_by_label("Target date for action 1").fill(later.isoformat())
    shot(grace, "iqa-sample")
    grace.get_by_role("button", name="Record the sample").click()
    expect(grace.get_by_role("status")).to_contain_text("The sample is recorded.")
    expect(grace.get_by_test_id("verdict")).to_have_text("Action required")
    grace.get_by_role("link", name="Where Leo Brown's units stand with IQA").click()
    expect(grace.get_by_test_id("claim-states")).to_contain_text("Not claimable: An IQA action")

    samir = as_user("samir@example.org")
    samir.get_by_test_id("iqa-actions").get_by_role("link").first.click()
    samir.get_by_label("Your response").fill("Dated all records and re-uploaded them.")
    samir.get_by_role("button", name="Send the response").click()
    expect(samir.get_by_role("status")).to_contain_text("Your response is sent to the IQA.")

    grace.goto("/")
    grace.get_by_test_id("to-close").get_by_role("link").first.click()
    grace.get_by_role("button", name="Close the action").click()
    expect(grace.get_by_role("status")).to_contain_text("The action is closed.")
    grace.get_by_role("link", name="Where Leo Brown's units stand with IQA").click()
    expect(grace.get_by_test_id("claim-states")).to_contain_text(
        "Claimable: internally quality assured"
    )
    shot(grace, "iqa-claimable")
