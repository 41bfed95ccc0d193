"""Mapping, deciding and uploading happen in place with htmx, and every one of them still works
with JavaScript switched off."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from assessment.models import Decision
from portfolios.models import Evidence, Mapping
from tests.browser.test_assessment import as_user, caseload
from tests.browser.test_portfolio import log_in
from tests.portfolios.files import PDF

__all__ = ["as_user", "caseload"]

TITLE = "Customer profile and call notes"


def stay_marker(page: Page) -> None:
    """A mark on the window that a full page load would wipe out."""
    page.evaluate("window.__stayed = true")


def stayed(page: Page) -> bool:
    return page.evaluate("window.__stayed === true")


def upload(page: Page, tmp_path) -> None:
    """Fill in and send the evidence form the page shows."""
    page.get_by_label("Title").fill("Complaint log")
    page.get_by_label("Date").fill("2026-10-05")
    page.get_by_label("Method").select_option("product")
    (tmp_path / "log.pdf").write_bytes(PDF * 200)  # big enough for progress events
    page.get_by_label("Files").set_input_files(tmp_path / "log.pdf")
    page.get_by_label("I declare that this evidence is my own work").check()
    page.get_by_role("button", name="Add to my portfolio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Complaint log")


def test_the_learner_uploads_and_maps_and_the_assessor_decides_without_a_page_load(
    as_user, caseload, tmp_path
):
    leo_reg = caseload["leo"]
    leo = as_user("leo@example.org")
    leo.goto(f"/registrations/{leo_reg.pk}/evidence/new/")
    stay_marker(leo)
    # What the progress bar said each time htmx reported progress (after the page's handler).
    leo.evaluate(
        """window.__progress = [];
        document.addEventListener('htmx:xhr:progress', () => window.__progress.push(
            document.querySelector('#upload-progress').getAttribute('aria-valuenow')));"""
    )
    upload(leo, tmp_path)
    evidence = Evidence.objects.get(title="Complaint log")
    assert leo.url.endswith(f"/evidence/{evidence.pk}/")  # the address follows the new page
    assert leo.title().startswith("Complaint log")
    assert stayed(leo), "adding evidence loaded a whole new page"
    assert leo.evaluate("window.__progress").pop() == "100"

    leo.get_by_role("link", name="Map to criteria").click()
    stay_marker(leo)
    # Typed once the picker's script has set itself up (else the filter never runs).
    expect(leo.locator("#picker")).to_have_attribute("data-picker-ready", "true")
    leo.get_by_label("Filter by words").fill("brand promise")
    leo.locator("#picker .picker-item:not([hidden]) input").first.check()
    leo.get_by_role("button", name="Save the mapping").click()
    expect(leo.get_by_role("status")).to_contain_text("is mapped to 1 criterion.")
    assert leo.url.endswith(f"/evidence/{evidence.pk}/") and stayed(leo)

    # The assessor confirms one mapping, rejects another, then decides: the page stays, and
    # what they have typed in the decision form is still there after each mapping.
    samir = as_user("samir@example.org")
    samir.get_by_test_id("waiting").get_by_role("link", name=TITLE).click()
    stay_marker(samir)
    samir.get_by_label("Feedback to the learner").fill("A thorough profile.")
    first, second = samir.get_by_test_id("mapping").nth(0), samir.get_by_test_id("mapping").nth(1)
    first.get_by_role("button", name="Confirm mapping").click()
    expect(samir.get_by_role("status")).to_have_text(re.compile(r"\s*Mapping confirmed\.\s*"))
    expect(first).to_contain_text("Confirmed")
    second.get_by_placeholder("Why it does not show this").fill("Not about this criterion.")
    second.get_by_role("button", name="Reject").click()
    expect(samir.get_by_role("status")).to_contain_text("Mapping rejected.")
    expect(second).to_contain_text("Not about this criterion.")
    assert samir.get_by_label("Feedback to the learner").input_value() == "A thorough profile."
    rejected = Mapping.objects.get(status="rejected")
    expect(samir.locator(f"#c-{rejected.criterion_id}")).not_to_be_checked()  # not decided now
    expect(samir.locator("#picker-count")).to_have_text("10 ticked")

    samir.get_by_role("button", name="Record the decision").click()  # no outcome chosen yet
    expect(samir.locator("#review")).to_contain_text("This field is required.")
    assert samir.get_by_label("Feedback to the learner").input_value() == "A thorough profile."
    samir.get_by_label("Met", exact=True).check()
    samir.get_by_role("button", name="Record the decision").click()
    expect(samir.get_by_role("status")).to_contain_text("decisions recorded.")
    assert stayed(samir), "deciding loaded a whole new page"
    assert Decision.objects.filter(registration=leo_reg, outcome="met").count() == 10
    expect(samir.locator("#picker-count")).to_have_text("0 ticked")  # the picker set itself up


def test_without_javascript_the_same_steps_work_as_plain_forms(
    browser: Browser, live_server, caseload, tmp_path
):
    leo_reg = caseload["leo"]
    contexts = []

    def no_script(email: str) -> Page:
        context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        log_in(page, email)
        return page

    try:
        leo = no_script("leo@example.org")
        leo.goto(f"/registrations/{leo_reg.pk}/evidence/new/")
        upload(leo, tmp_path)
        evidence = Evidence.objects.get(title="Complaint log")
        leo.get_by_role("link", name="Map to criteria").click()
        leo.get_by_label(re.compile(r"^2\.3 ")).first.check()
        leo.get_by_role("button", name="Save the mapping").click()
        expect(leo.get_by_role("status")).to_contain_text("is mapped to 1 criterion.")
        assert evidence.mappings.count() == 1

        samir = no_script("samir@example.org")
        samir.get_by_role("link", name=TITLE).first.click()
        samir.get_by_test_id("mapping").first.get_by_role("button", name="Confirm mapping").click()
        expect(samir.get_by_role("status")).to_contain_text("Mapping confirmed.")
        samir.get_by_label("Met", exact=True).check()
        samir.get_by_role("button", name="Record the decision").click()
        expect(samir.get_by_role("status")).to_contain_text("11 decisions recorded.")
    finally:
        for context in contexts:
            context.close()
