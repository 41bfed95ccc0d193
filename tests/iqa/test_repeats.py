"""The IQA's requests sent twice (a double click, a second tab, the page sent again): the second
changes nothing, says so, and writes nothing to the audit log. Races of the same through
gunicorn: tests/integration/test_iqa_races.py."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from iqa.forms import FORM_OUT_OF_DATE
from iqa.models import IqaDocument, PlanItem, Sample, SamplingPlan, Verdict
from iqa.pages import unplanned_work
from iqa.services import (
    ALREADY_PLANNED,
    ALREADY_REMOVED,
    ITEM_GONE,
    PLAN_ALREADY_MADE,
    SAMPLE_ALREADY_RECORDED,
    AlreadyMade,
    IqaRefused,
    document_request,
    plan_generate,
    plan_item_add,
    plan_item_remove,
    sample_record,
)
from iqa.services import Judgement as Finding
from portal.models import AuditEntry, RoleKind
from tests.audit import AuditWatch
from tests.iqa.test_services import (
    FEEDBACK,
    PERIOD_ENDS,
    PERIOD_STARTS,
    SIGNED_UNIT,
    current,
    decide,
    person,
    register,
)
from tests.iqa.test_strategy import DEFAULTS
from tests.iqa.test_views import (
    PLAN_NEW,
    assessed,
    evidence,
    other_iqa,
    plan,
    plan_post,
    sample_post,
    sample_url,
    sampled,
)
from tests.writes import watch_writes, written

__all__ = ["assessed", "evidence", "other_iqa", "plan", "sampled"]


def test_the_same_work_added_to_a_plan_twice_is_planned_once(plan, iqa, assessor):
    plan.items.all().delete()  # the period's work, now unplanned
    [work, *_] = unplanned_work(plan)
    plan_item_add(plan=plan, work=work, actor=iqa)
    audit = AuditWatch()
    with pytest.raises(IqaRefused) as refused:
        plan_item_add(plan=plan, work=work, actor=iqa)
    assert refused.value.messages == [ALREADY_PLANNED]
    assert plan.items.count() == 1 and audit.actions() == []


def test_an_item_removed_twice_is_removed_once(plan, iqa):
    item = plan.items.first()
    stale = PlanItem.objects.select_related("plan").get(pk=item.pk)  # a second tab's
    plan_item_remove(item=item, actor=iqa)
    audit = AuditWatch()
    with pytest.raises(IqaRefused) as refused:
        plan_item_remove(item=stale, actor=iqa)
    assert refused.value.messages == [ALREADY_REMOVED]
    assert audit.actions() == []


def test_the_same_plan_form_sent_twice_makes_one_plan(centre, sfj, iqa, assessed):
    token = uuid.uuid4()

    def generate() -> SamplingPlan:
        return plan_generate(
            centre=centre,
            qualification=sfj,
            starts_on=PERIOD_STARTS,
            ends_on=PERIOD_ENDS,
            actor=iqa,
            form_token=token,
        )

    first = generate()
    audit = AuditWatch()
    with pytest.raises(AlreadyMade) as repeat:
        generate()
    assert repeat.value.made == first
    assert SamplingPlan.objects.count() == 1 and audit.actions() == []


def test_the_same_plan_form_sent_twice_by_its_iqa_shows_them_the_plan_it_made(
    client, centre, sfj, iqa, assessed, other_iqa
):
    """A double click or a second tab: the IQA is sent to the plan the first made and told why,
    not shown a bare not found; nothing more is made or written. Another IQA of the centre, who
    may not open that plan, is still answered not found."""
    form = plan_post(sfj)
    client.force_login(iqa)
    first = client.post(PLAN_NEW, form)
    [plan] = SamplingPlan.objects.all()
    other = Client()
    other.force_login(other_iqa)
    watch_writes()
    again = client.post(PLAN_NEW, form, follow=True)
    assert again.redirect_chain == [(first["Location"], 302)]
    assert escape(PLAN_ALREADY_MADE) in again.content.decode()
    assert other.post(PLAN_NEW, form).status_code == 404
    assert written() == [] and list(SamplingPlan.objects.all()) == [plan]


def test_a_plan_forms_token_sent_by_an_iqa_of_another_centre_is_not_sent_to_its_plan(
    client, centre, other_centre, sfj, iqa, assessed
):
    form = plan_post(sfj)
    client.force_login(iqa)
    made = client.post(PLAN_NEW, form)
    [plan] = SamplingPlan.objects.all()
    assert made["Location"] == reverse("iqa:plan-detail", args=[plan.pk])
    # An IQA elsewhere, with a learner on the same qualification, sends the same token.
    admin = person(other_centre, RoleKind.CENTRE_ADMIN, "admin.elsewhere@example.org")
    assessor = person(other_centre, RoleKind.ASSESSOR, "assessor.elsewhere@example.org")
    elsewhere = person(other_centre, RoleKind.IQA, "iqa.elsewhere@example.org")
    register(other_centre, admin, sfj, assessor, elsewhere, "learner.elsewhere@example.org")
    client.force_login(elsewhere)
    watch_writes()
    answer = client.post(PLAN_NEW, form)
    # As for any plan they may not open: not found, and not told which plan the token made.
    assert answer.status_code == 404 and "Location" not in answer
    assert written() == [] and list(SamplingPlan.objects.all()) == [plan]


def test_the_same_sample_form_sent_twice_is_recorded_once_and_the_second_is_shown_the_first(
    client, iqa, assessed
):
    client.force_login(iqa)
    form = sample_post(assessed)
    first = client.post(sample_url(assessed), form)
    [sample] = Sample.objects.all()
    assert first["Location"] == reverse("iqa:sample-detail", args=[sample.pk])
    audit = AuditWatch()
    again = client.post(sample_url(assessed), form, follow=True)
    assert again.redirect_chain[-1][0] == first["Location"]
    assert SAMPLE_ALREADY_RECORDED in again.content.decode()
    assert Sample.objects.count() == 1 and sample.actions.count() == 1
    assert audit.actions() == []


def test_a_sample_forms_token_sent_by_an_iqa_of_another_centre_is_not_sent_to_its_sample(
    client, other_centre, sfj, iqa, assessed
):
    form = sample_post(assessed)
    client.force_login(iqa)
    made = client.post(sample_url(assessed), form)
    [sample] = Sample.objects.all()
    assert made["Location"] == reverse("iqa:sample-detail", args=[sample.pk])
    # An IQA elsewhere, with a learner of their own assessed on the same unit, sends the token.
    admin = person(other_centre, RoleKind.CENTRE_ADMIN, "admin.elsewhere@example.org")
    assessor = person(other_centre, RoleKind.ASSESSOR, "assessor.elsewhere@example.org")
    elsewhere = person(other_centre, RoleKind.IQA, "iqa.elsewhere@example.org")
    learner = "learner.elsewhere@example.org"
    theirs = register(other_centre, admin, sfj, assessor, elsewhere, learner)
    decide(theirs, assessor, SIGNED_UNIT)
    client.force_login(elsewhere)
    watch_writes()
    answer = client.post(sample_url(theirs), sample_post(theirs, form_token=form["form_token"]))
    # As for any sample they may not open: not found, and not told which sample the token made.
    assert answer.status_code == 404 and "Location" not in answer
    assert written() == [] and list(Sample.objects.all()) == [sample]


def test_a_sample_form_without_its_token_is_out_of_date_and_records_nothing(client, iqa, assessed):
    client.force_login(iqa)
    page = client.get(sample_url(assessed)).content.decode()
    assert 'name="form_token"' in page  # the page gives each form its own
    form = {k: v for k, v in sample_post(assessed).items() if k != "form_token"}
    answer = client.post(sample_url(assessed), form)
    assert answer.status_code == 200 and FORM_OUT_OF_DATE in answer.content.decode()
    assert not Sample.objects.exists()


def test_asking_for_a_pdf_while_the_same_one_is_pending_gives_that_one(
    iqa, sampled, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        first = document_request(sample=sampled, actor=iqa)
        again = document_request(sample=sampled, actor=iqa)
    assert again == first and IqaDocument.objects.count() == 1
    assert len(queued) == 1  # one render task sent
    IqaDocument.objects.update(status="failed")
    assert document_request(sample=sampled, actor=iqa) != first  # a failed one is asked again


def test_a_sample_of_a_plan_item_removed_meanwhile_is_refused(iqa, plan, assessed):
    item = plan.items.get(unit__code=SIGNED_UNIT)
    plan_item_remove(item=PlanItem.objects.get(pk=item.pk), actor=iqa)
    with pytest.raises(IqaRefused) as refused:
        sample_record(
            registration=assessed,
            unit_id=item.unit_id,
            decisions=current(assessed, SIGNED_UNIT),
            evidence=[],
            judgement=Finding(True, True, True, True, True, Verdict.AGREE, FEEDBACK),
            actions=[],
            actor=iqa,
            plan_item=item,
        )
    assert refused.value.messages == [ITEM_GONE]
    assert not Sample.objects.exists()


def test_saving_the_strategy_unchanged_writes_nothing(client, sfj, iqa, assessor):
    client.force_login(iqa)
    url = reverse("iqa:strategy", args=[sfj.pk])
    unchanged = {**DEFAULTS, f"risk-{assessor.pk}": "standard"}
    client.post(url, unchanged)  # the defaults, as the page shows them
    changed = {**unchanged, "new_percent": 60, f"risk-{assessor.pk}": "new"}
    client.post(url, changed)
    audit = AuditWatch()
    assert client.post(url, changed).status_code == 302
    assert audit.actions() == []
    assert AuditEntry.objects.filter(action="iqa.strategy_saved").count() == 1
