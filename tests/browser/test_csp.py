"""Every page keeps to the portal's Content Security Policy in a real browser: each demo person
(and a visitor with no account) walks every page they can reach by following links, in each of
their roles, and then uploads, maps, reviews, decides, claims and verifies with the htmx forms;
any violation the browser reports, or any console error, fails the test."""

from __future__ import annotations

import io
from collections import Counter, deque
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from certification.models import Certificate
from certification.services import certificate_claim
from home.demo import DEMO_PASSWORD, PEOPLE
from portal.models import User
from portfolios.models import Evidence, Registration
from portfolios.witness import WitnessAsk, witness_request_create
from tests.browser.test_pdf_preview import a_real_pdf
from tests.catalogue import load_test_world

# Reported from every frame of every page, before any of the page's own scripts run.
WATCH = """document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspSeen = (window.__cspSeen || 0) + 1;
    window.__cspViolation({
        page: document.URL, directive: event.effectiveDirective, blocked: event.blockedURI,
        sample: event.sample, source: event.sourceFile, line: event.lineNumber,
    });
});"""
# Addresses that are not pages: downloads, and the way out.
NOT_PAGES = {
    "portfolios:evidence-file",
    "eqa:evidence-file",
    "certification:certificate-pdf",
    "certification:certificate-credential",  # JSON files a verifier fetches, not pages
    "certification:credential-jwks",
    "certification:credential-did",
    "certification:credential-status",
    "api-schema",  # the OpenAPI document (YAML), a file
    "iqa:document-download",
    "iqa:plan-csv",
    "logout",
}
PER_ROUTE = 2  # each kind of page twice at most (a list and its sorted or filtered variant)


