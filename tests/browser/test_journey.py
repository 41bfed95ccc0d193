"""The whole life of two qualifications in one real browser session per person, against the real
catalogue, PostgreSQL, Redis and a real Celery worker.

Ada (centre admin) registers Noah on the ProQual diploma and Mia on the CVQ and chooses their
units. Each learner uploads evidence and maps it; a witness confirms Noah's testimony through
the e-mailed link. Tom, a trainee assessor, decides Noah's criteria and Samir countersigns them;
Samir decides all of Mia's. Units are signed off and the learners countersign. Grace (IQA) plans,
samples Noah's unit and raises an action, which Tom answers and Grace closes. Ada claims a full
certificate for Mia and a unit certificate for Noah; both PDFs download with the right text and
the public page verifies them. Every role's main page is saved as a screenshot and checked
with axe-core along the way.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from certification.models import Certificate
from home.demo import PROQUAL_OPTIONAL  # the demo's choice: 45 credits with the mandatory units
from portal.models import RoleKind
from portfolios.mapping import mapped_to
from portfolios.models import Evidence, Registration
from qualifications.models import Unit
from tests.browser.axe import describe, violations
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_assessment import as_user, person
from tests.browser.test_certification import pdf_text
from tests.catalogue import load_test_world
from tests.factories import PASSWORD, CentreFactory, grant_direct_claims
from tests.portfolios.files import PDF, PNG

__all__ = ["as_user"]

PROQUAL = "ProQual Level 2 Diploma in Customer Service"
PROQUAL_CODE = "601/3576/1"
PROQUAL_UNIT = "F/506/2131"  # Understand customers: the unit Noah is certificated for
CVQ = "Customer Service Level 2"
CVQ_CODE = "CCA010-02"
SECURITY_UNIT = "U00306"  # its underpinning knowledge by questioning only
CVQ_OPTIONAL = "U13402"
START = datetime.date(2026, 9, 1)
EVIDENCE_DAY = "2026-11-02"


@pytest.fixture
def riverside(transactional_db, celery_worker):
    """A centre with its people and nothing else: everything after is done in the browser."""
    load_test_world()
    centre = CentreFactory.create(name="Riverside Skills Academy")
    # The AO's word (decision 29): its claims are issued at once; tests/browser/test_eqa.py
    # walks a claim held for the AO's external quality assurer.
    grant_direct_claims(centre)
    person(centre, "ada@example.org", "Ada Okafor", RoleKind.CENTRE_ADMIN)
    person(centre, "samir@example.org", "Samir Patel", RoleKind.ASSESSOR)
    person(centre, "tom@example.org", "Tom Reyes", RoleKind.ASSESSOR, is_trainee=True)
    person(centre, "grace@example.org", "Grace Mensah", RoleKind.IQA)
    person(centre, "noah@example.org", "Noah Williams", RoleKind.LEARNER)
    person(centre, "mia@example.org", "Mia Campbell", RoleKind.LEARNER)
    return centre


class Checks:
    """axe-core on each page the journey passes through; problems are gathered, not fatal at
    once, so one run reports every page that needs fixing."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def __call__(self, page: Page, name: str, main: bool = False) -> None:
        found = violations(page)
        if found:
            self.problems[f"{name} ({page.url})"] = describe(found)
        if main:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)


def register(
    ada: Page, learner: str, qualification: tuple[str, str], assessor: str, units, number=""
) -> None:
    title, code = qualification
    ada.get_by_role("link", name="Registrations").click()
    ada.get_by_role("link", name="Register a learner").first.click()
    ada.get_by_label("Qualification").select_option(label=f"{title} ({code})")
    ada.get_by_role("button", name="Next").click()
    # By its id: "Learner" is in the label of the ULN's field too.
    ada.locator("#id_learner").select_option(label=learner)
    ada.get_by_label("Assessor").select_option(label=assessor)
    ada.get_by_label("IQA").select_option(label="Grace Mensah (grace@example.org)")
    ada.get_by_label("Start date").fill(START.isoformat())
    ada.get_by_label("Planned end date").fill("2027-07-31")
    ada.get_by_label("AO registration number").fill(number)
    for code in units:
        ada.get_by_label(re.compile(rf"^{re.escape(code)} ")).check()
    ada.get_by_role("button", name="Register").click()
    expect(ada.get_by_role("status")).to_contain_text(f"is registered on {title}.")


