"""The pages people reported as clipped or too wide on a phone (issue 19), at 390 px: no page is
wider than the screen, no table hides columns in a box scrolled sideways, each row's buttons
are on the screen, and axe finds nothing serious."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect

from assessment.models import Decision
from certification.models import Transfer
from home.demo import HARBOUR
from portal.models import Centre, User
from portfolios.models import QuestionSet, Registration, RegistrationUnit
from tests.browser.axe import describe, violations
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_pages import PHONE, demo, log_in

__all__ = ["demo"]

CLIPPED = """() => [...document.querySelectorAll('main .table-responsive')]
    .filter(box => box.scrollWidth > box.clientWidth + 1)
    .map(box => box.querySelector('table')?.dataset.testid || box.className)"""


def phone(browser: Browser, live_server, email: str) -> Page:
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    log_in(page, email)
    return page


def looked_at(page: Page, url: str, problems: dict[str, str]) -> None:
    page.goto(url)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems[url] = f"{width} px wide"
    if clipped := page.evaluate(CLIPPED):
        problems[url] = f"tables scrolled sideways: {clipped}"
    if found := violations(page):
        problems[url] = describe(found)
    name = url.strip("/").replace("/", "-") or "home"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-390-{name}.png"), full_page=True)


def on_screen(button: Locator) -> None:
    """The button is shown, and once scrolled to, lies wholly within the screen's width."""
    button.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport(ratio=1)
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_the_iqa_plan_caseload_and_registrations_fit_a_phone(demo, browser: Browser, live_server):
    plan, noah = demo["plan"], demo["noah"]
    decision = Decision.objects.filter(registration=noah, criterion__isnull=False).first()
    assert decision is not None
    history = reverse("assessment:item-history", args=[noah.pk, "criterion", decision.criterion_id])
    problems: dict[str, str] = {}

    grace = phone(browser, live_server, "iqa@riverside.test")
    for url in ("/", reverse("iqa:plan-detail", args=[plan.pk]), history):
        looked_at(grace, url, problems)
    grace.goto(reverse("iqa:plan-detail", args=[plan.pk]))
    rows = grace.get_by_test_id("plan-items")
    shown = rows.get_by_role("link", name="Sample ").or_(rows.get_by_role("button", name="Remove "))
    assert shown.count() >= 2  # the demo's summative item, not sampled yet: both buttons
    for n in range(shown.count()):
        on_screen(shown.nth(n))

    samir = phone(browser, live_server, "assessor@riverside.test")
    looked_at(samir, "/", problems)  # the caseload, with its status column
    badges = samir.get_by_test_id("caseload").locator(".badge")
    assert badges.count() == 3  # each learner's status, in words
    for n in range(badges.count()):
        badges.nth(n).scroll_into_view_if_needed()
        expect(badges.nth(n)).to_be_in_viewport(ratio=1)

    ada = phone(browser, live_server, "admin@riverside.test")
    for url in ("/", reverse("portfolios:registration-list")):
        looked_at(ada, url, problems)
    assert not problems, "\n\n".join(f"{url}: {text}" for url, text in problems.items())


def test_the_trackers_fit_a_phone(demo, browser: Browser, live_server):
    """A learner's tracker stacks its units; the caseload's grid scrolls inside its own box
    (not a `.table-responsive` one), the learner's column kept in view: the page never does."""
    noah = demo["noah"]
    problems: dict[str, str] = {}
    samir = phone(browser, live_server, "assessor@riverside.test")
    tracker = reverse("assessment:tracker", args=[noah.pk])
    for url in (tracker, reverse("assessment:caseload-tracker")):
        looked_at(samir, url, problems)
    grid = samir.get_by_test_id("caseload-tracker").first
    learner = grid.locator("tbody th").first
    expect(learner).to_be_in_viewport(ratio=1)
    grid.locator("xpath=..").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    expect(learner).to_be_in_viewport(ratio=1)  # sticky: still there once scrolled across

    noah_phone = phone(browser, live_server, "noah@riverside.test")
    looked_at(noah_phone, tracker, problems)
    cells = noah_phone.get_by_test_id("tracker").locator(".tracker-cell")
    assert cells.count() > 10
    for n in (0, cells.count() - 1):
        on_screen(cells.nth(n))
    assert not problems, "\n\n".join(f"{url}: {text}" for url, text in problems.items())


