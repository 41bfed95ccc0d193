import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from home.demo import DEMO_PASSWORD
from portal.forms import LOGIN_FAILED
from tests.browser.axe import describe, violations


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo")


def log_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize(
    ("email", "heading", "role_text"),
    [
        ("leo@riverside.test", "Your portfolio", "Learner · Riverside Skills Academy"),
        ("assessor@riverside.test", "Your caseload", "Assessor · Riverside Skills Academy"),
        ("trainee@riverside.test", "Your caseload", "Trainee assessor · Riverside Skills Academy"),
        (
            "admin@riverside.test",
            "Centre administration",
            "Centre admin · Riverside Skills Academy",
        ),
    ],
    ids=["learner", "assessor", "trainee-assessor", "centre-admin"],
)
def test_each_demo_role_logs_in_and_reaches_its_home_page(
    page: Page, demo, screenshot, email, heading, role_text
):
    log_in(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_test_id("role-badge")).to_have_text(role_text)
    screenshot("home")


def test_the_iqa_with_two_roles_logs_in_and_switches_to_assessing_at_another_centre(
    page: Page, demo, screenshot
):
    log_in(page, "iqa@riverside.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quality assurance")
    screenshot("iqa-home")

    page.get_by_test_id("role-switch").click()
    page.get_by_role("button", name="Assessor · Harbour Training Centre").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your caseload")
    expect(page.get_by_role("status")).to_contain_text(
        "You are now working as assessor at Harbour Training Centre."
    )
    screenshot("switched")


def test_a_wrong_password_gets_a_clear_error_and_no_session(page: Page, demo, screenshot):
    log_in(page, "admin@riverside.test", "not-the-demo-password")
    expect(page.get_by_role("alert")).to_contain_text(LOGIN_FAILED)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    screenshot("wrong-password")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


def test_a_person_logs_out_from_the_navigation_bar(page: Page, demo):
    log_in(page, "leo@riverside.test")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_too_many_wrong_passwords_pause_logging_in_with_a_page_that_says_until_when(
    page: Page, demo, screenshot, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(page, "Admin@Riverside.test", "not-the-demo-password")
        expect(page.get_by_role("alert")).to_contain_text(LOGIN_FAILED)
    log_in(page, "admin@riverside.test", "still-not-it")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logging in is paused")
    expect(page.get_by_test_id("locked-out")).to_contain_text(
        re.compile(
            r"logging in is paused until \d\d:\d\d( on \d\d \w+)? \(about 15 minutes from now\)"
        )
    )
    found = violations(page)
    assert not found, describe(found)
    screenshot("locked-out")
    log_in(page, "admin@riverside.test")  # the right password, too soon
    expect(page.get_by_role("heading", level=1)).to_have_text("Logging in is paused")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