def add_evidence(learner: Page, title: str, tmp_path, upload, kind: str = "") -> None:
    learner.goto("/")
    learner.get_by_role("link", name="Add evidence").first.click()
    learner.get_by_label("Title").fill(title)
    learner.get_by_label("Date").fill(EVIDENCE_DAY)
    learner.get_by_label("Method").select_option("product")
    if kind:  # where a unit's rules require a kind, the evidence says it (decision 53)
        learner.get_by_label("Kind of evidence").select_option(label=kind)
    learner.get_by_label("Description").fill(f"{title}: what I did and how it went.")
    name, content = upload
    (tmp_path / name).write_bytes(content)
    learner.get_by_label("Files").set_input_files(tmp_path / name)
    learner.get_by_label("I declare that this evidence is my own work").check()
    learner.get_by_role("button", name="Add to my portfolio").click()
    expect(learner.get_by_role("heading", level=1)).to_have_text(title)
    expect(learner.get_by_role("link", name=name)).to_be_visible()


def tick_units(page: Page, codes, boxes: str = "") -> int:
    """Tick every item of these units in the picker, as clicks (so the page's own script sees
    each one), or, given `boxes` (a selector), untick those ticked and tick those not; returns
    how many boxes were clicked."""
    ticked = 0
    for code in codes:
        unit = page.locator("#picker details.picker-unit").filter(
            has=page.locator("summary", has_text=re.compile(rf"^{re.escape(code)} "))
        )
        ticked += unit.locator(boxes or "input[type=checkbox]").evaluate_all(
            "boxes => boxes.filter(b => !b.checked).map(b => b.click()).length"
            if not boxes
            else "boxes => boxes.map(b => b.click()).length"
        )
    return ticked


def record_sufficiency(assessor: Page, registration: Registration, code: str) -> None:
    """On the unit's page, as its assessor: two customers and two occasions, each on one of the
    learner's two pieces of real work, and the period judged, where the unit's sufficiency asks
    for them (decision 52)."""
    unit = Unit.objects.get(code=code)
    assessor.goto(f"/registrations/{registration.pk}/units/{unit.pk}/")
    rules = assessor.get_by_test_id("sufficiency-rule")
    if rules.count() == 0:
        return
    form = assessor.get_by_test_id("sufficiency-form")
    pieces = ("Portfolio of observed service", "Evening shift, another customer")
    said = {
        "At least 2 different customers": ("Mrs Achebe, a refund", "Mr Oduya, a late delivery"),
        "At least 2 different occasions": ("A Saturday rush", "A quiet Tuesday evening"),
    }
    for toward, descriptions in said.items():
        for piece, description in zip(pieces, descriptions, strict=True):
            form.get_by_label("Toward").select_option(label=toward)
            form.get_by_label("Real-work evidence").select_option(label=piece)
            form.get_by_label("Which customer or occasion").fill(description)
            form.get_by_role("button", name="Record").click()
            expect(assessor.get_by_role("status")).to_contain_text("Recorded toward")
    form.get_by_label("Toward").select_option(label="A sufficient period of time (your judgement)")
    form.get_by_label("Real-work evidence").select_option(label="None: my judgement of the period")
    form.get_by_label("Which customer or occasion").fill("Weeks of real work, many customers.")
    form.get_by_role("button", name="Record").click()
    for measure in ("customers", "occasions", "period"):
        rule = assessor.locator(f'[data-testid="sufficiency-rule"][data-measure="{measure}"]')
        expect(rule).to_contain_text("Met")


