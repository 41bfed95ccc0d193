"""An assessor works through a caseload in a real browser: review, decide across two units,
countersign a trainee, sign a unit off; the learner countersigns and sees their progress move."""

import datetime
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.models import RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Criterion, Qualification, Unit
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_portfolio import log_in
from tests.catalogue import load_test_world
from tests.factories import PASSWORD, CentreFactory, RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ_ENOUGH, START
from tests.portfolios.files import pdf, png

SIGNED_UNIT = "F/506/2131"  # Understand customers: 9 criteria, 2 credits
OTHER_UNIT = "A/506/2130"


def person(centre, email: str, name: str, kind: RoleKind, **role):
    user = UserFactory.create(email=email, full_name=name)
    RoleFactory.create(user=user, centre=centre, kind=kind, **role)
    return user


def register(centre, admin, learner, assessor):
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="SFJ-L2-CS"),
            start_date=START,
            assessor=assessor,
            planned_end_date=datetime.date(2027, 7, 31),
        ),
        optional_units=SFJ_ENOUGH,
        actor=admin,
    )


def mapped_evidence(registration, title: str, targets: Targets, upload):
    learner = registration.learner
    details = EvidenceDetails(title, datetime.date(2026, 10, 5), "product", "What I did.")
    evidence = evidence_add(
        registration=registration, details=details, files=[upload], declared=True, actor=learner
    )
    mapping_propose(evidence=evidence, targets=targets, actor=learner)
    return evidence


def criteria(code: str, *numbers: str) -> frozenset[int]:
    found = Criterion.objects.filter(unit__code=code)
    if numbers:
        found = found.filter(number__in=numbers)
    return frozenset(found.values_list("pk", flat=True))


@pytest.fixture
def caseload(transactional_db):
    load_test_world()
    centre = CentreFactory.create(name="Riverside Skills Academy")
    admin = person(centre, "admin@example.org", "Ada Okafor", RoleKind.CENTRE_ADMIN)
    assessor = person(centre, "samir@example.org", "Samir Patel", RoleKind.ASSESSOR)
    trainee = person(centre, "tom@example.org", "Tom Reyes", RoleKind.ASSESSOR, is_trainee=True)
    leo = person(centre, "leo@example.org", "Leo Brown", RoleKind.LEARNER)
    mia = person(centre, "mia@example.org", "Mia Campbell", RoleKind.LEARNER)
    leos = register(centre, admin, leo, assessor)
    mias = register(centre, admin, mia, trainee)
    targets = Targets(criteria=criteria(SIGNED_UNIT) | criteria(OTHER_UNIT, "4.1", "4.2"))
    mapped_evidence(leos, "Customer profile and call notes", targets, pdf())
    mapped_evidence(mias, "Mia's call notes", Targets(criteria=criteria(OTHER_UNIT, "4.1")), png())
    return {"leo": leos, "mia": mias}


@pytest.fixture
def as_user(browser: Browser, live_server) -> Iterator[Callable[[str | None], Page]]:
    """A fresh browser session logged in as the person with this e-mail address."""
    contexts = []

    def open_as(email: str | None) -> Page:
        """Logged in as `email`, or a visitor with no account when it is None."""
        context = browser.new_context(base_url=live_server.url, accept_downloads=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if email is not None:
            log_in(page, email)
        return page

    yield open_as
    for context in contexts:
        context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"assessment-{name}.png"), full_page=True)


def test_an_assessor_decides_countersigns_and_signs_off_and_the_learner_countersigns(
    as_user, caseload
):
    leo_reg, mia_reg = caseload["leo"], caseload["mia"]
    unit = Unit.objects.get(code=SIGNED_UNIT)

    # The trainee decides Mia's criterion: provisional, so Mia sees it pending.
    tom = as_user("tom@example.org")
    tom.get_by_role("link", name="Mia's call notes").click()
    expect(tom.get_by_role("heading", level=1)).to_have_text("Mia's call notes")
    tom.get_by_label("Met", exact=True).check()
    tom.get_by_role("button", name="Record the decision").click()
    expect(tom.get_by_role("status")).to_contain_text("1 decision recorded.")
    mia = as_user("mia@example.org")
    mia.goto(f"/registrations/{mia_reg.pk}/units/{Unit.objects.get(code=OTHER_UNIT).pk}/")
    expect(mia.get_by_text("Met, awaiting countersignature")).to_be_visible()

    # The qualified assessor reviews Leo's evidence and meets eleven criteria in two units.
    samir = as_user("samir@example.org")
    expect(samir.get_by_test_id("caseload")).to_contain_text("Leo Brown")
    expect(samir.get_by_test_id("caseload")).not_to_contain_text("Mia Campbell")
    shot(samir, "caseload")
    samir.get_by_test_id("waiting").get_by_role(
        "link", name="Customer profile and call notes"
    ).click()
    expect(samir.get_by_test_id("mapping")).to_have_count(11)
    expect(samir.locator("#picker-count")).to_have_text("11 ticked")
    samir.get_by_label("Met", exact=True).check()
    samir.get_by_label("Feedback to the learner").fill("A thorough profile; well done.")
    shot(samir, "review")
    samir.get_by_role("button", name="Record the decision").click()
    expect(samir.get_by_role("status")).to_contain_text("11 decisions recorded.")
    expect(samir.get_by_test_id("mapping").first).to_contain_text("Confirmed by the assessor")

    # ...and countersigns the trainee's decision.
    samir.goto("/")
    expect(samir.get_by_test_id("to-countersign")).to_have_text("1")
    samir.get_by_role("link", name="Countersign", exact=True).click()
    samir.get_by_label("Countersign A/506/2130 4.1", exact=False).check()
    samir.get_by_role("button", name="Countersign the ticked decisions").click()
    expect(samir.get_by_role("status")).to_contain_text("1 decision countersigned.")
    mia.reload()
    expect(mia.get_by_text("Met, awaiting countersignature")).to_have_count(0)

    # Sign-off: the assessor's declaration, signature and password.
    samir.goto(f"/assess/registrations/{leo_reg.pk}/units/{unit.pk}/")
    samir.get_by_label("I declare that I have assessed").check()
    samir.get_by_label("Signature (type your full name)").fill("Samir Patel")
    samir.get_by_label("Your password").fill("not my password")
    samir.get_by_role("button", name="Sign the unit off").click()
    expect(samir.get_by_role("alert")).to_contain_text("That password is not yours")
    samir.get_by_label("I declare that I have assessed").check()
    samir.get_by_label("Your password").fill(PASSWORD)
    samir.get_by_role("button", name="Sign the unit off").click()
    expect(samir.get_by_role("status")).to_contain_text("is signed off")
    shot(samir, "signed-off")

    # The learner sees criteria met, countersigns, and the unit's credits count.
    leo = as_user("leo@example.org")
    expect(leo.get_by_test_id("met")).to_contain_text("11 of ")
    expect(leo.get_by_test_id("units-achieved")).to_contain_text("0 of 7")
    leo.goto(f"/assess/registrations/{leo_reg.pk}/units/{unit.pk}/")
    leo.get_by_label("I declare that the evidence for this unit is my own work.").check()
    leo.get_by_label("Signature (type your full name)").fill("Leo Brown")
    leo.get_by_role("button", name="Countersign").click()
    expect(leo.get_by_role("status")).to_contain_text("the unit is achieved")
    leo.goto("/")
    expect(leo.get_by_test_id("units-achieved")).to_contain_text("1 of 7")
    expect(leo.get_by_text("2 credits count so far")).to_be_visible()
    shot(leo, "learner-home")
