"""The assessor's pages through the browser's eyes: who may open and post to each, what each
shows, and that a refused request changes nothing and keeps what was typed."""

import datetime
import html
import re

import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone

from assessment.caseload import caseload as worked_out
from assessment.models import Decision, Outcome, UnitSignOff
from assessment.services import (
    ALREADY_SIGNED,
    DECLARATION_NEEDED,
    FEEDBACK_NEEDED,
    NOT_COMPLETE,
    NOT_IN_PLAN,
    REASON_NEEDED,
    RECORD_NEEDED,
    WRONG_PASSWORD,
    Judgement,
    decision_record,
    unit_sign_off,
)
from assessment.views import NONE_CHOSEN, NOTHING_TICKED
from portal.models import AuditEntry, RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Evidence, Mapping, MappingStatus
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Criterion, Qualification, Unit
from tests.audit import AuditWatch
from tests.factories import PASSWORD, RoleFactory, UserFactory
from tests.portfolios.conftest import PROQUAL_OPTIONAL, SFJ_ENOUGH
from tests.portfolios.files import pdf

UNIT = "F/506/2131"  # Understand customers: criteria 1.1-1.4 and 2.1-2.5
UNIT_CRITERIA = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5"]
OTHER_UNIT = "A/506/2130"
OPTIONAL_UNIT = "K/503/0421"
ELSEWHERE = "J/506/2132"  # ProQual's unit, not in the SFJ plan
ON = datetime.date(2026, 10, 6)
MET = Judgement(Outcome.MET, "observation", ON, "Well done.")
NOT_YET = Judgement(Outcome.NOT_YET, "observation", ON, "Greet the customer first.")
FEEDBACK = "You greeted each customer and checked what they needed."
REASON = "The IQA sample found criterion 1.2 rests on another learner's work."
STAFF = ["learner", "iqa", "centre_admin"]


def criterion(unit, number):
    return Criterion.objects.get(unit__code=unit, number=number)


def criteria(unit, *numbers):
    found = Criterion.objects.filter(unit__code=unit)
    if numbers:
        found = found.filter(number__in=numbers)
    return frozenset(c.pk for c in found)


def shown(response):
    """The page as a reader sees its text: entities such as &#x27; turned back into quotes."""
    return html.unescape(response.content.decode())


def part(page, testid, end):
    """The piece of a page from the element marked data-testid=`testid` to `end`."""
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index(end, start)]


def learner_evidence(registration, learner, title="Reflective account", extra=b""):
    details = EvidenceDetails(title, ON, "reflective_account")
    return evidence_add(
        registration=registration,
        details=details,
        files=[pdf(extra=extra)],
        declared=True,
        actor=learner,
    )


def decide(registration, assessor, evidence, targets, judgement=MET):
    return decision_record(
        registration=registration,
        targets=targets,
        judgement=judgement,
        evidence=[evidence],
        actor=assessor,
    )


def decision_post(**extra):
    return {
        "outcome": Outcome.MET,
        "method": "observation",
        "assessed_on": "2026-10-06",
        "feedback": FEEDBACK,
        **extra,
    }


@pytest.fixture
def evidence(registration, learner):
    return learner_evidence(registration, learner)


@pytest.fixture
def mapping(evidence, learner):
    mapping_propose(
        evidence=evidence, targets=Targets(criteria=criteria(OTHER_UNIT, "4.1")), actor=learner
    )
    return Mapping.objects.get(evidence=evidence)


# The evidence review page


def review_url(evidence):
    return reverse("assessment:evidence-review", args=[evidence.pk])


def test_the_assessor_sees_the_files_and_the_learners_proposed_mapping(
    client, assessor, evidence, mapping
):
    client.force_login(assessor)
    response = client.get(review_url(evidence))
    assert response.status_code == 200
    page = shown(response)
    [stored] = evidence.files.all()
    assert reverse("portfolios:evidence-file", args=[stored.pk]) in page
    assert "record.pdf" in page
    proposed = part(page, "mapping", "</form>")
    assert f"{OTHER_UNIT} 4.1" in proposed and "Proposed by the learner" in proposed
    assert reverse("assessment:mapping-review", args=[mapping.pk]) in proposed
    # What the learner proposed and nobody has decided yet starts ticked; nothing else does.
    ticked = re.findall(r'name="criteria" value="(\d+)" id="c-\d+" checked', page)
    assert ticked == [str(mapping.criterion_id)]