def sign_off(assessor: Page, registration: Registration, code: str, name: str) -> None:
    unit = Unit.objects.get(code=code)
    assessor.goto(f"/assess/registrations/{registration.pk}/units/{unit.pk}/")
    assessor.get_by_label("I declare that I have assessed").check()
    assessor.get_by_label("Signature (type your full name)").fill(name)
    assessor.get_by_label("Your password").fill(PASSWORD)
    assessor.get_by_role("button", name="Sign the unit off").click()
    expect(assessor.get_by_role("status")).to_contain_text("is signed off")


def countersign(learner: Page, registration: Registration, code: str, name: str) -> None:
    unit = Unit.objects.get(code=code)
    learner.goto(f"/assess/registrations/{registration.pk}/units/{unit.pk}/")
    learner.get_by_label("I declare that the evidence for this unit is my own work.").check()
    learner.get_by_label("Signature (type your full name)").fill(name)
    learner.get_by_role("button", name="Countersign").click()
    expect(learner.get_by_role("status")).to_contain_text("the unit is achieved")


def test_the_whole_journey_from_registration_to_verified_certificates(as_user, riverside, tmp_path):
    check = Checks()
    today = timezone.localdate()

    # The centre admin registers both learners and chooses their units.
    ada = as_user("ada@example.org")
    check(ada, "centre-admin-empty")
    register(
        ada,
        "Noah Williams (noah@example.org)",
        (PROQUAL, PROQUAL_CODE),
        "Tom Reyes (tom@example.org)",
        PROQUAL_OPTIONAL,
        number="PQ2610001",  # ProQual accepts claims only for learners registered with it
    )
    check(ada, "registration")
    register(
        ada,
        "Mia Campbell (mia@example.org)",
        (CVQ, CVQ_CODE),
        "Samir Patel (samir@example.org)",
        [CVQ_OPTIONAL],
    )
    noah_reg = Registration.objects.get(learner__email="noah@example.org")
    mia_reg = Registration.objects.get(learner__email="mia@example.org")
    cvq_units = list(mia_reg.planned_units.values_list("unit__code", flat=True))
    assert len(cvq_units) == 6 and CVQ_OPTIONAL in cvq_units

    # Noah uploads and maps evidence to a whole unit, and asks a witness.
    noah = as_user("noah@example.org")
    check(noah, "learner-new", main=True)
    add_evidence(noah, "Customer profile and call notes", tmp_path, ("notes.pdf", PDF))
    noah.get_by_role("link", name="Map to criteria").click()
    assert tick_units(noah, [PROQUAL_UNIT]) == Unit.objects.get(code=PROQUAL_UNIT).criteria.count()
    check(noah, "mapping")
    noah.get_by_role("button", name="Save the mapping").click()
    expect(noah.get_by_role("status")).to_contain_text("is mapped to 9 criteria.")

    noah.goto("/")
    noah.get_by_role("link", name=PROQUAL).first.click()
    noah.get_by_role("link", name="Ask a witness").click()
    noah.get_by_label("Witness's name").fill("Wendy Walker")
    noah.get_by_label("Witness's e-mail address").fill("wendy@example.org")
    noah.get_by_label("Who they are to you").fill("Team leader")
    noah.get_by_label("What you ask them to confirm").fill(
        "I watched Noah find out what a customer needed and explain our returns policy."
    )
    noah.get_by_role("button", name="Send the request").click()
    expect(noah.get_by_role("status")).to_contain_text("Wendy Walker has been sent a link")
    found = re.search(r"https?://\S+/witness/\S+/", str(mail.outbox[-1].body))
    assert found and mail.outbox[-1].to == ["wendy@example.org"], mail.outbox[-1].body
    wendy = as_user(None)
    wendy.goto(found.group(0))
    expect(wendy.get_by_text("explain our returns policy")).to_be_visible()
    wendy.get_by_label("Your job title").fill("Team leader")
    wendy.get_by_label("How you know the learner").fill("I lead Noah's team")
    wendy.get_by_label("Signature").fill("Wendy Walker")
    wendy.get_by_label("I confirm that the statement above is true.").check()
    check(wendy, "witness")
    wendy.get_by_role("button", name="Confirm and sign").click()
    expect(wendy.get_by_role("heading", level=1)).to_have_text("Thank you")

    # Mia uploads one big piece of evidence and maps it to every item of her six units.
    mia = as_user("mia@example.org")
    add_evidence(
        mia, "Portfolio of observed service", tmp_path, ("service.png", PNG), "Performance evidence"
    )
    mia.get_by_role("link", name="Map to criteria").click()
    ticked = tick_units(mia, cvq_units)
    mia.get_by_role("button", name="Save the mapping").click()
    expect(mia.get_by_role("status")).to_contain_text("is mapped to ")
    mapped = Evidence.objects.get(title="Portfolio of observed service")
    assert mapped.mappings.count() == ticked
    expect(mia.get_by_role("status")).to_contain_text(f"is mapped to {mapped_to(mapped)}.")
    # Another customer on another day: her units' sufficiency asks for two of each (decision 52).
    add_evidence(
        mia, "Evening shift, another customer", tmp_path, ("shift.pdf", PDF), "Performance evidence"
    )
    mia.get_by_role("link", name="Map to criteria").click()
    assert tick_units(mia, cvq_units) == ticked
    mia.get_by_role("button", name="Save the mapping").click()
    expect(mia.get_by_role("status")).to_contain_text("is mapped to ")

    # Tom, a trainee, decides Noah's unit from the evidence and the testimony: provisional.
    tom = as_user("tom@example.org")
    check(tom, "trainee", main=True)
    tom.get_by_test_id("waiting").get_by_role(
        "link", name="Customer profile and call notes"
    ).click()
    expect(tom.locator("#picker-count")).to_have_text("9 ticked")
    tom.get_by_label("Met", exact=True).check()
    tom.get_by_label("Feedback to the learner").fill("A clear profile of your customers.")
    check(tom, "review")
    tom.get_by_role("button", name="Record the decision").click()
    expect(tom.get_by_role("status")).to_contain_text("9 decisions recorded.")
    tom.goto("/")
    tom.get_by_test_id("waiting").get_by_role(
        "link", name="Witness testimony from Wendy Walker"
    ).click()
    expect(tom.get_by_text("explain our returns policy")).to_be_visible()

    # Samir countersigns Tom's decisions, then decides all of Mia's items himself.
    samir = as_user("samir@example.org")
    expect(samir.get_by_test_id("to-countersign")).to_have_text("9")
    samir.get_by_role("link", name="Countersign", exact=True).click()
    boxes = samir.get_by_role("checkbox", name=re.compile(r"for Noah Williams$"))
    expect(boxes).to_have_count(9)
    for box in boxes.all():
        box.check()
    check(samir, "countersign")
    samir.get_by_role("button", name="Countersign the ticked decisions").click()
    expect(samir.get_by_role("status")).to_contain_text("9 decisions countersigned.")

    samir.goto("/")
    samir.get_by_test_id("waiting").get_by_role(
        "link", name="Portfolio of observed service"
    ).click()
    expect(samir.locator("#picker-count")).to_have_text(f"{ticked} ticked")
    # U00306's underpinning knowledge "must be assessed using questioning" (decision 53): not
    # on this evidence, but on Samir's record of his questions, below.
    knowledge = tick_units(samir, [SECURITY_UNIT], "input[name=knowledge_items]")
    assert knowledge > 0
    samir.get_by_label("Met", exact=True).check()
    samir.get_by_role("button", name="Record the decision").click()
    expect(samir.get_by_role("status")).to_contain_text(f"{ticked - knowledge} decisions recorded.")
    samir.goto(f"/assess/registrations/{mia_reg.pk}/records/new/")
    samir.get_by_label("Title").fill("Questions on safety and security")
    samir.get_by_label("Date").fill(EVIDENCE_DAY)
    samir.get_by_label("Kind of record").select_option("questioning")
    samir.get_by_label("Kind of evidence").select_option(
        label="Knowledge and understanding evidence"
    )
    samir.get_by_label("Record", exact=True).fill(
        "Asked about hazards, reporting and security; answered well."
    )
    samir.get_by_role("button", name="Add the record").click()
    assert tick_units(samir, [SECURITY_UNIT], "input[name=knowledge_items]") == knowledge
    samir.get_by_label("Met", exact=True).check()
    samir.get_by_role("button", name="Record the decision").click()
    expect(samir.get_by_role("status")).to_contain_text(f"{knowledge} decisions recorded.")
    for code in cvq_units:
        record_sufficiency(samir, mia_reg, code)
        sign_off(samir, mia_reg, code, "Samir Patel")
    # Tom's sign-off, a trainee's, waits for Samir's countersignature before Noah's.
    sign_off(tom, noah_reg, PROQUAL_UNIT, "Tom Reyes")
    samir.goto("/assess/countersign/")
    samir.get_by_role(
        "button", name=f"Countersign the sign-off of {PROQUAL_UNIT} for Noah Williams"
    ).click()
    expect(samir.get_by_role("status")).to_contain_text("You countersigned the sign-off")

    # The learners countersign their units and see them achieved.
    for code in cvq_units:
        countersign(mia, mia_reg, code, "Mia Campbell")
    countersign(noah, noah_reg, PROQUAL_UNIT, "Noah Williams")
    mia.goto("/")
    expect(mia.get_by_test_id("units-achieved")).to_contain_text("6 of 6")
    check(mia, "learner-achieved", main=True)
    noah.goto("/")
    expect(noah.get_by_test_id("units-achieved")).to_contain_text("1 of 14")

    # Grace plans the ProQual diploma, samples Noah's unit and raises an action.
    grace = as_user("grace@example.org")
    grace.get_by_role("link", name="Generate a sampling plan").click()
    grace.get_by_label("Qualification").select_option(label=PROQUAL)
    grace.get_by_label("From").fill(START.isoformat())
    grace.get_by_label("To").fill((today + datetime.timedelta(days=30)).isoformat())
    grace.get_by_role("button", name="Generate").click()
    expect(grace.get_by_role("status")).to_contain_text("Plan generated with 1 item.")
    grace.get_by_role("link", name=f"Sample {PROQUAL_UNIT} for Noah Williams").click()
    for rule in ("Valid", "Authentic", "Current", "Reliable"):
        grace.get_by_label(rule, exact=False).first.check()
    grace.get_by_label("Action required").check()
    grace.get_by_label("Feedback to the assessor").fill("Sound decisions; say which call notes.")
    grace.get_by_label("Action 1", exact=True).fill("Reference the call notes in your feedback.")
    grace.get_by_label("Target date for action 1").fill(
        (today + datetime.timedelta(days=14)).isoformat()
    )
    check(grace, "sample")
    grace.get_by_role("button", name="Record the sample").click()
    expect(grace.get_by_role("status")).to_contain_text("The sample is recorded.")

    # The action holds Noah's unit back from a claim until Tom answers and Grace closes it.
    ada.goto("/claims/")
    expect(ada.get_by_test_id("ready-full")).to_contain_text("Mia Campbell")
    expect(ada.get_by_test_id("not-ready")).to_contain_text("Noah Williams")
    expect(ada.get_by_text("Nobody can have a unit certificate yet.")).to_be_visible()
    tom.goto("/")
    tom.get_by_test_id("iqa-actions").get_by_role("link").first.click()
    tom.get_by_label("Your response").fill("Feedback now names the call notes it relies on.")
    tom.get_by_role("button", name="Send the response").click()
    expect(tom.get_by_role("status")).to_contain_text("Your response is sent to the IQA.")
    grace.goto("/")
    check(grace, "iqa", main=True)
    grace.get_by_test_id("to-close").get_by_role("link").first.click()
    grace.get_by_role("button", name="Close the action").click()
    expect(grace.get_by_role("status")).to_contain_text("The action is closed.")

    # Ada claims a full certificate for Mia and a unit certificate for Noah.
    ada.goto("/")
    check(ada, "centre-admin", main=True)
    ada.get_by_role("link", name="Claims").click()
    expect(ada.get_by_test_id("ready-unit")).to_contain_text("Noah Williams")
    check(ada, "claims")
    ada.get_by_test_id("ready-full").get_by_role("checkbox").first.check()  # none come ticked
    ada.get_by_role("button", name="Claim full certificates for the ticked learners").click()
    ada.get_by_role("button", name="Confirm: claim 1 full certificate").click()
    expect(ada.get_by_role("status")).to_contain_text("1 certificate claimed.")
    ada.get_by_label(f"Noah Williams, {PROQUAL}").check()
    ada.get_by_role("button", name="Claim unit certificates for the ticked learners").click()
    ada.get_by_role("button", name="Confirm: claim 1 unit certificate").click()
    expect(ada.get_by_role("status")).to_contain_text("1 unit certificate claimed.")

    # The worker renders both; the PDFs say the right things; the public page verifies them.
    expected = {
        Certificate.objects.get(registration=mia_reg): [CVQ, "Mia Campbell", *cvq_units],
        Certificate.objects.get(registration=noah_reg): [PROQUAL, "Noah Williams", PROQUAL_UNIT],
    }
    for certificate, words in expected.items():
        ada.goto(f"/certificates/{certificate.pk}/")
        for _ in range(120):
            if ada.get_by_test_id("certificate-state").inner_text() == "Ready":
                break
            ada.wait_for_timeout(500)
            ada.reload()
        expect(ada.get_by_test_id("certificate-state")).to_have_text("Ready")
        check(ada, f"certificate-{certificate.kind}")
        with ada.expect_download() as download:
            ada.get_by_role("link", name="Download the PDF").click()
        path = tmp_path / f"{certificate.number}.pdf"
        download.value.save_as(path)
        text = pdf_text(path)
        for word in [*words, certificate.number]:
            assert word in text, f"{word!r} is not in {certificate.kind} certificate: {text}"
        if certificate.kind == "unit":
            assert "A/506/2130" not in text  # only the unit achieved is certificated

        visitor = as_user(None)
        visitor.goto("/verify/")
        visitor.get_by_label("Certificate number").fill(certificate.number)
        visitor.get_by_role("button", name="Check").click()
        verdict = visitor.get_by_test_id("verification")
        expect(verdict).to_contain_text("Genuine")
        expect(verdict).to_contain_text(certificate.snapshot["learner_name"])
        check(visitor, f"verified-{certificate.kind}", main=True)

    ada.goto("/claims/")
    ada.get_by_role("link", name="All certificates: search, filter and sort").click()
    expect(ada.get_by_test_id("certificates").locator("tbody tr")).to_have_count(2)
    ada.get_by_label("Kind").select_option(label="Unit certificate")
    ada.get_by_role("button", name="Show").click()
    expect(ada.get_by_test_id("certificates").locator("tbody tr")).to_have_count(1)
    expect(ada.get_by_test_id("certificates")).to_contain_text("Noah Williams")
    check(ada, "certificate-list")

    samir.goto("/")
    check(samir, "assessor", main=True)
    tom.goto("/")
    check(tom, "trainee-after", main=True)
    noah.goto("/")
    expect(noah.get_by_test_id("units-achieved")).to_contain_text("1 of 14")
    check(noah, "learner-certificated", main=True)
    noah.get_by_test_id("certificates").get_by_role("link", name="Unit certificate").click()
    with noah.expect_download() as download:
        noah.get_by_role("link", name="Download the PDF").click()
    download.value.save_as(tmp_path / "noah.pdf")
    assert PROQUAL_UNIT in pdf_text(tmp_path / "noah.pdf")
    assert not check.problems, "\n\n".join(f"{k}\n{v}" for k, v in check.problems.items())
