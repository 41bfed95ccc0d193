"""An assessor meets CVQ units in a real browser the way their specification says they must be
assessed (decisions 51 and 52): U00306 allows simulation only in its elements 2 to 4, so a
simulated role play is refused for element 1 with the rule quoted and accepted for elements 2 to
4, real-work evidence meets the rest, and it is signed off. U09602's sign-off waits, listing the
sufficiency still missing in the specification's words, until two customers, two occasions
(simulated evidence refused there) and a sufficient period are recorded on its unit page."""

import datetime

import pytest
from playwright.sync_api import expect

from assessment.services import Judgement, decision_record, evidence_record
from portal.models import RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Criterion, KnowledgeItem, Qualification, RangeItem, Unit
from qualifications.requirements import SimulationRule, SufficiencyRule
from tests.browser.test_assessment import person, shot
from tests.browser.test_portfolio import log_in
from tests.catalogue import load_test_world
from tests.factories import PASSWORD, CentreFactory
from tests.portfolios.conftest import START
from tests.portfolios.files import pdf

UNIT = "U00306"  # Maintain a safe and secure working environment
SIMULATION_ALLOWED = ("2", "3", "4")  # its elements 5.2 to 5.4 in the seed's numbering
SUFFICIENCY_UNIT = "U09602"  # states at least 2 customers, 2 occasions and a sufficient period


def add(
    registration,
    title: str,
    targets: Targets,
    setting: str = "real_work",
    method: str = "product",
    kind: str = "performance",
):
    """Evidence of the kind the unit's rules ask for (decision 53): performance evidence, or
    knowledge evidence by questioning."""
    learner = registration.learner
    details = EvidenceDetails(title, datetime.date(2026, 10, 5), method, setting=setting, kind=kind)
    evidence = evidence_add(
        registration=registration,
        details=details,
        files=[pdf(f"{title}.pdf", title.encode())],
        declared=True,
        actor=learner,
    )
    mapping_propose(evidence=evidence, targets=targets, actor=learner)
    return evidence


def everything(unit: Unit, criteria=None) -> Targets:
    return Targets(
        criteria=frozenset(
            (criteria if criteria is not None else Criterion.objects.filter(unit=unit)).values_list(
                "pk", flat=True
            )
        ),
        range_items=frozenset(RangeItem.objects.filter(unit=unit).values_list("pk", flat=True)),
    )


def knowledge(unit: Unit) -> Targets:
    """The unit's knowledge items: "Underpinning knowledge must be assessed using questioning"."""
    return Targets(
        knowledge_items=frozenset(
            KnowledgeItem.objects.filter(unit=unit).values_list("pk", flat=True)
        )
    )


def questioned(registration, unit: Unit, assessor) -> None:
    """The assessor's record of their questions on the unit's underpinning knowledge, which
    "must be assessed using questioning" (decision 53), and the knowledge met on it: set up,
    as the journey test does it through the pages."""
    if not KnowledgeItem.objects.filter(unit=unit).exists():
        return
    on = datetime.date(2026, 10, 5)
    details = EvidenceDetails(f"Questions on {unit.code}", on, "questioning", "Sound answers.", kind="knowledge")  # fmt: skip
    record = evidence_record(registration=registration, details=details, files=[], actor=assessor)
    decision_record(
        registration=registration,
        targets=knowledge(unit),
        judgement=Judgement("met", "questioning", on, "Sound answers."),
        evidence=[record],
        actor=assessor,
    )


def first_criterion(unit: Unit, element: str = "1") -> Criterion:
    found = Criterion.objects.filter(unit=unit, outcome__number=element).order_by("position")
    first = found.first()
    assert first is not None
    return first


@pytest.fixture
def cvq(transactional_db):
    load_test_world()
    centre = CentreFactory.create(name="Riverside Skills Academy")
    admin = person(centre, "admin@example.org", "Ada Okafor", RoleKind.CENTRE_ADMIN)
    assessor = person(centre, "samir@example.org", "Samir Patel", RoleKind.ASSESSOR)
    leo = person(centre, "leo@example.org", "Leo Brown", RoleKind.LEARNER)
    registration = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=leo,
            qualification=Qualification.objects.get(code="CCA010-02"),
            start_date=START,
            assessor=assessor,
        ),
        optional_units=["U13402"],
        actor=admin,
    )
    # U00306: simulated evidence for its elements 2 to 4, real work for the rest, and a role
    # play for element 1, where simulation is not allowed.
    unit = Unit.objects.get(code=UNIT)
    criteria = Criterion.objects.filter(unit=unit)
    simulated = criteria.filter(outcome__number__in=SIMULATION_ALLOWED)
    add(
        registration,
        "Front desk shift, Saturday",
        everything(unit, criteria.exclude(outcome__number__in=SIMULATION_ALLOWED)),
    )
    add(registration, "Fire drill role play", Targets(criteria=frozenset(simulated.values_list("pk", flat=True))), setting="simulated")  # fmt: skip
    questioned(registration, unit, assessor)
    first = first_criterion(unit)
    add(registration, "Role play of a security check", Targets(criteria=frozenset({first.pk})), setting="simulated")  # fmt: skip
    # U09602, whose sufficiency asks for two customers, two occasions and a sufficient period:
    # one piece of real work for all of it, another customer on another day, and a role play.
    deliver = Unit.objects.get(code=SUFFICIENCY_UNIT)
    add(registration, "Complaints log, October", everything(deliver))
    questioned(registration, deliver, assessor)
    one = Targets(criteria=frozenset({first_criterion(deliver).pk}))
    add(registration, "Evening shift, another customer", one)
    add(registration, "Complaint role play", one, setting="simulated")
    return registration, unit, first, deliver