@pytest.mark.parametrize(("confirm", "ticked"), [(True, True), (False, False)])
def test_a_confirmed_mapping_stays_ticked_to_decide_and_a_rejected_one_does_not(
    client, assessor, evidence, mapping, confirm, ticked
):
    client.force_login(assessor)
    client.post(
        reverse("assessment:mapping-review", args=[mapping.pk]),
        {"action": "confirm" if confirm else "reject", "feedback": "Not this one."},
    )
    mapping.refresh_from_db()
    assert mapping.status == (MappingStatus.CONFIRMED if confirm else MappingStatus.REJECTED)
    page = shown(client.get(review_url(evidence)))
    box = f'name="criteria" value="{mapping.criterion_id}" id="c-{mapping.criterion_id}" checked'
    assert (box in page) is ticked


def test_the_assessor_decides_criteria_of_two_units_in_one_request(
    client, registration, assessor, evidence, mapping
):
    chosen = criteria(OTHER_UNIT, "4.1", "4.2") | criteria(OPTIONAL_UNIT, "1.1")
    client.force_login(assessor)
    response = client.post(review_url(evidence), decision_post(criteria=sorted(chosen)))
    assert response.status_code == 302 and response.url == review_url(evidence)
    made = Decision.objects.all()
    assert {d.criterion_id for d in made} == chosen and made.count() == 3
    for d in made:
        assert d.registration == registration and d.decided_by == assessor
        assert d.outcome == Outcome.MET and d.method == "observation" and d.assessed_on == ON
        assert d.feedback == FEEDBACK and d.current and not d.provisional
        assert list(d.evidence.all()) == [evidence]
    assert AuditEntry.objects.filter(action="decision.recorded").count() == 3
    mapping.refresh_from_db()
    assert mapping.status == MappingStatus.CONFIRMED
    assert "3 decisions recorded." in shown(client.get(response.url))


def test_deciding_with_nothing_ticked_says_so_and_records_nothing(
    client, assessor, evidence, mapping
):
    audit = AuditWatch()
    client.force_login(assessor)
    response = client.post(review_url(evidence), decision_post())
    assert response.status_code == 200
    assert NOTHING_TICKED in shown(response)
    assert not Decision.objects.exists() and not audit.entries().exists()
    evidence.refresh_from_db()
    assert not evidence.is_locked


def test_a_criterion_outside_the_plan_is_refused_and_what_was_typed_is_kept(
    client, assessor, evidence, mapping
):
    audit = AuditWatch()
    mine = criterion(OTHER_UNIT, "4.2")
    elsewhere = criterion(ELSEWHERE, "1.1")
    client.force_login(assessor)
    response = client.post(review_url(evidence), decision_post(criteria=[mine.pk, elsewhere.pk]))
    assert response.status_code == 200
    page = shown(response)
    assert NOT_IN_PLAN in page
    assert not Decision.objects.exists() and not audit.entries().exists()
    # Nothing typed or ticked is lost: the feedback and the ticks are as they were posted.
    assert re.search(rf'<textarea name="feedback"[^>]*>\s*{re.escape(FEEDBACK)}</textarea>', page)
    ticked = re.findall(r'name="criteria" value="(\d+)" id="c-\d+" checked', page)
    assert ticked == [str(mine.pk)]
    mapping.refresh_from_db()
    evidence.refresh_from_db()
    assert mapping.status == MappingStatus.PROPOSED and not evidence.is_locked


def test_an_outsider_can_neither_open_nor_post_to_the_review_page(
    client, outsider, evidence, mapping
):
    client.force_login(outsider)
    assert client.get(review_url(evidence)).status_code == 404
    posted = decision_post(criteria=sorted(criteria(OTHER_UNIT, "4.1")))
    assert client.post(review_url(evidence), posted).status_code == 404
    assert not Decision.objects.exists()


@pytest.mark.parametrize("persona", STAFF)
def test_only_the_learners_assessor_opens_or_posts_to_the_review_page(
    client, request, evidence, mapping, persona
):
    audit = AuditWatch()
    client.force_login(request.getfixturevalue(persona))
    assert client.get(review_url(evidence)).status_code == 403
    posted = decision_post(criteria=sorted(criteria(OTHER_UNIT, "4.1", "4.2")))
    assert client.post(review_url(evidence), posted).status_code == 403
    assert not Decision.objects.exists() and not audit.entries().exists()
    mapping.refresh_from_db()
    assert mapping.status == MappingStatus.PROPOSED


# Reviewing a mapping


def mapping_url(mapping):
    return reverse("assessment:mapping-review", args=[mapping.pk])


