"""Joining a centre by invitation, in a real browser against the live server: a centre admin
registers two learners from a CSV file, one new to the portal and one with an account at another
centre; the file reads the same for both and shows nothing of the other centre's account; each
learner accepts through the e-mailed link and finds their registration waiting."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from portal.models import RoleKind
from tests.browser.axe import describe, violations
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_assessment import as_user, person
from tests.catalogue import load_test_world
from tests.factories import PASSWORD, CentreFactory

__all__ = ["as_user"]

SFJ = "SFJ Awards Level 2 Certificate in Customer Service"
CSV = (
    "learner_email,learner_name,qualification,assessor_email,start_date,optional_units\n"
    "nia@example.org,Nia Roberts,SFJ-L2-CS,samir@example.org,2026-09-01,"
    "SFJ-CS2-07;K/503/0421;T/506/2126\n"
    "Kofi@Example.org,Kofi Mensah-Asante,SFJ-L2-CS,samir@example.org,2026-09-01,"
    "SFJ-CS2-07;K/503/0421;T/506/2126\n"
)
NEW_PASSWORD = "nia-chooses-a-long-password"


@pytest.fixture
def centres(transactional_db):
    load_test_world()
    riverside = CentreFactory.create(name="Riverside Skills Academy")
    person(riverside, "ada@example.org", "Ada Okafor", RoleKind.CENTRE_ADMIN)
    person(riverside, "samir@example.org", "Samir Patel", RoleKind.ASSESSOR)
    harbour = CentreFactory.create(name="Harbour Training Centre")
    person(harbour, "kofi@example.org", "Kofi Asante", RoleKind.LEARNER)
    return riverside


def accessible(page: Page, name: str) -> None:
    found = violations(page)
    assert not found, f"{name}: {describe(found)}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"invitations-{name}.png"), full_page=True)


def link_sent_to(address: str) -> str:
    [message] = [m for m in mail.outbox if m.to == [address]]
    found = re.search(r"https?://\S+/accounts/invitation/\S+/", str(message.body))
    assert found, message.body
    return found.group(0)


def test_two_learners_invited_from_a_csv_file_join_through_their_links(as_user, centres):
    ada = as_user("ada@example.org")
    ada.get_by_role("link", name="Registrations").click()
    ada.get_by_role("link", name="Register from a CSV file").first.click()
    ada.get_by_label("CSV file").set_input_files(
        {"name": "learners.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    ada.get_by_role("button", name="Check the file").click()
    rows = ada.locator("table tbody tr")
    expect(rows).to_have_count(2)
    for row, name in zip(rows.all(), ("Nia Roberts", "Kofi Mensah-Asante"), strict=True):
        expect(row).to_contain_text(name)
        expect(row).to_contain_text("invitation")
    expect(ada.locator("main")).not_to_contain_text("Kofi Asante")  # the other centre's name
    accessible(ada, "csv-preview")
    ada.get_by_role("button", name="Invite 2 learners").click()
    expect(ada.get_by_role("status")).to_contain_text("0 learners registered. 2 invitations sent")

    ada.goto("/people/invitations/")
    expect(ada.get_by_test_id("invitation")).to_have_count(2)
    accessible(ada, "list")

    # Nia is new to the portal: the link asks her to choose a password.
    nia = as_user(None)
    nia.goto(link_sent_to("nia@example.org"))
    expect(nia.get_by_role("heading", level=1)).to_have_text("Join Riverside Skills Academy")
    accessible(nia, "newcomer")
    nia.get_by_label("Choose a password").fill(NEW_PASSWORD)
    nia.get_by_label("The same password again").fill(NEW_PASSWORD)
    nia.get_by_role("button", name="Create my account and join").click()
    expect(nia.get_by_role("status")).to_contain_text(
        "Welcome to Riverside Skills Academy: you are a learner here."
    )
    expect(nia.get_by_role("link", name=SFJ).first).to_be_visible()

    # Kofi has an account at Harbour: he logs in to accept, and keeps his own name.
    kofi = as_user(None)
    kofi.goto(link_sent_to("kofi@example.org"))
    kofi.get_by_role("link", name="Log in to accept").click()
    kofi.get_by_label("E-mail address").fill("kofi@example.org")
    kofi.get_by_label("Password").fill(PASSWORD)
    kofi.get_by_role("button", name="Log in").click()
    accessible(kofi, "accept")
    kofi.get_by_role("button", name="Accept and join").click()
    expect(kofi.get_by_role("status")).to_contain_text("Welcome to Riverside Skills Academy")
    expect(kofi.get_by_role("link", name=SFJ).first).to_be_visible()

    ada.goto("/people/invitations/")
    expect(ada.get_by_text("No invitation is waiting for an answer.")).to_be_visible()
    expect(ada.get_by_role("link", name="registered")).to_have_count(2)

    # A link works once.
    again = as_user(None)
    again.goto(link_sent_to("nia@example.org"))
    expect(again.get_by_test_id("link-problem")).to_contain_text("already been accepted")
    accessible(again, "used-link")