def meet(samir, title: str) -> None:
    samir.goto("/")
    samir.get_by_test_id("waiting").get_by_role("link", name=title).click()
    samir.get_by_label("Met", exact=True).check()
    samir.get_by_role("button", name="Record the decision").click()


def sign_off(samir, registration, unit) -> None:
    samir.goto(f"/assess/registrations/{registration.pk}/units/{unit.pk}/")
    expect(samir.get_by_test_id("ready")).to_contain_text("Every item of the unit is met")
    samir.get_by_label("I declare that I have assessed").check()
    samir.get_by_label("Signature (type your full name)").fill("Samir Patel")
    samir.get_by_label("Your password").fill(PASSWORD)
    samir.get_by_role("button", name="Sign the unit off").click()
    expect(samir.get_by_role("status")).to_contain_text(f"{unit.code} is signed off")


def test_an_assessor_meets_cvq_units_as_their_specification_says_and_signs_them_off(page, cvq):
    registration, unit, first, deliver = cvq
    samir = page
    log_in(samir, "samir@example.org")

    # Simulated evidence where the unit does not allow it: refused, the rule quoted.
    meet(samir, "Role play of a security check")
    refused = samir.locator("form").filter(has_text="Your decision")
    expect(refused).to_contain_text(
        f"Criterion {first.number} cannot be met on simulated performance evidence"
    )
    expect(refused).to_contain_text(SimulationRule.objects.get(unit=unit, element="").quote)
    shot(samir, "simulation-refused")

    # Simulated evidence where its elements allow it, and real work for the rest: met, and
    # the unit (which states no sufficiency) signed off.
    for title in ("Fire drill role play", "Front desk shift, Saturday"):
        meet(samir, title)
        expect(samir.get_by_role("status")).to_contain_text("recorded.")
    sign_off(samir, registration, unit)

    # U09602: every item met, yet sign-off waits for its sufficiency, in the spec's words.
    meet(samir, "Complaints log, October")
    expect(samir.get_by_role("status")).to_contain_text("recorded.")
    customers = SufficiencyRule.objects.get(unit=deliver, measure="customers")
    samir.goto(f"/assess/registrations/{registration.pk}/units/{deliver.pk}/")
    missing = samir.get_by_test_id("missing")
    expect(missing).to_contain_text(f"at least 2 different customers (“{customers.quote}”)")
    expect(missing).not_to_contain_text("criterion")
    expect(samir.get_by_role("button", name="Sign the unit off")).to_be_disabled()

    # On the unit page: two customers, two occasions on real work, and the period judged.
    samir.goto(f"/registrations/{registration.pk}/units/{deliver.pk}/")
    rules = samir.get_by_test_id("sufficiency-rule")
    expect(rules).to_have_count(3)

    def rule(measure: str):
        return samir.locator(f'[data-testid="sufficiency-rule"][data-measure="{measure}"]')

    expect(rule("customers")).to_contain_text("Still needed")
    form = samir.get_by_test_id("sufficiency-form")

    def record(toward: str, evidence: str | None, description: str) -> None:
        form.get_by_label("Toward").select_option(label=toward)
        form.get_by_label("Real-work evidence").select_option(
            label=evidence or "None: my judgement of the period"
        )
        form.get_by_label("Which customer or occasion").fill(description)
        form.get_by_role("button", name="Record").click()

    record("At least 2 different customers", "Complaints log, October", "Mrs Achebe, a refund")
    expect(samir.get_by_role("status")).to_contain_text("Recorded toward")
    record("At least 2 different customers", "Evening shift, another customer", "Mr Oduya")
    record("At least 2 different occasions", "Complaint role play (simulated)", "A role play")
    expect(samir.get_by_role("status")).to_contain_text(
        "“Complaint role play” is simulated: only real work counts toward different occasions"
    )
    record("At least 2 different occasions", "Complaints log, October", "Saturday rush")
    record("At least 2 different occasions", "Evening shift, another customer", "Tuesday evening")
    record(
        "A sufficient period of time (your judgement)",
        None,
        "Eight weeks of real work with different customers.",
    )
    expect(rule("customers")).to_contain_text("2 of 2 recorded")
    expect(rule("occasions")).to_contain_text("Met")
    expect(rule("period")).to_contain_text("Met")
    shot(samir, "sufficiency-recorded")
    sign_off(samir, registration, deliver)