def test_the_assessor_confirms_a_mapping_and_returns_to_the_review_page(
    client, assessor, evidence, mapping
):
    client.force_login(assessor)
    response = client.post(mapping_url(mapping), {"action": "confirm"})
    assert response.status_code == 302 and response.url == review_url(evidence)
    mapping.refresh_from_db()
    assert mapping.status == MappingStatus.CONFIRMED and mapping.reviewed_by == assessor
    assert "Mapping confirmed." in shown(client.get(response.url))
    assert not Decision.objects.exists()


def test_the_assessor_rejects_a_mapping_with_feedback(client, assessor, evidence, mapping):
    client.force_login(assessor)
    client.post(mapping_url(mapping), {"action": "reject", "feedback": "This is a complaint."})
    mapping.refresh_from_db()
    assert mapping.status == MappingStatus.REJECTED
    assert mapping.feedback == "This is a complaint."


def test_rejecting_a_mapping_without_feedback_says_why_after_the_redirect_and_changes_nothing(
    client, assessor, evidence, mapping
):
    audit = AuditWatch()
    client.force_login(assessor)
    response = client.post(
        mapping_url(mapping), {"action": "reject", "feedback": "  "}, follow=True
    )
    assert response.redirect_chain == [(review_url(evidence), 302)]
    assert FEEDBACK_NEEDED in shown(response)
    mapping.refresh_from_db()
    evidence.refresh_from_db()
    assert mapping.status == MappingStatus.PROPOSED and mapping.reviewed_by is None
    assert not evidence.is_locked and not audit.entries().exists()


@pytest.mark.parametrize("persona", STAFF)
def test_only_the_learners_assessor_reviews_a_mapping(client, request, mapping, persona):
    audit = AuditWatch()
    client.force_login(request.getfixturevalue(persona))
    for action in ("confirm", "reject"):
        response = client.post(mapping_url(mapping), {"action": action, "feedback": "No."})
        assert response.status_code == 403
    mapping.refresh_from_db()
    assert mapping.status == MappingStatus.PROPOSED and mapping.reviewed_by is None
    assert not audit.entries().exists()


def test_an_outsider_cannot_find_a_mapping(client, outsider, mapping):
    client.force_login(outsider)
    assert client.post(mapping_url(mapping), {"action": "confirm"}).status_code == 404
    mapping.refresh_from_db()
    assert mapping.status == MappingStatus.PROPOSED


def test_a_mapping_is_reviewed_by_post_only(client, assessor, mapping):
    client.force_login(assessor)
    assert client.get(mapping_url(mapping)).status_code == 405
    mapping.refresh_from_db()
    assert mapping.status == MappingStatus.PROPOSED


# The assessor's own records


def record_url(registration):
    return reverse("assessment:record-new", args=[registration.pk])


def record_post(**extra):
    return {
        "title": "Observed greeting customers",
        "occurred_on": "2026-10-06",
        "method": "observation",
        "description": "Leo greeted each of four customers within a minute.",
        **extra,
    }


def test_the_assessor_writes_an_observation_with_no_file_and_goes_on_to_review_it(
    client, registration, assessor
):
    client.force_login(assessor)
    assert client.get(record_url(registration)).status_code == 200
    response = client.post(record_url(registration), record_post())
    record = Evidence.objects.get()
    assert response.status_code == 302 and response.url == review_url(record)
    assert record.registration == registration and record.created_by == assessor
    assert record.method == "observation" and record.title == "Observed greeting customers"
    assert record.description == "Leo greeted each of four customers within a minute."
    assert not record.files.exists()
    assert "is in the learner's portfolio" in shown(client.get(response.url))


def test_a_record_without_its_text_says_why_and_saves_nothing(client, registration, assessor):
    audit = AuditWatch()
    client.force_login(assessor)
    response = client.post(record_url(registration), record_post(description="  "))
    assert response.status_code == 200
    page = shown(response)
    assert RECORD_NEEDED in page
    assert 'value="Observed greeting customers"' in page
    assert not Evidence.objects.exists() and not audit.entries().exists()