class Violations:
    """Everything the browser said against the policy, in any page or frame of a context."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.expected_errors: set[str] = set()  # addresses meant to answer 404

    def watch(self, context: BrowserContext) -> None:
        context.expose_binding("__cspViolation", self.violation)
        context.add_init_script(WATCH)
        context.on("console", self.console)
        context.on("weberror", lambda error: self.found.append(f"uncaught: {error.error}"))

    def violation(self, source: dict, details: dict) -> None:
        blocked = details["blocked"] or details["sample"]
        self.found.append(
            f"{details['page']}: {details['directive']} refused {blocked!r}"
            f" ({details['source']}:{details['line']})"
        )

    def console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        if "Failed to load resource" in message.text and where in self.expected_errors:
            return
        self.found.append(f"{where}: console error: {message.text}")


@pytest.fixture
def demo(transactional_db):
    load_test_world()
    call_command("seed_demo", stdout=io.StringIO())
    leo = Registration.objects.get(learner__email="leo@riverside.test")
    links: list[str] = []

    def link_for(token: str) -> str:
        links.append(reverse("portfolios:witness-confirm", args=[token]))
        return links[-1]

    witness_request_create(
        registration=leo,
        ask=WitnessAsk("Ruth Okoro", "ruth@example.org", "Team leader", "Leo handled it well."),
        actor=leo.learner,
        link_for=link_for,
    )
    return {"witness_link": links[0], "leo": leo}


def new_context(browser: Browser, live_server, violations: Violations) -> BrowserContext:
    context = browser.new_context(base_url=live_server.url, accept_downloads=False)
    context.set_default_timeout(15_000)
    violations.watch(context)
    return context


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_attached()


def previews_drawn(page: Page) -> None:
    """Wait for every PDF preview on the page to finish, so its frame is checked too."""
    for index in range(page.locator("iframe[data-pdf]").count()):
        viewer = page.frame_locator("iframe[data-pdf]").nth(index)
        expect(viewer.locator("main")).to_have_attribute("aria-busy", "false")


def crawl(page: Page, live_server, start: list[str]) -> set[str]:
    """Visit every page reachable by links from `start`, each kind of page at most PER_ROUTE
    times; returns the routes seen."""
    host = urlsplit(live_server.url).netloc
    queue: deque[str] = deque(start)
    visited: set[str] = set()
    routes: Counter[str] = Counter()
    while queue:
        url = queue.popleft()
        parts = urlsplit(url)
        if url in visited or parts.path.startswith("/admin/"):
            continue
        try:
            match = resolve(parts.path)
        except Resolver404:
            continue
        if match.view_name in NOT_PAGES or routes[match.route] >= PER_ROUTE:
            continue
        visited.add(url)
        routes[match.route] += 1
        page.goto(url)
        previews_drawn(page)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            link = urlsplit(href)
            if link.netloc == host and "download" not in link.query:
                queue.append(urlunsplit(("", "", link.path, link.query, "")))
    return set(routes)


def other_roles(page: Page) -> list[str]:
    """The labels of the roles the person can switch to (none when they have one role)."""
    if not page.get_by_test_id("role-switch").count():
        return []
    page.get_by_test_id("role-switch").click()
    menu = page.locator("form[action='/role/'] button[name=role]:not([aria-current])")
    labels = [label.strip() for label in menu.all_inner_texts()]
    page.keyboard.press("Escape")
    return labels


def switch_to(page: Page, label: str) -> None:
    page.get_by_test_id("role-switch").click()
    page.locator("form[action='/role/'] button[name=role]", has_text=label).click()
    expect(page.get_by_role("status")).to_contain_text("You are now working as")


def test_every_page_each_person_can_reach_keeps_to_the_policy(demo, browser: Browser, live_server):
    # Leo's certificate claimed (its PDF is not needed here), for the certificate pages.
    admin = User.objects.get(email="admin@riverside.test")
    number = certificate_claim(registration=demo["leo"], kind="full", actor=admin).number
    violations = Violations()
    routes: set[str] = set()
    visitor = new_context(browser, live_server, violations)
    page = visitor.new_page()
    violations.expected_errors.add(f"{live_server.url}/no-such-page/")
    public = [
        "/accounts/login/",
        "/accounts/password_reset/",
        reverse("certification:verify"),
        reverse("qualifications:catalogue"),
        "/catalogue/search/?q=complaint",
        demo["witness_link"],
        reverse("certification:verify-number", args=[number]),
        "/no-such-page/",
    ]
    routes |= crawl(page, live_server, public)
    visitor.close()
    switched = 0
    for person in PEOPLE:
        context = new_context(browser, live_server, violations)
        page = context.new_page()
        log_in(page, person.email)
        routes |= crawl(page, live_server, ["/", reverse("password_change")])
        for label in other_roles(page):
            switch_to(page, label)
            switched += 1
            routes |= crawl(page, live_server, ["/"])
        context.close()
    # The walk reached every part of the portal (a broken walk would pass trivially).
    for route in ("assess/evidence/<int:pk>/", "iqa/plans/<int:pk>/", "certificates/<int:pk>/"):
        assert route in routes, f"the walk never reached {route}"
    assert len(routes) >= 35, sorted(routes)
    assert switched >= 1  # the IQA also works as an assessor at a second centre
    assert violations.found == [], "\n".join(violations.found)


def test_the_htmx_forms_and_the_pdf_preview_keep_to_the_policy(
    demo, browser: Browser, live_server, tmp_path
):
    violations = Violations()
    zara = Registration.objects.get(learner__email="zara@riverside.test")

    # The learner uploads a PDF (htmx, with progress) and maps it to two criteria (htmx).
    learner = new_context(browser, live_server, violations).new_page()
    log_in(learner, "zara@riverside.test")
    learner.goto(reverse("portfolios:evidence-new", args=[zara.pk]))
    learner.get_by_label("Title").fill("Complaint log")
    learner.get_by_label("Date").fill("2026-10-05")
    learner.get_by_label("Method").select_option("product")
    (tmp_path / "complaint-log.pdf").write_bytes(a_real_pdf())
    learner.get_by_label("Files").set_input_files(tmp_path / "complaint-log.pdf")
    learner.get_by_label("I declare that this evidence is my own work").check()
    learner.get_by_role("button", name="Add to my portfolio").click()
    expect(learner.get_by_role("heading", level=1)).to_have_text("Complaint log")
    learner.get_by_role("link", name="Map to criteria").click()
    expect(learner.locator("#picker")).to_have_attribute("data-picker-ready", "true")
    learner.get_by_label("Filter by words").fill("customer")
    ticks = learner.locator("#picker .picker-item:not([hidden]) input")
    ticks.nth(0).check()
    ticks.nth(1).check()
    learner.get_by_role("button", name="Save the mapping").click()
    expect(learner.get_by_role("status")).to_contain_text("is mapped to 2 criteria.")

    # The assessor sees the PDF drawn, confirms one mapping, rejects the other and decides.
    evidence = Evidence.objects.get(registration=zara, title="Complaint log")
    assessor = new_context(browser, live_server, violations).new_page()
    log_in(assessor, "assessor@riverside.test")
    assessor.goto(reverse("assessment:evidence-review", args=[evidence.pk]))
    previews_drawn(assessor)
    first, second = (
        assessor.get_by_test_id("mapping").nth(0),
        assessor.get_by_test_id("mapping").nth(1),
    )
    first.get_by_role("button", name="Confirm mapping").click()
    expect(assessor.get_by_role("status")).to_contain_text("Mapping confirmed.")
    second.get_by_placeholder("Why it does not show this").fill("Not about this one.")
    second.get_by_role("button", name="Reject").click()
    expect(assessor.get_by_role("status")).to_contain_text("Mapping rejected.")
    assessor.get_by_label("Met", exact=True).check()
    assessor.get_by_role("button", name="Record the decision").click()
    expect(assessor.get_by_role("status")).to_contain_text("recorded.")
    previews_drawn(assessor)  # the review was swapped in again, preview and all

    # The centre admin claims Leo's certificate; a visitor checks its number.
    admin = new_context(browser, live_server, violations).new_page()
    log_in(admin, "admin@riverside.test")
    admin.goto(reverse("certification:claims"))
    admin.get_by_test_id("ready-full").get_by_role("checkbox").first.check()  # none come ticked
    admin.get_by_role("button", name="Claim full certificates for the ticked learners").click()
    admin.get_by_role("button", name="Confirm: claim 1 full certificate").click()
    # Claimed, and held for the EQA: the demo centre holds no Direct Claims Status (decision 29).
    expect(admin.get_by_role("status").first).to_be_visible()
    number = Certificate.objects.get(registration=demo["leo"]).number
    visitor = new_context(browser, live_server, violations).new_page()
    visitor.goto(reverse("certification:verify"))
    visitor.get_by_label("Certificate number").fill(number)
    visitor.get_by_role("button", name="Check").click()
    expect(visitor.locator("main")).to_contain_text(number)
    assert violations.found == [], "\n".join(violations.found)


def test_the_watch_sees_what_the_policy_refuses(demo, browser: Browser, live_server):
    # The check must be able to fail: an inline script, an inline style and an outside image.
    violations = Violations()
    page = new_context(browser, live_server, violations).new_page()
    page.goto(reverse("certification:verify"))
    page.evaluate(
        """() => {
            const script = document.createElement('script');
            script.textContent = 'window.ran = true';
            document.body.append(script);
            document.body.insertAdjacentHTML('beforeend',
                '<p style="color: red">styled</p><img src="http://127.0.0.2:9/x.png" alt="">');
        }"""
    )
    page.wait_for_function("() => window.__cspSeen >= 3")
    refused = " ".join(violations.found)
    assert "script-src-elem" in refused and "style-src-attr" in refused and "img-src" in refused
    assert page.evaluate("() => window.ran") is None