def test_each_units_assessor_is_chosen_on_a_phone_and_the_trainee_sees_the_unit_as_theirs(
    demo, browser: Browser, live_server
):
    """The people page's form for each unit (decision 39), and the caseload tracker of the
    trainee who has one of Zara's units: the rest of her units marked as another assessor's."""
    zara = Registration.objects.get(learner__email="zara@riverside.test")
    given = RegistrationUnit.objects.get(registration=zara, assessor__isnull=False)
    problems: dict[str, str] = {}
    ada = phone(browser, live_server, "admin@riverside.test")
    people = reverse("portfolios:registration-staff", args=[zara.pk])
    looked_at(ada, people, problems)
    saves = ada.get_by_test_id("unit-assessors").get_by_role("button", name="Save ")
    assert saves.count() == zara.planned_units.count()
    for n in (0, saves.count() - 1):
        on_screen(saves.nth(n))
    field = ada.locator(f"#unit-{given.unit_id}-assessor")
    expect(field).to_have_value(str(given.assessor_id))

    tom = phone(browser, live_server, "trainee@riverside.test")
    looked_at(tom, reverse("assessment:caseload-tracker"), problems)
    row = tom.get_by_test_id("caseload-tracker").locator("tr", has_text="Zara Ahmed")
    assert row.get_by_text("other", exact=True).count() == zara.planned_units.count() - 1

    # Given back to the registration's assessor, on the phone: saved, and said so.
    field.select_option("")
    ada.get_by_role("button", name=f"Save {given.unit.code}").click()
    expect(ada.get_by_text("Saved:")).to_be_visible()
    given.refresh_from_db()
    assert given.assessor is None


def test_the_transfer_pages_fit_a_phone(demo, browser: Browser, live_server):
    """A Riverside learner asked to move to Harbour: the sending admin's pages and the receiving
    admin's list and answer (decision 40)."""
    noah = demo["noah"]
    transfer = Transfer.objects.create(
        registration=noah,
        from_centre=noah.centre,
        to_centre=Centre.objects.get(name=HARBOUR[0]),
        reason="Moving to the coast: carries on at Harbour.",
        requested_at=timezone.now(),
        requested_by=User.objects.get(email="admin@riverside.test"),
    )
    detail = reverse("certification:transfer-detail", args=[transfer.pk])
    problems: dict[str, str] = {}
    ada = phone(browser, live_server, "admin@riverside.test")
    for url in (
        reverse("portfolios:registration-detail", args=[noah.pk]),
        reverse("certification:transfer-new", args=[noah.pk]),
        reverse("certification:transfers"),
        detail,
    ):
        looked_at(ada, url, problems)
    hannah = phone(browser, live_server, "admin@harbour.test")
    for url in (reverse("certification:transfers"), detail):
        looked_at(hannah, url, problems)
    on_screen(hannah.get_by_role("button", name="Accept the learner"))
    on_screen(hannah.get_by_role("button", name="Decline the transfer"))
    assert not problems, "\n\n".join(f"{url}: {text}" for url, text in problems.items())


def test_countersigning_by_evidence_and_written_questions_fit_a_phone(
    demo, browser: Browser, live_server
):
    """Samir countersigns Tom's decisions grouped by the evidence they rest on; Zara answers
    the questions Samir set her, and Noah reads the ones he answered."""
    problems: dict[str, str] = {}
    samir = phone(browser, live_server, "assessor@riverside.test")
    looked_at(samir, reverse("assessment:countersign") + "?by=evidence", problems)
    group = samir.get_by_test_id("evidence-group").first
    on_screen(group.get_by_role("button", name="Countersign all"))
    zaras = QuestionSet.objects.get(registration__learner__email="zara@riverside.test")
    noahs = QuestionSet.objects.get(registration__learner__email="noah@riverside.test")
    assert zaras.submitted_at is None and noahs.submitted_at is not None
    zara = phone(browser, live_server, "zara@riverside.test")
    looked_at(zara, reverse("portfolios:question-set-detail", args=[zaras.pk]), problems)
    for name in ("Save", "Send my answers"):  # side by side, or one under the other
        box = zara.get_by_role("button", name=name, exact=True).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    noah = phone(browser, live_server, "noah@riverside.test")
    for url in (
        reverse("portfolios:question-set-detail", args=[noahs.pk]),
        reverse("portfolios:evidence-detail", args=[noahs.evidence_id]),
    ):
        looked_at(noah, url, problems)
    assert not problems, "\n\n".join(f"{url}: {text}" for url, text in problems.items())


def test_the_api_guide_fits_a_phone_and_axe_finds_nothing(browser: Browser, live_server):
    """The integrator's guide is public: its examples scroll in their own boxes, which a
    keyboard can reach, and its tables stack."""
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    problems: dict[str, str] = {}
    looked_at(page, reverse("api-guide"), problems)
    context.close()
    assert not problems, problems