@pytest.mark.parametrize("persona", STAFF)
def test_only_the_learners_assessor_writes_records(client, request, registration, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(record_url(registration)).status_code == 403
    assert client.post(record_url(registration), record_post()).status_code == 403
    assert not Evidence.objects.exists()


def test_an_outsider_cannot_find_the_record_page(client, outsider, registration):
    client.force_login(outsider)
    assert client.get(record_url(registration)).status_code == 404
    assert client.post(record_url(registration), record_post()).status_code == 404
    assert not Evidence.objects.exists()


# Countersigning a trainee's decisions

COUNTERSIGN = reverse("assessment:countersign")


@pytest.fixture
def trainee_decision(registration, trainee_assessor, evidence):
    registration.assessor = trainee_assessor
    registration.save()
    [decision] = decide(
        registration, trainee_assessor, evidence, Targets(criteria=criteria(OTHER_UNIT, "4.1"))
    )
    assert decision.provisional
    return decision


def listed(page):
    return re.findall(r'name="decisions" value="(\d+)"', page)


def test_a_qualified_assessor_sees_a_trainees_decision_to_countersign_and_its_count_at_home(
    client, assessor, trainee_decision
):
    client.force_login(assessor)
    assert listed(shown(client.get(COUNTERSIGN))) == [str(trainee_decision.pk)]
    home = shown(client.get("/"))
    assert re.search(r'data-testid="to-countersign">\s*1\s*<', home)


def test_a_qualified_assessor_countersigns_a_trainees_decision(client, assessor, trainee_decision):
    client.force_login(assessor)
    response = client.post(COUNTERSIGN, {"decisions": [trainee_decision.pk]})
    assert response.status_code == 302 and response.url == COUNTERSIGN
    trainee_decision.refresh_from_db()
    assert not trainee_decision.provisional and trainee_decision.counts
    assert trainee_decision.countersigned_by == assessor
    assert trainee_decision.countersigned_at is not None
    page = shown(client.get(COUNTERSIGN))
    assert "1 decision countersigned." in page and listed(page) == []
    assert 'data-testid="to-countersign"' not in shown(client.get("/"))


def test_a_qualified_assessor_with_nothing_waiting_is_told_so(client, assessor):
    client.force_login(assessor)
    page = shown(client.get(COUNTERSIGN))
    assert listed(page) == [] and "No decisions are waiting for your countersignature." in page


@pytest.mark.parametrize("persona", ["learner", "trainee_assessor", "iqa", "centre_admin"])
def test_only_a_qualified_assessor_may_open_the_countersigning_page(
    client, request, trainee_decision, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(COUNTERSIGN)
    assert response.status_code == 403
    assert "This page is not open to you" in response.content.decode()
    assert listed(response.content.decode()) == []
    assert client.post(COUNTERSIGN, {"decisions": [trainee_decision.pk]}).status_code == 403
    trainee_decision.refresh_from_db()
    assert trainee_decision.provisional


@pytest.mark.parametrize("persona", ["trainee_assessor", "learner", "outsider"])
def test_nobody_but_a_qualified_assessor_countersigns_by_posting_the_id(
    client, request, trainee_decision, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(COUNTERSIGN, {"decisions": [trainee_decision.pk]})
    assert response.status_code != 302
    trainee_decision.refresh_from_db()
    assert trainee_decision.provisional and trainee_decision.countersigned_by is None
    assert not AuditEntry.objects.filter(action="decision.countersigned").exists()


def test_countersigning_with_nothing_chosen_says_so(client, assessor, trainee_decision):
    client.force_login(assessor)
    response = client.post(COUNTERSIGN, {})
    page = shown(response)
    assert response.status_code == 200
    # Beside the ticks (under the table), which name it.
    assert f'<p id="error_1_decisions_error"><strong>{NONE_CHOSEN}</strong></p>' in page
    assert 'aria-invalid="true" aria-describedby="decisions_error"' in page
    trainee_decision.refresh_from_db()
    assert trainee_decision.provisional


# Signing a unit off


@pytest.fixture
def unit(catalogue_db):
    return Unit.objects.get(code=UNIT)


def sign_off_url(registration, unit):
    return reverse("assessment:unit-sign-off", args=[registration.pk, unit.pk])


def sign_off_post(**extra):
    return {"declared": "on", "signature": "Samir Patel", "password": PASSWORD, **extra}


@pytest.fixture
def all_met(registration, assessor, evidence):
    return decide(registration, assessor, evidence, Targets(criteria=criteria(UNIT)))


@pytest.fixture
def signed_off(registration, assessor, unit, all_met):
    return unit_sign_off(
        registration=registration,
        unit_id=unit.pk,
        signature="Samir Patel",
        password=PASSWORD,
        declared=True,
        actor=assessor,
    )


def test_the_url_of_a_units_sign_off_page(registration, unit):
    assert sign_off_url(registration, unit) == (
        f"/assess/registrations/{registration.pk}/units/{unit.pk}/"
    )


def test_before_every_criterion_is_met_the_page_lists_what_is_missing_and_refuses_sign_off(
    client, registration, assessor, evidence, unit
):
    decide(registration, assessor, evidence, Targets(criteria=criteria(UNIT, "1.1")), NOT_YET)
    # The refusal groups them as the page does: a count where a state has many, not every
    # criterion in one sentence.
    missing = ["8 items have no decision", "criterion 1.1 is not yet met"]
    assert len(UNIT_CRITERIA[1:]) == 8
    client.force_login(assessor)
    page = shown(client.get(sign_off_url(registration, unit)))
    # Grouped by state, with a count each (decision 53, amended): the unit states no
    # requirements or sufficiency, so only its items are listed.
    listed_missing = part(page, "missing", "</section>")
    assert "Items of the unit: 8 with no decision, 1 not yet met" in listed_missing
    assert re.findall(r"<li>(.*?)</li>", listed_missing) == [
        f"criterion {n}" for n in UNIT_CRITERIA[1:]
    ] + ["criterion 1.1"]
    response = client.post(sign_off_url(registration, unit), sign_off_post())
    assert response.status_code == 200
    assert NOT_COMPLETE.format(items="; ".join(missing)) in shown(response)
    assert not UnitSignOff.objects.exists()


def test_the_assessor_signs_off_a_unit_once_every_criterion_is_met(
    client, registration, assessor, unit, all_met
):
    client.force_login(assessor)
    response = client.post(sign_off_url(registration, unit), sign_off_post())
    assert response.status_code == 302 and response.url == sign_off_url(registration, unit)
    sign_off = UnitSignOff.objects.get()
    assert sign_off.registration == registration and sign_off.unit == unit
    assert sign_off.signed_by == assessor and sign_off.signature == "Samir Patel"
    assert not sign_off.achieved
    assert f"{UNIT} is signed off" in shown(client.get(response.url))


def test_a_wrong_password_is_refused_and_nothing_is_signed(
    client, registration, assessor, unit, all_met
):
    client.force_login(assessor)
    response = client.post(
        sign_off_url(registration, unit), sign_off_post(password="not-my-password")
    )
    assert response.status_code == 200 and WRONG_PASSWORD in shown(response)
    assert not UnitSignOff.objects.exists()


@pytest.mark.parametrize("persona", STAFF)
def test_only_the_learners_assessor_signs_a_unit_off(
    client, request, registration, unit, all_met, persona
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(sign_off_url(registration, unit)).status_code == 200
    assert client.post(sign_off_url(registration, unit), sign_off_post()).status_code == 403
    assert not UnitSignOff.objects.exists()


def countersign_url(sign_off):
    return reverse("assessment:unit-countersign", args=[sign_off.pk])


def unlock_url(sign_off):
    return reverse("assessment:unit-unlock", args=[sign_off.pk])


def test_the_learner_countersigns_and_the_unit_is_achieved(
    client, registration, learner, unit, signed_off
):
    client.force_login(learner)
    response = client.post(
        countersign_url(signed_off), {"declared": "on", "signature": "Leo Brown"}
    )
    assert response.status_code == 302 and response.url == sign_off_url(registration, unit)
    signed_off.refresh_from_db()
    assert signed_off.achieved and signed_off.learner_signature == "Leo Brown"
    assert "Achieved" in shown(client.get(response.url))


def test_a_signature_too_long_for_the_form_is_refused_with_the_forms_own_message(
    client, learner, signed_off
):
    # The form's validation reaches the learner: before, a refused field was passed on as
    # empty and the learner was told to sign, which they had done.
    client.force_login(learner)
    response = client.post(
        countersign_url(signed_off), {"declared": "on", "signature": "L" * 201}, follow=True
    )
    # Shown under the field, what was typed kept, the next time the page is drawn only.
    page = shown(response)
    assert (
        '<p id="error_1_id_signature"><strong>'
        "Ensure this value has at most 200 characters (it has 201).</strong></p>" in page
    )
    assert 'value="' + "L" * 201 + '"' in page and 'aria-describedby="id_signature_error"' in page
    assert DECLARATION_NEEDED not in page
    assert "error_1_id_signature" not in shown(client.get(response.request["PATH_INFO"]))
    signed_off.refresh_from_db()
    assert not signed_off.achieved and signed_off.learner_signature == ""


def test_countersigning_with_no_signature_asks_for_the_declaration_and_signature(
    client, learner, signed_off
):
    client.force_login(learner)
    response = client.post(countersign_url(signed_off), {"declared": "on"}, follow=True)
    assert DECLARATION_NEEDED in shown(response)
    signed_off.refresh_from_db()
    assert not signed_off.achieved


def test_the_assessor_cannot_countersign_for_the_learner(client, assessor, signed_off):
    client.force_login(assessor)
    response = client.post(
        countersign_url(signed_off), {"declared": "on", "signature": "Leo Brown"}
    )
    assert response.status_code == 403
    signed_off.refresh_from_db()
    assert not signed_off.achieved and signed_off.learner_signature == ""


def test_a_centre_admin_unlocks_a_unit_with_a_reason(
    client, registration, centre_admin, unit, signed_off
):
    client.force_login(centre_admin)
    response = client.post(unlock_url(signed_off), {"reason": REASON})
    assert response.status_code == 302 and response.url == sign_off_url(registration, unit)
    signed_off.refresh_from_db()
    assert signed_off.unlocked_at is not None and signed_off.unlocked_by == centre_admin
    assert signed_off.unlock_reason == REASON
    assert f"{UNIT} is unlocked" in shown(client.get(response.url))


def test_unlocking_without_a_reason_says_why_and_the_unit_stays_locked(
    client, centre_admin, signed_off
):
    client.force_login(centre_admin)
    response = client.post(unlock_url(signed_off), {"reason": " "}, follow=True)
    assert REASON_NEEDED in shown(response)
    signed_off.refresh_from_db()
    assert signed_off.unlocked_at is None and signed_off.unlock_reason == ""


@pytest.mark.parametrize("persona", ["assessor", "learner"])
def test_only_a_centre_admin_unlocks_a_unit(client, request, signed_off, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(unlock_url(signed_off), {"reason": REASON}).status_code == 403
    signed_off.refresh_from_db()
    assert signed_off.unlocked_at is None


def test_an_outsider_cannot_find_a_units_sign_off(client, registration, outsider, unit, signed_off):
    client.force_login(outsider)
    assert client.get(sign_off_url(registration, unit)).status_code == 404
    assert client.post(unlock_url(signed_off), {"reason": REASON}).status_code == 404
    posted = {"declared": "on", "signature": "Leo Brown"}
    assert client.post(countersign_url(signed_off), posted).status_code == 404
    signed_off.refresh_from_db()
    assert signed_off.unlocked_at is None and not signed_off.achieved


def test_a_unit_outside_the_plan_has_no_sign_off_page(client, registration, assessor):
    elsewhere = Unit.objects.get(code=ELSEWHERE)
    client.force_login(assessor)
    assert client.get(sign_off_url(registration, elsewhere)).status_code == 404
    assert client.post(sign_off_url(registration, elsewhere), sign_off_post()).status_code == 404
    assert not UnitSignOff.objects.exists()


# An item's history


def history_url(registration, kind, pk):
    return reverse("assessment:item-history", args=[registration.pk, kind, pk])


@pytest.fixture
def decided_twice(registration, assessor, evidence):
    targets = Targets(criteria=criteria(OTHER_UNIT, "4.1"))
    [first] = decide(registration, assessor, evidence, targets, NOT_YET)
    [second] = decide(registration, assessor, evidence, targets, MET)
    return first, second


def test_the_url_of_an_items_history(registration):
    item = criterion(OTHER_UNIT, "4.1")
    assert history_url(registration, "criterion", item.pk) == (
        f"/assess/registrations/{registration.pk}/history/criterion/{item.pk}/"
    )


@pytest.mark.parametrize("persona", ["learner", "assessor", "iqa", "centre_admin"])
def test_everyone_on_the_registration_sees_every_decision_on_an_item_and_its_audit(
    client, request, registration, decided_twice, persona
):
    second = decided_twice[1]
    client.force_login(request.getfixturevalue(persona))
    response = client.get(history_url(registration, "criterion", second.criterion_id))
    assert response.status_code == 200
    page = shown(response)
    decisions = part(page, "decisions", "</ol>").split('<li class="list-group-item">')[1:]
    assert len(decisions) == 2
    newest, oldest = decisions
    assert "<strong>Met</strong>" in newest and "superseded" not in newest
    assert "<strong>Not yet met</strong>" in oldest and "superseded" in oldest
    assert NOT_YET.feedback in oldest and MET.feedback in newest
    audit = part(page, "audit", "</table>")
    assert audit.count("Decision made") == 2 and "decision.recorded" not in page
    assert ">Not yet met</td>" in audit and ">Met</td>" in audit
    assert "hash chain" not in page.lower() and "hash-chain" not in page.lower()
    assert "verify_audit" not in page  # (not "hash" alone: a generated name may hold it)


def test_an_outsider_cannot_find_an_items_history(client, registration, outsider, decided_twice):
    client.force_login(outsider)
    url = history_url(registration, "criterion", decided_twice[0].criterion_id)
    assert client.get(url).status_code == 404


def test_an_unknown_kind_of_item_has_no_history(client, registration, assessor, decided_twice):
    client.force_login(assessor)
    url = history_url(registration, "unit", decided_twice[0].criterion_id)
    assert client.get(url).status_code == 404


def test_a_criterion_outside_the_plan_has_no_history(client, registration, assessor):
    client.force_login(assessor)
    url = history_url(registration, "criterion", criterion(ELSEWHERE, "1.1").pk)
    assert client.get(url).status_code == 404


# The assessor's caseload


@pytest.fixture
def caseload(centre, centre_admin, assessor, iqa, learner, catalogue_db):
    """Two learners: one behind plan on the SFJ certificate, one on track on the ProQual
    diploma, each with evidence waiting; the behind one's waiting longest."""
    today = timezone.localdate()
    other = UserFactory.create(email="second@example.org", full_name="Zara Quinn")
    RoleFactory.create(user=other, centre=centre, kind=RoleKind.LEARNER)
    sfj = Qualification.objects.get(code="SFJ-L2-CS")
    proqual = Qualification.objects.get(code="601/3576/1")
    behind = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=sfj,
            start_date=today - datetime.timedelta(days=400),
            planned_end_date=today - datetime.timedelta(days=10),
            assessor=assessor,
            iqa=iqa,
        ),
        optional_units=SFJ_ENOUGH,
        actor=centre_admin,
    )
    on_track = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=other,
            qualification=proqual,
            start_date=today - datetime.timedelta(days=7),
            planned_end_date=today + datetime.timedelta(days=730),
            assessor=assessor,
            iqa=iqa,
        ),
        optional_units=PROQUAL_OPTIONAL,
        actor=centre_admin,
    )
    learner_evidence(on_track, other, title="Call log")
    older = learner_evidence(behind, learner, title="Complaint letter")
    judged = learner_evidence(behind, learner, title="Judged account", extra=b"judged")
    Evidence.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    Evidence.objects.filter(pk=judged.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=5), judged_at=timezone.now()
    )
    return behind, on_track


