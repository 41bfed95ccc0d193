"""Each role walks the portal on a 390 px phone (issue 19): from their home page, every page its
links reach (tests/browser/walk.py), none wider than the screen and none with a serious axe
finding. A page another change adds is walked as soon as a link leads to it."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from certification.services import certificate_claim
from home.demo import DEMO_PASSWORD
from portal.models import User
from portfolios.models import Registration
from portfolios.witness import WitnessAsk, witness_request_create
from qualifications.models import Qualification, Unit
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_pages import PHONE
from tests.browser.walk import TOO_WIDE, Walk, walk_from
from tests.catalogue import load_test_world


@pytest.fixture
def demo(transactional_db):
    """The demo, with Leo's certificate issued and a witness request of his waiting, so the walks
    reach the pages those make."""
    load_test_world()
    call_command("seed_demo", stdout=io.StringIO())
    admin = User.objects.get(email="admin@riverside.test")
    leo = Registration.objects.get(learner__email="leo@riverside.test")
    certificate_claim(registration=leo, kind="full", actor=admin)
    links: list[str] = []

    def link_for(token: str) -> str:
        links.append(reverse("portfolios:witness-confirm", args=[token]))
        return links[-1]

    ask = WitnessAsk("Ruth Okoro", "ruth@example.org", "Team leader", "Leo handled it well.")
    witness_request_create(registration=leo, ask=ask, actor=leo.learner, link_for=link_for)
    return {"witness_link": links[0]}


# Who walks, how many pages at least, and the kinds of page their walk must reach (a walk that
# stopped early would pass). Two learners: Noah's work in progress and Leo's certificate.
ROLES = {
    "learner": (["noah@riverside.test", "leo@riverside.test"], 10, ["evidence/<int:pk>/"]),
    "assessor": (["assessor@riverside.test"], 12, ["assess/evidence/<int:pk>/"]),
    "trainee": (["trainee@riverside.test"], 6, ["assess/evidence/<int:pk>/"]),
    # Grace is also an assessor at Harbour: she walks as both.
    "iqa": (["iqa@riverside.test"], 12, ["iqa/plans/<int:pk>/", "assess/tracker/"]),
    "centre admin": (
        ["admin@riverside.test"],
        20,
        ["registrations/<int:pk>/", "claims/", "certificates/<int:pk>/", "people/invitations/"],
    ),
    "eqa": (["eqa@proqual.test"], 6, ["eqa/<int:pk>/registrations/<int:registration_pk>/"]),
    "operations": (["operations@portal.test"], 2, ["notifications/settings/"]),
}
# The catalogue looks the same to everyone: the visitor's walk checks it.
PUBLIC = ("qualifications",)


def on_a_phone(browser: Browser, live_server) -> Page:
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # (The menu is folded away on a phone: the way out is there, not shown.)
    expect(page.locator("form[action='/accounts/logout/']")).to_be_attached()


def other_roles(page: Page) -> list[str]:
    """The roles the person can switch to, from the menu (folded away on a phone)."""
    page.goto("/")
    if not page.get_by_test_id("role-switch").count():
        return []
    menu = page.locator("form[action='/role/'] button[name=role]:not([aria-current])")
    return [label.strip() for label in menu.all_text_contents()]


def switch_to(page: Page, label: str) -> None:
    page.goto("/")
    page.locator(".navbar-toggler").click()
    page.get_by_test_id("role-switch").click()
    page.locator("form[action='/role/'] button[name=role]", has_text=label).click()
    expect(page.get_by_role("status")).to_contain_text("You are now working as")


def written_down(name: str, walk: Walk) -> str:
    """The walk's pages, under test-artifacts/, for people to look at; returns its summary."""
    summary = (
        f"{name}: {len(walk.visited)} pages of {len(walk.routes)} kinds at {PHONE['width']} px"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    pages = "\n".join(
        url
        + "".join(f"\n    scrolled sideways in its box: {t}" for t in walk.scrolled.get(url, []))
        for url in walk.visited
    )
    (ARTIFACTS / f"phone-walk-{name.replace(' ', '-')}.txt").write_text(f"{summary}\n{pages}\n")
    print(summary)
    return summary


@pytest.mark.browser
@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_fits_a_phone_and_passes_axe(
    role: str, demo, browser: Browser, live_server
):
    emails, least, must_reach = ROLES[role]
    walk = Walk(host=urlsplit(live_server.url).netloc)
    for email in emails:
        page = on_a_phone(browser, live_server)
        log_in(page, email)
        # (No link leads to changing one's password: it is walked from here.)
        walk_from(page, ["/", reverse("password_change")], walk, leave_out=PUBLIC)
        for label in other_roles(page):
            switch_to(page, label)
            walk_from(page, ["/"], walk, leave_out=PUBLIC)
        page.context.close()
    summary = written_down(role, walk)
    assert not walk.problems, walk.report()
    assert len(walk.visited) >= least, summary
    assert set(must_reach) <= set(walk.routes), (
        f"never reached {set(must_reach) - set(walk.routes)}"
    )


@pytest.mark.browser
def test_a_visitor_s_pages_fit_a_phone_and_pass_axe(demo, browser: Browser, live_server):
    """Also every qualification of the catalogue, a CVQ unit (range statements, knowledge) and
    a unit with data notes: the catalogue's widest pages."""
    qualifications = Qualification.objects.values_list("pk", flat=True)
    units = Unit.objects.order_by("pk")
    page = on_a_phone(browser, live_server)
    start = [
        "/accounts/login/",
        reverse("certification:verify"),
        reverse("qualifications:catalogue"),
        "/catalogue/search/?q=complaint",
        demo["witness_link"],
        *(reverse("qualifications:qualification-detail", args=[pk]) for pk in qualifications),
        reverse("qualifications:unit-detail", args=[units.filter(range_items__isnull=False)[0].pk]),
        reverse("qualifications:unit-detail", args=[units.filter(corrections__isnull=False)[0].pk]),
    ]
    walk = walk_from(page, start, Walk(host=urlsplit(live_server.url).netloc))
    page.context.close()
    summary = written_down("visitor", walk)
    assert not walk.problems, walk.report()
    assert len(walk.visited) >= 8, summary
    assert "catalogue/units/<int:pk>/" in walk.routes


@pytest.mark.browser
def test_the_walk_names_what_makes_a_page_too_wide(page: Page):
    # The check must be able to fail, and say where: a wide table, not its cells or the page.
    page.set_viewport_size(PHONE)
    page.set_content(
        "<html lang='en'><meta name='viewport' content='width=device-width'><title>t</title>"
        "<body><main id='main'><p>Fits.</p><table data-testid='wide'><tr><td>"
        "<div style='width: 600px'>wide</div></td></tr></table>"
        "<div style='overflow-x: auto'><div style='width: 900px'>scrolled in its box</div></div>"
        "</main></body></html>"
    )
    found = page.evaluate(TOO_WIDE)
    assert found.startswith("6") and "on a 390 px screen" in found
    assert '#main > table[data-testid="wide"]' in found and "900" not in found
