"""A learner builds a portfolio in a real browser against the real catalogue."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from portal.models import RoleKind
from portfolios.comments import comment_add
from portfolios.evidence import evidence_write
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification
from tests.browser.conftest import ARTIFACTS
from tests.catalogue import load_test_world
from tests.factories import PASSWORD, CentreFactory, RoleFactory, UserFactory
from tests.portfolios.conftest import SFJ_ENOUGH, START
from tests.portfolios.files import PDF, PNG


@pytest.fixture
def portfolio(transactional_db):
    load_test_world()
    centre = CentreFactory.create(name="Riverside Skills Academy")
    admin = RoleFactory.create(centre=centre, kind=RoleKind.CENTRE_ADMIN).user
    learner = UserFactory.create(email="leo@example.org", full_name="Leo Brown")
    RoleFactory.create(user=learner, centre=centre, kind=RoleKind.LEARNER)
    registration = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code="SFJ-L2-CS"),
            start_date=START,
        ),
        optional_units=SFJ_ENOUGH,
        actor=admin,
    )
    return registration


UNBROKEN = "https://example.org/" + "a" * 1980  # the longest comment there may be


def long_words(registration):
    """A typed account whose text, and whose comment, is one 2,000-character address."""
    learner = registration.learner
    evidence = evidence_write(
        registration=registration, title="Account", occurred_on=START, text=UNBROKEN,
        declared=True, actor=learner,
    )  # fmt: skip
    comment_add(evidence=evidence, text=UNBROKEN, actor=learner)
    return evidence


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_the_browser_asks_for_the_declaration_before_sending_the_files(
    page: Page, portfolio, tmp_path
):
    """Unticked, the declaration stops the form before the files go: the page stays as it
    was, the file still chosen; ticked, the evidence is added."""
    log_in(page, "leo@example.org")
    page.goto(f"/registrations/{portfolio.pk}/evidence/new/")
    page.get_by_label("Title").fill("Handling a complaint by e-mail")
    page.get_by_label("Date").fill("2026-10-05")
    page.get_by_label("Method").select_option("product")
    (tmp_path / "thread.pdf").write_bytes(PDF)
    files = page.get_by_label("Files")
    files.set_input_files(tmp_path / "thread.pdf")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    page.get_by_role("button", name="Add to my portfolio").click()
    declaration = page.get_by_label("I declare that this evidence is my own work")
    expect(declaration).to_be_focused()  # where the browser says what is missing
    assert declaration.evaluate("box => box.validity.valueMissing")
    assert sent == [] and files.evaluate("input => input.files.length") == 1
    declaration.check()
    page.get_by_role("button", name="Add to my portfolio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Handling a complaint by e-mail")


def test_a_learner_uploads_maps_sees_progress_and_a_witness_confirms(
    page: Page, portfolio, screenshot, tmp_path
):
    log_in(page, "leo@example.org")
    evidenced = page.get_by_test_id("evidenced")
    expect(evidenced).to_contain_text("0 of ")
    screenshot("home-before")

    page.get_by_role("link", name="Add evidence").click()
    page.get_by_label("Title").fill("Handling a complaint by e-mail")
    page.get_by_label("Date").fill("2026-10-05")
    page.get_by_label("Method").select_option("product")
    page.get_by_label("Description").fill("The e-mail thread and a photo of the resolution log.")
    (tmp_path / "thread.pdf").write_bytes(PDF)
    (tmp_path / "log.png").write_bytes(PNG)
    page.get_by_label("Files").set_input_files([tmp_path / "thread.pdf", tmp_path / "log.png"])
    page.get_by_label("I declare that this evidence is my own work").check()
    screenshot("upload-form")
    page.get_by_role("button", name="Add to my portfolio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Handling a complaint by e-mail")
    expect(page.get_by_role("link", name="thread.pdf")).to_be_visible()
    expect(page.get_by_role("link", name="log.png")).to_be_visible()

    page.get_by_role("link", name="Map to criteria").click()
    # The filter runs as the words are typed, once the picker's script has set itself up: on a
    # busy machine the words could be typed before it had, and the first item of the whole
    # list was ticked (a flake). Wait for it, then for the filter to leave the item looked for.
    expect(page.locator("#picker")).to_have_attribute("data-picker-ready", "true")
    shown = page.locator("#picker .picker-item:not([hidden])")
    for words in ("brand promise", "incident"):
        page.get_by_label("Filter by words").fill(words)
        expect(shown.first).to_contain_text(re.compile(words, re.IGNORECASE))
        expect(shown).not_to_have_count(0)
        shown.first.locator("input").check()
    expect(page.locator("#picker-count")).to_have_text("2 ticked")
    screenshot("picker")
    page.get_by_role("button", name="Save the mapping").click()
    expect(page.get_by_role("status")).to_contain_text("is mapped to 2 criteria.")
    expect(page.get_by_text("A/506/2130 2.3")).to_be_visible()
    expect(page.get_by_text(re.compile(r"K/503/0421 \d\.\d"))).to_be_visible()

    page.goto("/")
    expect(evidenced).to_contain_text("2 of ")
    expect(page.get_by_test_id("route")).to_contain_text("Shortest route")
    screenshot("home-after")

    page.get_by_role("link", name="SFJ Awards Level 2 Certificate in Customer Service").click()
    page.get_by_role("link", name="Ask a witness").click()
    page.get_by_label("Witness's name").fill("Wendy Witness")
    page.get_by_label("Witness's e-mail address").fill("wendy@example.org")
    page.get_by_label("Who they are to you").fill("Line manager")
    page.get_by_label("What you ask them to confirm").fill("I saw Leo resolve a complaint calmly.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("status")).to_contain_text("Wendy Witness has been sent a link")
    expect(page.get_by_test_id("witness-requests")).to_contain_text("waiting for the witness")

    found = re.search(r"https?://\S+/witness/\S+/", str(mail.outbox[-1].body))
    assert found, mail.outbox[-1].body
    link = found.group(0)
    page.get_by_role("button", name="Log out").click()
    page.goto(link)
    expect(page.get_by_text("I saw Leo resolve a complaint calmly.")).to_be_visible()
    page.get_by_label("Your job title").fill("Store manager")
    page.get_by_label("How you know the learner").fill("I manage Leo")
    page.get_by_label("Signature").fill("Wendy Witness")
    page.get_by_label("I confirm that the statement above is true.").check()
    page.get_by_role("button", name="Confirm and sign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("already been confirmed")

    log_in(page, "leo@example.org")
    page.get_by_role("link", name="SFJ Awards Level 2 Certificate in Customer Service").click()
    evidence = page.get_by_role("region", name="Evidence", exact=True)
    expect(
        evidence.get_by_role("link", name="Witness testimony from Wendy Witness")
    ).to_be_visible()
    expect(page.get_by_test_id("witness-requests")).to_contain_text("Confirmed")


def test_the_upload_and_progress_pages_fit_a_phone(browser, live_server, portfolio):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        log_in(page, "leo@example.org")
        for path in ("/", f"/registrations/{portfolio.pk}/evidence/new/"):
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} scrolls sideways on a phone ({width}px)"
        accept = page.get_by_label("Files").get_attribute("accept")
        assert "image/*" in accept and "video/*" in accept  # phones offer the camera
        # What people type may hold a long unbroken address: it wraps, the page stays as wide
        # as the phone (a 2,000-character one made it 17,851 px).
        evidence = long_words(portfolio)
        page.goto(f"/evidence/{evidence.pk}/")
        expect(page.get_by_test_id("comments")).to_contain_text(UNBROKEN[:40])
        expect(page.get_by_test_id("description")).to_contain_text(UNBROKEN[:40])
        width, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width <= client, f"a long comment widens the page to {width}px"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "phone-upload.png"), full_page=True)
    finally:
        context.close()