def caseload_names(response):
    table = part(shown(response), "caseload", "</table>")
    return re.findall(r'registrations/\d+/">([^<]+)</a>', table)


def test_the_caseload_lists_every_learner_most_urgent_first(client, assessor, caseload):
    behind, on_track = caseload
    client.force_login(assessor)
    response = client.get("/")
    assert caseload_names(response) == [behind.learner.full_name, on_track.learner.full_name]
    table = part(shown(response), "caseload", "</table>")
    assert "rag-red" in table and "rag-green" in table


def test_the_caseload_is_filtered_by_qualification_on_the_server(client, assessor, caseload):
    behind, on_track = caseload
    client.force_login(assessor)
    for registration in (behind, on_track):
        response = client.get("/", {"qualification": registration.qualification_id})
        assert caseload_names(response) == [registration.learner.full_name]


@pytest.mark.parametrize(("status", "which"), [("red", 0), ("green", 1)])
def test_the_caseload_is_filtered_by_status_on_the_server(
    client, assessor, caseload, status, which
):
    client.force_login(assessor)
    response = client.get("/", {"status": status})
    assert caseload_names(response) == [caseload[which].learner.full_name]
    assert f"rag-{status}" in part(shown(response), "caseload", "</table>")


def test_the_filters_show_what_was_chosen_and_mark_a_stale_choice_as_django_would(
    client, assessor, caseload
):
    behind, _ = caseload
    client.force_login(assessor)
    page = client.get("/", {"status": "red", "qualification": behind.qualification_id})
    drawn = page.content.decode()
    assert f'<option value="{behind.qualification_id}" selected>' in drawn
    assert '<option value="red" selected>Behind plan</option>' in drawn
    assert '<option value="" selected>' not in drawn
    assert 'aria-invalid="true"' not in drawn
    stale = client.get("/", {"qualification": "999999"}).content.decode()
    assert (
        '<select name="qualification" class="select form-select is-invalid" aria-invalid="true" '
        'aria-describedby="id_qualification_error" id="id_qualification">'
    ) in stale
    assert '<div id="id_qualification_error" class="invalid-feedback">' in stale
    assert '<option value="" selected>Any status</option>' in stale


