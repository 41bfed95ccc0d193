"""The IQA's pages through the browser's eyes: who may open and post to each, what each shows,
and that a refused request changes nothing."""

import datetime
import html
import logging
import re
import uuid

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from iqa.models import (
    Action,
    ActionStatus,
    DocumentStatus,
    IqaDocument,
    PlanItem,
    Sample,
    SamplingPlan,
    Stage,
    Verdict,
)
from iqa.services import (
    ACTIONS_NEEDED,
    AGREED_AGAINST_THE_RULES,
    ALREADY_REMOVED,
    COMMENT_NEEDED,
    ENDS_BEFORE_START,
    NO_DECISION_TICKED,
    NOT_RESPONDED,
    NOTHING_DECIDED,
    REASON_NEEDED,
    RESPONSE_NEEDED,
    action_respond,
    plan_generate,
    sample_record,
)
from iqa.services import Judgement as Finding
from iqa.views import CHOOSE_UNPLANNED
from portal.http import FILE_MISSING
from portal.models import AuditEntry, Role, RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.services import registration_withdraw
from tests.factories import RoleFactory
from tests.iqa.test_services import (
    ACTION,
    BEGUN_UNIT,
    FEEDBACK,
    OTHER_UNITS,
    PERIOD_ENDS,
    PERIOD_STARTS,
    REASON,
    RESPONSE,
    SIGNED_UNIT,
    current,
    decide,
    generate,
    person,
    sign,
    unit,
)
from tests.portfolios.files import pdf
from tests.writes import watch_writes, written

TODAY = datetime.date.today()
DUE = TODAY + datetime.timedelta(days=14)
LATE = TODAY - datetime.timedelta(days=1)
LATE_ACTION = "Sign every witness statement."
NO_DATE = "Give the action a target date."  # the sample form's own message
NOT_IN_PERIOD = CHOOSE_UNPLANNED
PLAN_NEW = reverse("iqa:plan-new")


def shown(response):
    """The page as a reader sees its text: entities such as &#x27; turned back into quotes."""
    return html.unescape(response.content.decode())


def part(page, testid, end):
    """The piece of a page from the element marked data-testid=`testid` to `end`."""
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index(end, start)]


def cells(page, testid):
    """The words in each body cell of the coverage matrix marked `testid`."""
    table = part(page, testid, "</table>")
    found = re.findall(r"<td[^>]*>(.*?)</td>", table, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in found]


def items(plan):
    return {(i.unit.code, i.stage, i.by_hand) for i in plan.items.select_related("unit")}


def nothing_sampled():
    return not Sample.objects.exists() and not Action.objects.exists()


@pytest.fixture
def evidence(registration, learner):
    details = EvidenceDetails(
        "Reflective account", datetime.date(2026, 10, 6), "reflective_account"
    )
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


@pytest.fixture
def assessed(registration, assessor, evidence):
    """The assessor's work in the period: one unit signed off, another begun."""
    decide(registration, assessor, SIGNED_UNIT, evidence=[evidence])
    sign(registration, assessor)
    decide(registration, assessor, BEGUN_UNIT, "4.1", evidence=[evidence])
    return registration


@pytest.fixture
def other_iqa(centre):
    return person(centre, RoleKind.IQA, "second.iqa@example.org")


@pytest.fixture
def plan(centre, sfj, iqa, assessed):
    return plan_generate(
        centre=centre, qualification=sfj, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS, actor=iqa
    )


def take(registration, iqa, code=SIGNED_UNIT, actions=((ACTION, DUE),)):
    return sample_record(
        registration=registration,
        unit_id=unit(code).pk,
        decisions=current(registration, code),
        evidence=list(registration.evidence.all()),
        judgement=Finding(True, True, True, False, True, Verdict.ACTION_REQUIRED, FEEDBACK),
        actions=list(actions),
        actor=iqa,
    )


@pytest.fixture
def sampled(iqa, assessed):
    return take(assessed, iqa)


@pytest.fixture
def action(sampled):
    return sampled.actions.get()


def plan_url(plan):
    return reverse("iqa:plan-detail", args=[plan.pk])


def sample_url(registration, code=SIGNED_UNIT):
    return reverse("iqa:sample-new", args=[registration.pk, unit(code).pk])


def report_url(sample):
    return reverse("iqa:sample-detail", args=[sample.pk])


def plan_post(sfj, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS):
    """The plan form as its page gives it, with a one-time token of its own."""
    return {
        "qualification": sfj.pk,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "form_token": str(uuid.uuid4()),
    }


def sample_post(registration, code=SIGNED_UNIT, **extra):
    return {
        "decisions": [d.pk for d in current(registration, code)],
        "evidence": [e.pk for e in registration.evidence.all()],
        "valid": "on",
        "authentic": "on",
        "current": "on",
        "reliable": "on",
        "verdict": Verdict.ACTION_REQUIRED.value,
        "feedback": FEEDBACK,
        "action_1": ACTION,
        "due_1": DUE.isoformat(),
        "form_token": str(uuid.uuid4()),
        **extra,
    }


# Generating a plan


