"""Every page of the journey, as each demo person sees it, checked by axe-core for serious and
critical accessibility problems; the learner's and assessor's pages also at a phone's width."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Browser, Page, ViewportSize, expect

from home.demo import DEMO_PASSWORD
from iqa.models import Action, SamplingPlan
from portfolios.models import Evidence, Registration
from tests.browser.axe import describe, violations
from tests.browser.conftest import ARTIFACTS
from tests.catalogue import load_test_world


@pytest.fixture
def demo(transactional_db):
    """The README's demo: the catalogue and `seed_demo`'s centre with work in progress."""
    load_test_world()
    call_command("seed_demo", stdout=io.StringIO())
    noah = Registration.objects.get(learner__email="noah@riverside.test")
    return {
        "noah": noah,
        "unreviewed": Evidence.objects.get(
            registration=noah, judged_at__isnull=True, title="Telephone calls, week 3"
        ),
        "action": Action.objects.filter(status="open").get(),
        "plan": SamplingPlan.objects.get(),
    }


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#todo-heading")).to_be_visible()  # their home page


def check(page: Page, url: str, problems: dict[str, str]) -> None:
    page.goto(url)
    found = violations(page)
    if found:
        problems[url] = describe(found)


def pages_of(demo) -> dict[str, list[str]]:
    noah, evidence = demo["noah"], demo["unreviewed"]
    return {
        "": [
            "/accounts/login/",
            reverse("password_reset"),
            reverse("certification:verify"),
            reverse("qualifications:catalogue"),
            "/no-such-page/",
        ],
        "admin@riverside.test": [
            "/",
            reverse("portfolios:registration-list"),
            reverse("portfolios:registration-create"),
            reverse("portfolios:registration-detail", args=[noah.pk]),
            reverse("certification:claims"),
            reverse("certification:certificate-list"),
            reverse("invitation-list"),
            reverse("invitation-create"),
        ],
        "assessor@riverside.test": [
            "/",
            reverse("assessment:evidence-review", args=[evidence.pk]),
            reverse("assessment:countersign"),
            reverse("iqa:sample-detail", args=[demo["action"].sample_id]),
            reverse("notification-list"),
        ],
        "iqa@riverside.test": [
            "/",
            reverse("iqa:plan-detail", args=[demo["plan"].pk]),
            reverse("iqa:plan-new"),
        ],
        "noah@riverside.test": [
            "/",
            reverse("portfolios:registration-detail", args=[noah.pk]),
            reverse("portfolios:evidence-new", args=[noah.pk]),
            reverse("portfolios:evidence-write", args=[noah.pk]),
            reverse("portfolios:evidence-map", args=[evidence.pk]),
            reverse("portfolios:witness-ask", args=[noah.pk]),
            reverse("notification-list"),
            reverse("notification-settings"),
        ],
    }


def test_every_page_of_the_journey_passes_axe_for_every_role(demo, browser: Browser, live_server):
    problems: dict[str, str] = {}
    for email, urls in pages_of(demo).items():
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        if email:
            log_in(page, email)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"home-{email.split('@')[0]}.png"), full_page=True)
        for url in urls:
            check(page, url, problems)
        context.close()
    assert not problems, "\n\n".join(f"{url}\n{text}" for url, text in problems.items())


PHONE: ViewportSize = {"width": 390, "height": 844}


def test_the_learner_and_assessor_pages_work_at_a_phone_s_width(
    demo, browser: Browser, live_server
):
    noah, evidence = demo["noah"], demo["unreviewed"]
    ARTIFACTS.mkdir(exist_ok=True)
    wide: dict[str, int] = {}
    for email, urls in {
        "noah@riverside.test": [
            "/",
            reverse("portfolios:registration-detail", args=[noah.pk]),
            reverse("portfolios:evidence-new", args=[noah.pk]),
        ],
        "assessor@riverside.test": [
            "/",
            reverse("assessment:evidence-review", args=[evidence.pk]),
        ],
    }.items():
        context = browser.new_context(
            base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        log_in(page, email)
        for url in urls:
            page.goto(url)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide[url] = width
            name = email.split("@")[0] + url.strip("/").replace("/", "-")
            page.screenshot(path=str(ARTIFACTS / f"phone-{name or 'home'}.png"), full_page=True)
        context.close()
    assert not wide, f"pages wider than the phone (px): {wide}"


def test_the_accessibility_check_finds_problems_where_there_are_some(page: Page):
    # The check itself must be able to fail: an unlabelled field and pale grey text.
    page.set_content(
        "<html lang='en'><title>t</title><main><form><input type='text'></form>"
        "<p style='color:#bbb;background:#fff'>faint</p></main></html>"
    )
    found = {v["id"] for v in violations(page)}
    assert {"label", "color-contrast"} <= found