def test_no_learner_matches_a_status_nobody_has(client, assessor, caseload):
    client.force_login(assessor)
    page = shown(client.get("/", {"status": "amber"}))
    assert 'data-testid="caseload"' not in page and "No learners match the filter." in page


def test_each_caseload_row_shows_the_progress_dates_and_status_worked_out_for_it(
    client, assessor, centre, caseload
):
    """The rows are drawn from ready-made strings: they say what the worked-out rows say, with
    dates as the template's date filter writes them."""
    client.force_login(assessor)
    page = shown(client.get("/"))
    table = part(page, "caseload", "</table>")
    rows = rows_of(assessor, centre)
    assert len(rows) == 2
    for row in rows:
        registration, counts = row.registration, row.progress
        url = reverse("portfolios:registration-detail", args=[registration.pk])
        assert f'<a href="{url}">{html.escape(registration.learner.full_name)}</a>' in table
        assert html.escape(registration.qualification.title) in table
        assert (
            f"{counts.met} of {counts.criteria} criteria met · "
            f"{counts.units_achieved} of {counts.units} units"
        ) in table
        assert f'aria-valuenow="{counts.percent_met}"' in table
        assert f"pct-{counts.percent_met}" in table
        assert date_filter(registration.planned_end_date, "j M Y") in table
        assert row.rag_label in table and html.escape(row.reason) in table
    waiting = part(page, "waiting", "</ol>")
    for evidence in Evidence.objects.filter(judged_at__isnull=True):
        url = reverse("assessment:evidence-review", args=[evidence.pk])
        assert f'<a href="{url}">{evidence.title}</a>' in waiting
        added = f"{html.escape(evidence.registration.learner.full_name)} · added "
        assert added + date_filter(evidence.created_at, "j M Y") in waiting