def test_the_iqa_generates_a_plan_and_lands_on_it_with_its_items_and_coverage(
    client, sfj, iqa, assessor, learner, assessed
):
    client.force_login(iqa)
    response = client.post(PLAN_NEW, plan_post(sfj))
    plan = SamplingPlan.objects.get()
    assert response.status_code == 302 and response.url == plan_url(plan)
    assert (plan.iqa, plan.qualification, plan.starts_on, plan.ends_on) == (
        iqa,
        sfj,
        PERIOD_STARTS,
        PERIOD_ENDS,
    )
    assert items(plan) == {
        (SIGNED_UNIT, Stage.SUMMATIVE, False),
        (BEGUN_UNIT, Stage.INTERIM, False),
    }
    page = shown(client.get(response.url))
    assert "Plan generated with 2 items." in page
    listed = part(page, "plan-items", "</table>")
    assert SIGNED_UNIT in listed and BEGUN_UNIT in listed and learner.full_name in listed
    # Every unit and method of the period is planned: no gap in either matrix.
    assert cells(page, "coverage-units") == ["1 / 1", "1 / 1"]
    assert cells(page, "coverage-methods") == ["2 / 2"]
    assert assessor.full_name in part(page, "coverage-units", "</table>")


def test_a_plan_that_ends_before_it_starts_shows_the_error_and_is_not_made(
    client, sfj, iqa, assessed
):
    client.force_login(iqa)
    response = client.post(PLAN_NEW, plan_post(sfj, ends_on=PERIOD_STARTS - datetime.timedelta(1)))
    assert response.status_code == 200
    assert ENDS_BEFORE_START in shown(response)
    assert not SamplingPlan.objects.exists() and not PlanItem.objects.exists()


