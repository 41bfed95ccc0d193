import pytest
from playwright.sync_api import Page, expect

from qualifications.loader import catalogue_load


@pytest.fixture
def catalogue(transactional_db):
    # As the files say: the SFJ certificate a consultation draft (tests/catalogue.py).
    catalogue_load(force=True)


def test_a_visitor_browses_the_catalogue_opens_a_qualification_and_a_unit_and_searches(
    page: Page, catalogue, screenshot
):
    page.goto("/catalogue/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Qualification catalogue")
    row = page.get_by_role("row").filter(
        has_text="SFJ Awards Level 2 Certificate in Customer Service"
    )
    expect(row).to_contain_text("Consultation draft")
    screenshot("catalogue")

    page.get_by_role("link", name="ProQual Level 2 Diploma in Customer Service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "ProQual Level 2 Diploma in Customer Service"
    )
    expect(page.get_by_text("At least 45 credits in total.")).to_be_visible()
    expect(page.get_by_role("heading", name="Group D Optional Units")).to_be_visible()
    screenshot("qualification")

    page.get_by_role("link", name="Deliver customer service", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deliver customer service")
    expect(page.get_by_text("Explain when and to whom to escalate problems")).to_be_visible()
    expect(
        page.get_by_role("link", name="SFJ Awards Level 2 Certificate in Customer Service")
    ).to_be_visible()
    screenshot("unit")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalogue").click()
    page.get_by_label("Search units and criteria").fill("angry customers")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search the catalogue")
    results = page.locator("#criteria-results + ul")
    expect(results).to_contain_text("angry")
    screenshot("search")


def test_a_cvq_unit_shows_its_elements_range_knowledge_and_evidence_guide(page: Page, catalogue):
    page.goto("/catalogue/")
    page.get_by_role("link", name="Customer Service Level 2").click()
    page.get_by_role(
        "link", name="Give customers a positive impression of yourself and your organisation"
    ).click()
    expect(page.get_by_role("heading", name="Elements and performance criteria")).to_be_visible()
    expect(page.get_by_role("heading", name="Range statements")).to_be_visible()
    expect(page.get_by_role("cell", name="appear angry", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Underpinning knowledge")).to_be_visible()
    expect(page.get_by_text("Simulation not allowed", exact=True)).to_be_visible()


def test_a_qualification_without_published_rules_says_it_cannot_be_claimed_in_full(
    page: Page, catalogue
):
    page.goto("/catalogue/")
    page.get_by_role("link", name="Level 2 Certificate in Contact Centre Operations").click()
    expect(page.get_by_role("note")).to_contain_text("cannot claim a full certificate")