def rows_of(assessor, centre):
    return worked_out(assessor, centre, timezone.localdate())


def test_a_quiet_learner_is_listed_with_their_last_evidence_or_their_start(
    client, assessor, centre, caseload
):
    behind, on_track = caseload
    long_ago = timezone.now() - datetime.timedelta(days=90)
    Evidence.objects.filter(registration=behind).update(created_at=long_ago)
    client.force_login(assessor)
    quiet = part(shown(client.get("/")), "quiet", "</ul>")
    assert f"last evidence {date_filter(timezone.localtime(long_ago), 'j M Y')}" in quiet
    assert on_track.learner.full_name not in quiet  # added evidence this week
    Evidence.objects.filter(registration=behind).update(registration=on_track)
    quiet = part(shown(client.get("/")), "quiet", "</ul>")
    assert f"no evidence since starting on {date_filter(behind.start_date, 'j M Y')}" in quiet


def test_evidence_waiting_for_review_is_listed_oldest_first(client, assessor, caseload):
    client.force_login(assessor)
    waiting = part(shown(client.get("/")), "waiting", "</ol>")
    titles = re.findall(r'/assess/evidence/\d+/">([^<]+)</a>', waiting)
    # The judged account is the oldest of all, but it is no longer waiting.
    assert titles == ["Complaint letter", "Call log"]


def test_the_evidence_waiting_is_every_learners_whatever_the_caseload_filter(
    client, assessor, caseload
):
    _, on_track = caseload
    client.force_login(assessor)
    for query in ({"qualification": on_track.qualification_id}, {"status": "red"}):
        page = shown(client.get("/", query))
        waiting = part(page, "waiting", "</ol>")
        assert re.findall(r'/assess/evidence/\d+/">([^<]+)</a>', waiting) == [
            "Complaint letter",
            "Call log",
        ]
        assert "2 pieces of evidence waiting for your review" in page


def test_signing_off_a_unit_already_signed_off_says_so(
    client, registration, assessor, unit, signed_off
):
    client.force_login(assessor)
    page = client.post(sign_off_url(registration, unit), sign_off_post()).content.decode()
    assert ALREADY_SIGNED in page
    assert UnitSignOff.objects.filter(registration=registration).count() == 1


def test_a_filter_value_that_no_longer_applies_keeps_the_other_filters(
    client, registration, assessor
):
    client.force_login(assessor)
    page = client.get("/", {"status": "red", "qualification": "999999"}).content.decode()
    assert "No learners match the filter." in page