@pytest.mark.parametrize("persona", ["assessor", "learner", "centre_admin"])
def test_only_someone_acting_as_an_iqa_opens_or_posts_the_new_plan_page(
    client, request, sfj, assessed, persona
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(PLAN_NEW).status_code == 403
    assert client.post(PLAN_NEW, plan_post(sfj)).status_code == 403
    assert not SamplingPlan.objects.exists()


# The plan page


@pytest.mark.parametrize("persona", ["iqa", "centre_admin"])
def test_the_plans_iqa_and_a_centre_admin_of_its_centre_see_the_plan(
    client, request, plan, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(plan_url(plan))
    assert response.status_code == 200
    assert SIGNED_UNIT in part(shown(response), "plan-items", "</table>")


def test_only_the_plans_iqa_is_offered_to_sample_and_remove_its_items(
    client, plan, iqa, centre_admin
):
    client.force_login(centre_admin)
    page = shown(client.get(plan_url(plan)))
    assert 'name="remove"' not in page and 'name="add"' not in page
    client.force_login(iqa)
    page = shown(client.get(plan_url(plan)))
    assert page.count('name="remove"') == 2


@pytest.mark.parametrize("persona", ["assessor", "learner", "outsider", "other_iqa"])
def test_nobody_else_finds_the_plan(client, request, plan, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(plan_url(plan)).status_code == 404
    [item] = plan.items.filter(unit__code=BEGUN_UNIT)
    assert client.post(plan_url(plan), {"remove": item.pk}).status_code == 404
    assert plan.items.count() == 2


def test_removing_an_item_leaves_a_gap_where_the_assessor_had_work_and_nothing_is_planned(
    client, plan, iqa
):
    [item] = plan.items.filter(unit__code=BEGUN_UNIT)
    client.force_login(iqa)
    response = client.post(plan_url(plan), {"remove": item.pk}, follow=True)
    assert response.redirect_chain == [(plan_url(plan), 302)]
    assert not PlanItem.objects.filter(pk=item.pk).exists()
    assert items(plan) == {(SIGNED_UNIT, Stage.SUMMATIVE, False)}
    page = shown(response)
    assert "Removed from the plan." in page
    # Columns are the units by code: A/506/2130 (begun, now unplanned), then F/506/2131.
    assert cells(page, "coverage-units") == ["0 / 1 gap", "1 / 1"]
    # The method is still sampled, in the other unit: no gap there.
    assert cells(page, "coverage-methods") == ["1 / 2"]
    # The removed work is offered back, to add by hand.
    assert f'value="{item.registration_id}-{item.unit_id}-{Stage.INTERIM}"' in page


def test_an_item_removed_twice_says_it_was_removed_already_rather_than_not_found(client, plan, iqa):
    """A double click on "Remove" or the back button (found over HTTP, round 7): the second
    request, after the first removed the item, answered 404 "We could not find that page",
    where the same race a moment earlier is told the service's own words (ALREADY_REMOVED)."""
    [item] = plan.items.filter(unit__code=BEGUN_UNIT)
    client.force_login(iqa)
    client.post(plan_url(plan), {"remove": item.pk})
    audit = AuditEntry.objects.count()
    response = client.post(plan_url(plan), {"remove": item.pk}, follow=True)
    assert response.redirect_chain == [(plan_url(plan), 302)]
    assert ALREADY_REMOVED in shown(response)
    assert plan.items.count() == 1 and AuditEntry.objects.count() == audit


def test_a_centre_admin_cannot_remove_an_item_from_the_plan(client, plan, centre_admin):
    [item] = plan.items.filter(unit__code=BEGUN_UNIT)
    client.force_login(centre_admin)
    assert client.post(plan_url(plan), {"remove": item.pk}).status_code == 403
    assert PlanItem.objects.filter(pk=item.pk).exists() and plan.items.count() == 2


def test_the_iqa_adds_work_of_the_period_to_the_plan_by_hand(client, plan, iqa, assessor, assessed):
    # Work decided after the plan was generated is not in it.
    decide(assessed, assessor, OTHER_UNITS[0], "1.1")
    added = f"{assessed.pk}-{unit(OTHER_UNITS[0]).pk}-{Stage.INTERIM}"
    client.force_login(iqa)
    page = shown(client.get(plan_url(plan)))
    assert f'value="{added}"' in page
    response = client.post(plan_url(plan), {"add": added}, follow=True)
    assert response.redirect_chain == [(plan_url(plan), 302)]
    assert "Added to the plan." in shown(response)
    assert (OTHER_UNITS[0], Stage.INTERIM, True) in items(plan) and plan.items.count() == 3
    [item] = plan.items.filter(by_hand=True)
    assert (item.registration, item.assessor) == (assessed, assessor)


def test_a_centre_admin_cannot_add_work_to_the_plan(client, plan, assessor, assessed, centre_admin):
    decide(assessed, assessor, OTHER_UNITS[0], "1.1")
    client.force_login(centre_admin)
    added = f"{assessed.pk}-{unit(OTHER_UNITS[0]).pk}-{Stage.INTERIM}"
    assert client.post(plan_url(plan), {"add": added}).status_code == 403
    assert plan.items.count() == 2 and not plan.items.filter(by_hand=True).exists()


@pytest.mark.parametrize("wanted", ["0-0-interim", "nonsense", "", "planned"])
def test_a_centre_admin_sending_any_other_add_is_refused_as_an_add_is(
    client, plan, centre_admin, wanted
):
    if wanted == "planned":
        [item] = plan.items.filter(unit__code=SIGNED_UNIT)
        wanted = f"{item.registration_id}-{item.unit_id}-{item.stage}"
    client.force_login(centre_admin)
    watch_writes()
    # Refused for who they are, not told to choose other work, which they may not add either.
    response = client.post(plan_url(plan), {"add": wanted})
    assert response.status_code == 403 and NOT_IN_PERIOD not in shown(response)
    assert written() == []


@pytest.mark.parametrize("wanted", ["0-0-interim", "nonsense", "", "planned"])
def test_adding_work_not_of_the_period_or_already_planned_says_so_and_adds_nothing(
    client, plan, iqa, wanted
):
    if wanted == "planned":
        [item] = plan.items.filter(unit__code=SIGNED_UNIT)
        wanted = f"{item.registration_id}-{item.unit_id}-{item.stage}"
    client.force_login(iqa)
    response = client.post(plan_url(plan), {"add": wanted}, follow=True)
    assert response.redirect_chain == [(plan_url(plan), 302)]
    assert NOT_IN_PERIOD in shown(response)
    assert plan.items.count() == 2 and not plan.items.filter(by_hand=True).exists()


# Sampling a unit


def test_the_registrations_iqa_sees_the_decisions_of_the_unit_to_sample(
    client, iqa, assessor, assessed, evidence
):
    client.force_login(iqa)
    response = client.get(sample_url(assessed))
    assert response.status_code == 200
    page = shown(response)
    decisions = current(assessed, SIGNED_UNIT)
    assert len(decisions) == 9
    offered = re.findall(r'name="decisions" value="(\d+)"', page)
    assert sorted(offered) == sorted(str(d.pk) for d in decisions)
    assert re.findall(r'name="evidence" value="(\d+)"', page) == [str(evidence.pk)]
    assert f"by {assessor.full_name}" in page
    first = min(decisions, key=lambda d: d.criterion.position)
    words = first.criterion.text.split()
    text = " ".join(words[:20]) + (" …" if len(words) > 20 else "")
    label = f'for="d-{first.pk}"><span class="fw-semibold">{first.criterion.number}</span> {text}</label>'
    assert label in page
    said = (
        f"Met by {assessor.full_name} · Observation by the assessor · 6 Oct 2026 · “Seen at work.”"
    )
    assert f'<div class="small">{said}</div>' in page
    # Only this unit's decisions: the begun unit's 4.1 is not offered.
    [begun] = current(assessed, BEGUN_UNIT)
    assert str(begun.pk) not in offered


def test_only_an_iqa_at_the_learners_centre_is_shown_the_sample_form(
    client, iqa, assessor, learner, assessed, evidence
):
    for someone in (learner, assessor):  # each may see the registration, not the IQA's form
        client.force_login(someone)
        assert client.get(sample_url(assessed)).status_code == 404
    client.force_login(iqa)
    assert client.get(sample_url(assessed)).status_code == 200


def test_the_iqa_records_a_sample_with_an_action_and_lands_on_its_report(
    client, iqa, assessor, assessed, evidence
):
    client.force_login(iqa)
    response = client.post(sample_url(assessed), sample_post(assessed))
    taken = Sample.objects.get()
    assert response.status_code == 302 and response.url == report_url(taken)
    assert (taken.registration, taken.unit, taken.assessor, taken.sampled_by) == (
        assessed,
        unit(SIGNED_UNIT),
        assessor,
        iqa,
    )
    assert taken.stage == Stage.SUMMATIVE and taken.verdict == Verdict.ACTION_REQUIRED
    assert (taken.valid, taken.authentic, taken.current, taken.sufficient, taken.reliable) == (
        True,
        True,
        True,
        False,
        True,
    )
    assert taken.feedback == FEEDBACK
    assert set(taken.decisions.all()) == set(current(assessed, SIGNED_UNIT))
    assert list(taken.evidence.all()) == [evidence]
    [raised] = Action.objects.all()
    assert (raised.sample, raised.text, raised.due_on, raised.status) == (
        taken,
        ACTION,
        DUE,
        ActionStatus.OPEN,
    )
    page = shown(client.get(response.url))
    assert "The sample is recorded." in page and ACTION in part(page, "action", "</div>")


def test_a_sample_from_the_plan_is_marked_sampled_on_the_plan(client, plan, iqa, assessed):
    [item] = plan.items.filter(unit__code=SIGNED_UNIT)
    client.force_login(iqa)
    response = client.post(f"{sample_url(assessed)}?item={item.pk}", sample_post(assessed))
    assert response.status_code == 302
    assert Sample.objects.get().plan_item == item
    page = shown(client.get(plan_url(plan)))
    assert "1 of 2 planned items sampled: 1 still to sample." in part(page, "done", "</p>")
    assert page.count('name="remove"') == 1  # a sampled item stays in the plan


def still_to_sample(client) -> list[str]:
    home = shown(client.get(reverse("home")))
    return re.findall(r"(\d+ planned items? still to sample)", home)


def test_a_unit_sampled_from_the_learners_page_counts_the_same_on_the_plan_its_record_and_home(
    client, plan, iqa, assessed
):
    """Sampled without the plan's button (no plan item named): the plan, its sampling record
    and the IQA's to-do list all count it, one way."""
    client.force_login(iqa)
    assert "0 of 2 planned items sampled: 2 still to sample." in shown(client.get(plan_url(plan)))
    assert still_to_sample(client) == ["2 planned items still to sample"]
    sample = take(assessed, iqa)  # from the learner's page, during the plan's period
    assert sample.plan_item is None
    page = shown(client.get(plan_url(plan)))
    assert "1 of 2 planned items sampled: 1 still to sample." in part(page, "done", "</p>")
    assert page.count(">Sampled</span>") == 1
    assert still_to_sample(client) == ["1 planned item still to sample"]
    record = client.get(reverse("iqa:plan-csv", args=[plan.pk])).content.decode()
    [row] = [line for line in record.splitlines() if SIGNED_UNIT in line]
    assert timezone.localdate().isoformat() in row and "Action required" in row


def test_a_sample_from_before_the_plans_period_does_not_count_for_it(client, plan, iqa, assessed):
    sample = take(assessed, iqa)
    before = datetime.datetime.combine(PERIOD_STARTS, datetime.time(12), datetime.UTC)
    Sample.objects.filter(pk=sample.pk).update(sampled_at=before - datetime.timedelta(days=1))
    client.force_login(iqa)
    assert "0 of 2 planned items sampled" in shown(client.get(plan_url(plan)))
    assert still_to_sample(client) == ["2 planned items still to sample"]


def test_an_iqa_who_planned_a_learner_they_are_not_assigned_samples_them_from_the_plan(
    client, centre, sfj, other_iqa, assessed
):
    theirs = plan_generate(
        centre=centre,
        qualification=sfj,
        starts_on=PERIOD_STARTS,
        ends_on=PERIOD_ENDS,
        actor=other_iqa,
    )
    [item] = theirs.items.filter(unit__code=SIGNED_UNIT)
    link = f"{sample_url(assessed)}?item={item.pk}"
    client.force_login(other_iqa)
    assert link in shown(client.get(plan_url(theirs)))
    assert client.get(link).status_code == 200
    response = client.post(link, sample_post(assessed))
    taken = Sample.objects.get()
    assert response.url == report_url(taken)
    assert (taken.sampled_by, taken.plan_item) == (other_iqa, item)


def test_an_action_without_a_target_date_is_refused_and_nothing_is_recorded(client, iqa, assessed):
    client.force_login(iqa)
    response = client.post(sample_url(assessed), sample_post(assessed, due_1=""))
    assert response.status_code == 200
    assert NO_DATE in shown(response)
    assert nothing_sampled()


def test_the_sample_forms_fields_keep_their_labels_and_say_which_error_is_theirs(
    client, iqa, assessed
):
    client.force_login(iqa)
    page = shown(client.post(sample_url(assessed), sample_post(assessed, due_1="", feedback="")))
    page = re.sub(r"\s*(<|>)\s*", r"\1", page)  # the spaces between tags and words aside
    [due] = re.findall(r'<input type="date" name="due_1"[^>]*>', page)
    assert 'class="dateinput form-control is-invalid"' in due and 'aria-invalid="true"' in due
    assert 'aria-describedby="id_due_1_error"' in due
    assert (
        f'<div id="id_due_1_error" class="invalid-feedback"><p id="error_1_id_due_1"><strong>{NO_DATE}'
        in page
    )
    assert '<label for="id_due_1" class="form-label">Target date for action 1</label>' in page
    feedback = '<label for="id_feedback" class="form-label requiredField">Feedback to the assessor<span class="asteriskField">*</span></label>'
    assert feedback in page and 'aria-describedby="id_feedback_error"' in page
    assert (
        '<legend class="form-label requiredField fs-6">Verdict<span class="asteriskField">*</span></legend>'
        in page
    )
    assert '<label for="id_verdict_0" class="form-check-label">Agree</label>' in page
    [valid] = re.findall(r'<input type="checkbox" name="valid"[^>]*>', page)
    assert 'class="checkboxinput form-check-input"' in valid
    assert '<label for="id_valid" class="form-check-label">Valid: it shows the criteria' in page


def test_a_refused_sample_comes_back_with_the_boxes_the_iqa_ticked_not_every_box(
    client, iqa, assessed
):
    """Sent back for a missing target date, the form keeps the IQA's choice of decisions and
    evidence: every box came back ticked, and a second send sampled what they had left out."""
    client.force_login(iqa)
    decisions = [d.pk for d in current(assessed, SIGNED_UNIT)]
    evidence = [e.pk for e in assessed.evidence.all()]
    assert len(decisions) >= 2 and evidence
    sent = sample_post(assessed, due_1="", decisions=decisions[:1], evidence=[])
    page = shown(client.post(sample_url(assessed), sent))
    assert NO_DATE in page and nothing_sampled()
    boxes = {
        name: {
            int(re.search(r'value="(\d+)"', tag)[1]): " checked" in tag  # type: ignore[index]
            for tag in re.findall(rf'<input [^>]*name="{name}"[^>]*>', page)
        }
        for name in ("decisions", "evidence")
    }
    assert boxes["decisions"] == {pk: pk == decisions[0] for pk in decisions}
    assert boxes["evidence"] == dict.fromkeys(evidence, False)
    # Shown afresh, every box is ticked, as before.
    fresh = shown(client.get(sample_url(assessed)))
    assert all(" checked" in t for t in re.findall(r'<input [^>]*name="decisions"[^>]*>', fresh))


def test_a_sample_with_no_decision_ticked_says_so_beside_the_decisions(client, iqa, assessed):
    client.force_login(iqa)
    page = shown(client.post(sample_url(assessed), sample_post(assessed, decisions=[])))
    assert '<div id="decisions_error" class="invalid-feedback d-block">' in page
    assert f"<strong>{NO_DECISION_TICKED}</strong>" in page
    assert NOTHING_DECIDED not in page  # the unit's decisions are listed just below
    [tick, *_] = re.findall(r'<input [^>]*name="decisions"[^>]*>', page)
    assert 'aria-invalid="true" aria-describedby="decisions_error"' in tick
    assert nothing_sampled()


def test_a_sample_of_a_unit_with_no_decisions_yet_says_there_are_none(client, iqa, assessed):
    client.force_login(iqa)
    # The decisions of another unit sent with it count for nothing here.
    sent = sample_post(assessed, decisions=[d.pk for d in current(assessed, SIGNED_UNIT)])
    page = shown(client.post(sample_url(assessed, OTHER_UNITS[0]), sent))
    assert f"<strong>{NOTHING_DECIDED}</strong>" in page
    assert NO_DECISION_TICKED not in page
    assert nothing_sampled()


def test_action_required_without_an_action_says_so_under_the_first_action(client, iqa, assessed):
    client.force_login(iqa)
    page = shown(client.post(sample_url(assessed), sample_post(assessed, action_1="", due_1="")))
    assert f'<p id="error_1_id_action_1"><strong>{ACTIONS_NEEDED}</strong></p>' in page
    assert 'aria-describedby="id_action_1_error"' in page
    assert nothing_sampled()


def test_agree_with_a_rule_of_evidence_unticked_is_refused_under_the_verdict(client, iqa, assessed):
    """The five rules sent but 'sufficient', with 'Agree' and no actions: the page comes back
    saying so under the verdict, the ticks as sent, and nothing is recorded."""
    client.force_login(iqa)
    sent = sample_post(assessed, verdict=Verdict.AGREE.value, action_1="", due_1="")
    page = shown(client.post(sample_url(assessed), sent))
    assert f'<p id="error_1_id_verdict"><strong>{AGREED_AGAINST_THE_RULES}</strong></p>' in page
    assert "Agree" in AGREED_AGAINST_THE_RULES and "Action required" in AGREED_AGAINST_THE_RULES
    [sufficient] = re.findall(r'<input type="checkbox" name="sufficient"[^>]*>', page)
    assert " checked" not in sufficient
    assert nothing_sampled()
    # Every rule ticked, the same form is recorded.
    response = client.post(sample_url(assessed), {**sent, "sufficient": "on"})
    assert response.status_code == 302 and Sample.objects.get().verdict == Verdict.AGREE


@pytest.mark.parametrize("persona", ["assessor", "learner", "centre_admin"])
def test_nobody_but_an_iqa_records_a_sample_by_posting_to_the_page(
    client, request, assessed, persona
):
    client.force_login(request.getfixturevalue(persona))
    # The page is an IQA's only: not found for anyone else (the service refuses them too).
    assert client.post(sample_url(assessed), sample_post(assessed)).status_code == 404
    assert nothing_sampled()


def test_the_learners_iqa_who_no_longer_holds_the_role_cannot_sample_them(
    client, centre, iqa, assessed
):
    # Still named on the registration, and able to open it as a centre admin.
    RoleFactory.create(user=iqa, centre=centre, kind=RoleKind.CENTRE_ADMIN)
    Role.objects.filter(user=iqa, kind=RoleKind.IQA).delete()
    client.force_login(iqa)
    assert client.post(sample_url(assessed), sample_post(assessed)).status_code == 404
    assert nothing_sampled()


def test_an_outsider_can_neither_open_nor_post_to_the_sample_page(client, outsider, assessed):
    client.force_login(outsider)
    assert client.get(sample_url(assessed)).status_code == 404
    assert client.post(sample_url(assessed), sample_post(assessed)).status_code == 404
    assert nothing_sampled()


# The sample's report and its actions


@pytest.mark.parametrize("persona", ["iqa", "assessor", "centre_admin"])
def test_the_sampler_the_assessor_sampled_and_a_centre_admin_read_the_report(
    client, request, sampled, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(report_url(sampled))
    assert response.status_code == 200
    page = shown(response)
    assert "Action required" in part(page, "verdict", "</dd>")
    assert ACTION in part(page, "action", "</div>")


def test_the_report_reads_its_decisions_in_queries_that_do_not_grow_with_them(client, iqa, sampled):
    client.force_login(iqa)
    looked_at = list(sampled.decisions.order_by("pk"))
    assert len(looked_at) == 9

    def page_with(decisions):
        sampled.decisions.set(decisions)
        with CaptureQueriesContext(connection) as captured:
            page = shown(client.get(report_url(sampled)))
        return len(captured), part(page, "looked-at", "</dd>")

    few, listed_few = page_with(looked_at[:1])
    many, listed_many = page_with(looked_at)
    assert few == many
    numbers = [d.criterion.number for d in looked_at]
    assert numbers[0] in listed_few and all(n in listed_many for n in numbers)


@pytest.mark.parametrize("persona", ["learner", "outsider", "other_iqa"])
def test_nobody_else_finds_the_report(client, request, sampled, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(report_url(sampled)).status_code == 404


def respond_url(action):
    return reverse("iqa:action-respond", args=[action.pk])


def close_url(action):
    return reverse("iqa:action-close", args=[action.pk])


def lift_url(sample):
    return reverse("iqa:sample-lift", args=[sample.pk])


def test_the_assessor_responds_to_an_action(client, assessor, sampled, action):
    client.force_login(assessor)
    response = client.post(respond_url(action), {"response": RESPONSE}, follow=True)
    assert response.redirect_chain == [(report_url(sampled), 302)]
    assert "Your response is sent to the IQA." in shown(response)
    action.refresh_from_db()
    assert (action.status, action.response) == (ActionStatus.RESPONDED, RESPONSE)


def test_an_empty_response_says_what_is_needed_and_changes_nothing(client, assessor, action):
    client.force_login(assessor)
    response = client.post(respond_url(action), {"response": "  "}, follow=True)
    assert RESPONSE_NEEDED in shown(response)
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN and action.response == ""


@pytest.mark.parametrize("persona", ["learner", "outsider"])
def test_someone_who_cannot_see_the_sample_finds_no_action_to_respond_to(
    client, request, action, persona
):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(respond_url(action), {"response": RESPONSE}).status_code == 404
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN and action.response == ""


@pytest.mark.parametrize("persona", ["iqa", "centre_admin"])
def test_only_the_assessor_sampled_responds_to_an_action(client, request, action, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(respond_url(action), {"response": RESPONSE}).status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_the_iqa_closes_an_action_once_the_assessor_has_responded(
    client, iqa, assessor, sampled, action
):
    client.force_login(iqa)
    response = client.post(close_url(action), follow=True)
    assert NOT_RESPONDED in shown(response)
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN
    action_respond(action=action, response=RESPONSE, actor=assessor)
    response = client.post(close_url(action), follow=True)
    assert response.redirect_chain == [(report_url(sampled), 302)]
    assert "The action is closed." in shown(response)
    action.refresh_from_db()
    assert (action.status, action.closed_by) == (ActionStatus.CLOSED, iqa)


@pytest.mark.parametrize("persona", ["assessor", "centre_admin"])
def test_only_the_iqa_who_raised_an_action_closes_it(client, request, assessor, action, persona):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    client.force_login(request.getfixturevalue(persona))
    assert client.post(close_url(action)).status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.RESPONDED and action.closed_by is None


def not_accept_url(action):
    return reverse("iqa:action-not-accept", args=[action.pk])


COMMENT = "Name the customer in each entry."


def test_the_iqa_sends_an_answer_back_and_the_assessor_sees_why_and_answers_again(
    client, iqa, assessor, sampled, action
):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    client.force_login(iqa)
    page = shown(client.get(report_url(sampled)))
    assert not_accept_url(action) in page and close_url(action) in page
    later = TODAY + datetime.timedelta(days=21)
    response = client.post(
        not_accept_url(action), {"comment": COMMENT, "due_on": later.isoformat()}, follow=True
    )
    assert response.redirect_chain == [(report_url(sampled), 302)]
    assert "Not accepted: the action is back with the assessor" in shown(response)
    action.refresh_from_db()
    assert (action.status, action.iqa_comment, action.due_on) == ("open", COMMENT, later)
    assert not_accept_url(action) not in shown(response)  # nothing to judge until answered

    client.force_login(assessor)
    home = shown(client.get(reverse("home")))
    assert f"Answer again the IQA's action on {SIGNED_UNIT}" in home
    report = shown(client.get(report_url(sampled)))
    assert COMMENT in part(report, "iqa-comment", "</div>")
    assert "Answer again" in report and respond_url(action) in report
    client.post(respond_url(action), {"response": "Named every customer."})
    action.refresh_from_db()
    assert (action.status, action.response) == ("responded", "Named every customer.")


def test_sending_an_answer_back_without_a_comment_says_what_is_needed(
    client, iqa, assessor, action
):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    client.force_login(iqa)
    response = client.post(not_accept_url(action), {"comment": " "}, follow=True)
    assert COMMENT_NEEDED in shown(response)
    action.refresh_from_db()
    assert action.status == ActionStatus.RESPONDED


@pytest.mark.parametrize("persona", ["assessor", "centre_admin"])
def test_only_the_iqa_who_raised_an_action_sends_it_back(
    client, request, assessor, action, persona
):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    client.force_login(request.getfixturevalue(persona))
    assert client.post(not_accept_url(action), {"comment": COMMENT}).status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.RESPONDED


@pytest.mark.parametrize("persona", ["learner", "outsider"])
def test_someone_who_cannot_see_the_sample_finds_no_action_to_send_back(
    client, request, assessor, action, persona
):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    client.force_login(request.getfixturevalue(persona))
    assert client.post(not_accept_url(action), {"comment": COMMENT}).status_code == 404
    action.refresh_from_db()
    assert action.status == ActionStatus.RESPONDED


def button_names(page: str) -> list[str]:
    """Each button's accessible name as a screen reader reads it: its text, hidden words too."""
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", inner)).split())
        for inner in re.findall(r"<button[^>]*>(.*?)</button>", page, flags=re.S)
    ]


def test_each_actions_buttons_say_which_action_they_are_for(client, iqa, assessor, assessed):
    sample = take(assessed, iqa, actions=[(ACTION, DUE), (LATE_ACTION, DUE)])
    for raised in sample.actions.all():
        action_respond(action=raised, response=RESPONSE, actor=assessor)
    client.force_login(iqa)
    names = button_names(shown(client.get(report_url(sample))))
    closes = [n for n in names if n.startswith("Close the action")]
    backs = [n for n in names if n.startswith("Not accepted")]
    assert len(closes) == len(set(closes)) == 2 and len(backs) == len(set(backs)) == 2
    assert any(ACTION in n for n in closes) and any(LATE_ACTION in n for n in closes)
    client.force_login(assessor)
    sends = [n for n in button_names(shown(client.get(report_url(sample)))) if "response" in n]
    assert len(sends) == len(set(sends)) == 2


def test_a_centre_admin_lifts_the_lock_with_a_reason(client, centre_admin, sampled):
    client.force_login(centre_admin)
    page = shown(client.get(report_url(sampled)))
    assert reverse("iqa:sample-lift", args=[sampled.pk]) in page
    response = client.post(lift_url(sampled), {"reason": REASON}, follow=True)
    assert response.redirect_chain == [(report_url(sampled), 302)]
    sampled.refresh_from_db()
    assert sampled.lock_lifted_at is not None
    assert (sampled.lock_lifted_by, sampled.lock_lift_reason) == (centre_admin, REASON)
    assert REASON in shown(response)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_lock_is_not_lifted_without_a_reason(client, centre_admin, sampled, reason):
    client.force_login(centre_admin)
    response = client.post(lift_url(sampled), {"reason": reason}, follow=True)
    assert REASON_NEEDED in shown(response)
    sampled.refresh_from_db()
    assert sampled.lock_lifted_at is None and sampled.lock_lift_reason == ""


@pytest.mark.parametrize("persona", ["assessor", "iqa"])
def test_only_a_centre_admin_lifts_a_lock(client, request, sampled, persona):
    client.force_login(request.getfixturevalue(persona))
    assert reverse("iqa:sample-lift", args=[sampled.pk]) not in shown(
        client.get(report_url(sampled))
    )
    assert client.post(lift_url(sampled), {"reason": REASON}).status_code == 403
    sampled.refresh_from_db()
    assert sampled.lock_lifted_at is None


@pytest.mark.parametrize("persona", ["learner", "outsider"])
def test_someone_who_cannot_see_the_sample_finds_no_lock_to_lift(client, request, sampled, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(lift_url(sampled), {"reason": REASON}).status_code == 404
    sampled.refresh_from_db()
    assert sampled.lock_lifted_at is None


# Home pages


@pytest.fixture
def late(iqa, assessed):
    """A second sample whose action is past its target date."""
    return take(assessed, iqa, BEGUN_UNIT, [(LATE_ACTION, LATE)]).actions.get()


def test_the_assessors_home_lists_their_open_iqa_actions_and_marks_an_overdue_one(
    client, assessor, action, late
):
    client.force_login(assessor)
    page = shown(client.get(reverse("home")))
    listed = part(page, "iqa-actions", "</ul>")
    [first, second] = listed.split("<li")[1:]
    # Soonest due first: the late one is marked, the other is not.
    assert LATE_ACTION in first and "Overdue" in first
    assert ACTION in second and "Overdue" not in second
    assert reverse("iqa:sample-detail", args=[late.sample_id]) in first


def test_an_answered_action_leaves_the_assessors_home(client, assessor, action, late):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    client.force_login(assessor)
    listed = part(shown(client.get(reverse("home"))), "iqa-actions", "</ul>")
    assert LATE_ACTION in listed and ACTION not in listed


def test_the_iqas_home_lists_responses_to_review_and_overdue_actions(
    client, iqa, assessor, action, late
):
    action_respond(action=action, response=RESPONSE, actor=assessor)
    client.force_login(iqa)
    page = shown(client.get(reverse("home")))
    to_close = part(page, "to-close", "</ul>")
    overdue = part(page, "overdue", "</ul>")
    assert ACTION in to_close and LATE_ACTION not in to_close
    assert LATE_ACTION in overdue and ACTION not in overdue
    assert reverse("iqa:sample-detail", args=[action.sample_id]) in to_close


def test_the_iqas_home_reads_its_actions_once_for_its_lists_and_its_todo(
    client, iqa, assessor, action, late
):
    client.force_login(iqa)
    with CaptureQueriesContext(connection) as seen:
        page = shown(client.get(reverse("home")))
    assert sum('FROM "iqa_action"' in q["sql"] for q in seen.captured_queries) == 1
    assert LATE_ACTION in part(page, "overdue", "</ul>") and ACTION not in page
    assert "1 action not answered by the assessor by the date they were given" in page


def test_an_answered_action_past_its_date_waits_for_the_iqa_and_is_not_overdue(
    client, iqa, assessor, action, late
):
    action_respond(action=late, response=RESPONSE, actor=assessor)
    client.force_login(iqa)
    page = shown(client.get(reverse("home")))
    assert LATE_ACTION in part(page, "to-close", "</ul>")
    assert 'data-testid="overdue"' not in page
    assert "1 action answered by the assessor, waiting for you to close or send back" in page
    assert "not answered by the assessor by the date" not in page
    report = shown(client.get(reverse("iqa:sample-detail", args=[late.sample_id])))
    assert "Answered: waiting for the IQA" in report and "overdue" not in report.lower()


# Documents


@pytest.mark.parametrize("persona", ["learner", "outsider"])
def test_someone_who_cannot_see_the_sample_cannot_ask_for_its_pdf(
    client, request, sampled, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("iqa:document-request"), {"sample": sampled.pk})
    assert response.status_code == 404
    assert not IqaDocument.objects.exists()


@pytest.mark.parametrize("persona", ["learner", "outsider", "assessor"])
def test_someone_who_cannot_see_the_plan_cannot_ask_for_its_pdf(client, request, plan, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("iqa:document-request"), {"plan": plan.pk})
    assert response.status_code == 404
    assert not IqaDocument.objects.exists()


def test_a_pdf_still_being_made_is_not_downloaded(client, iqa, sampled):
    client.force_login(iqa)
    # The task runs once the request commits: the test's transaction never does.
    response = client.post(reverse("iqa:document-request"), {"sample": sampled.pk})
    assert response.status_code == 302 and response.url == report_url(sampled)
    document = IqaDocument.objects.get()
    assert (document.sample, document.requested_by) == (sampled, iqa)
    assert document.status == DocumentStatus.PENDING
    assert client.get(reverse("iqa:document-download", args=[document.pk])).status_code == 404


@pytest.fixture
def ready(sampled, iqa):
    """A report PDF already made."""
    document = IqaDocument.objects.create(sample=sampled, requested_by=iqa)
    document.file.save("sample.pdf", ContentFile(b"%PDF-1.4 report"), save=False)
    document.status = DocumentStatus.READY
    document.save()
    return document


@pytest.mark.parametrize(
    ("persona", "status"),
    [("iqa", 200), ("assessor", 200), ("centre_admin", 200), ("learner", 404), ("outsider", 404)],
)
def test_a_ready_pdf_is_downloaded_only_by_those_who_see_its_sample(
    client, request, ready, persona, status
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("iqa:document-download", args=[ready.pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == b"%PDF-1.4 report"
        assert response["Cache-Control"] == "private, no-store"


def test_a_ready_pdf_missing_from_storage_is_not_found_said_so_and_logged(
    client, ready, iqa, caplog
):
    ready.file.storage.delete(ready.file.name)
    client.force_login(iqa)
    watch_writes()
    with caplog.at_level(logging.ERROR):
        response = client.get(reverse("iqa:document-download", args=[ready.pk]))
    assert response.status_code == 404 and FILE_MISSING in shown(response)
    [logged] = [r for r in caplog.records if r.name == "portal.http"]
    assert logged.levelno == logging.ERROR and ready.file.name in logged.getMessage()
    assert written() == []


def test_malformed_ids_match_nothing_instead_of_failing(client, iqa, registration, assessor):
    decide(registration, assessor, BEGUN_UNIT, "4.1")
    plan = generate(registration.centre, registration.qualification, iqa)
    client.force_login(iqa)
    url = reverse("iqa:plan-detail", args=[plan.pk])
    assert client.post(url, {"remove": "abc"}).status_code == 404
    sample_url = reverse("iqa:sample-new", args=[registration.pk, unit(BEGUN_UNIT).pk])
    assert client.get(sample_url, {"item": "abc"}).status_code == 200
    assert client.post(reverse("iqa:document-request"), {"sample": "abc"}).status_code == 404
    assert client.post(reverse("iqa:document-request"), {"plan": "abc"}).status_code == 404


def test_the_plan_shows_a_withdrawn_learners_items_closed_and_due_no_more(
    client, plan, iqa, assessed, centre_admin
):
    client.force_login(iqa)
    take(assessed, iqa)  # one of the two sampled
    registration_withdraw(registration=assessed, reason="Left the employer.", actor=centre_admin)
    page = shown(client.get(plan_url(plan)))
    assert (
        "1 of 2 planned items sampled. 1 not sampled, on registration now closed: nothing more "
        "is due on it." in part(page, "done", "</p>")
    )
    items = part(page, "plan-items", "</table>")
    assert items.count(">Registration closed</span>") == 1
    assert items.count(">Sampled</span>") == 1
    assert "Sample<span" not in items
