"""A plan at the size of a large centre: the period's work read as rows in a fixed number of
queries (generating, showing and adding to a plan cost the same for one learner as for
dozens), and the plan page's lists a page at a time."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Decision
from iqa.models import PlanItem, SamplingPlan, Stage
from iqa.pages import work_id
from iqa.services import plan_generate
from iqa.work import work_in_period
from portal.listing import PER_PAGE
from portal.models import RoleKind
from tests.assessment.crowd import ON, decisions_on, many_learners
from tests.iqa.test_services import PERIOD_ENDS, PERIOD_STARTS, decide, person, unit

MORE = 40  # learners added to one, each with decisions in the period


@pytest.fixture
def one(registration, assessor):
    """One learner with work in the period: criteria of two units."""
    decide(registration, assessor, "A/506/2130", "4.1", "4.2")
    decide(registration, assessor, "F/506/2131", "1.1")
    return registration


def crowd(registration, centre):
    """MORE learners on the same plan, shared by two more assessors, each with decisions
    (some countersigned by a third) on the first criteria of their plan."""
    second = person(centre, RoleKind.ASSESSOR, "second.assessor@example.org")
    third = person(centre, RoleKind.ASSESSOR, "third.assessor@example.org")
    half = MORE // 2
    first = many_learners(registration, half, assessor=second, prefix="first")
    others = many_learners(registration, MORE - half, assessor=third, prefix="other")
    decisions_on(first, second, 12, method="product")
    decisions_on(others, third, 7, method="observation")
    return first + others


def queries(run) -> int:
    with CaptureQueriesContext(connection) as done:
        run()
    return len(done)


def generate(centre, sfj, iqa) -> SamplingPlan:
    return plan_generate(
        centre=centre, qualification=sfj, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS, actor=iqa
    )


def test_the_periods_work_is_read_in_the_same_queries_for_one_learner_and_for_dozens(
    one, centre, sfj
):
    period = (centre, sfj, PERIOD_STARTS, PERIOD_ENDS)
    few = queries(lambda: work_in_period(*period))
    crowd(one, centre)
    work = work_in_period(*period)
    assert queries(lambda: work_in_period(*period)) == few
    # Each learner's first unit, by their assessor: the one learner's, and the crowd's.
    assert len(work) == 2 + MORE
    assert {w.stage for w in work} == {Stage.INTERIM}


def test_the_periods_work_is_read_as_rows_never_as_decisions(one, centre, sfj, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a decision was loaded as an object")

    monkeypatch.setattr(Decision, "from_db", refuse)
    work = work_in_period(centre, sfj, PERIOD_STARTS, PERIOD_ENDS)
    assert {(w.registration, w.unit) for w in work} == {
        (one.pk, unit("A/506/2130").pk),
        (one.pk, unit("F/506/2131").pk),
    }


def test_generating_a_plan_costs_the_same_queries_for_one_learner_and_for_dozens(
    one, centre, sfj, iqa
):
    few = queries(lambda: generate(centre, sfj, iqa))
    crowd(one, centre)
    many = queries(lambda: generate(centre, sfj, iqa))
    assert many == few
    latest = SamplingPlan.objects.order_by("-pk")[0]
    assert latest.items.count() > 3  # every assessor and learner covered


def unplan_one(plan):
    """Some work of the period left out of the plan, to be offered on its page."""
    PlanItem.objects.filter(plan=plan).order_by("-pk")[:1].get().delete()


def page_queries(client, plan) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as done:
        response = client.get(reverse("iqa:plan-detail", args=[plan.pk]))
    assert response.status_code == 200
    return len(done), response.content.decode()


def test_the_plan_page_costs_the_same_queries_for_one_learner_and_for_dozens(
    client, one, centre, sfj, iqa
):
    small = generate(centre, sfj, iqa)
    unplan_one(small)
    client.force_login(iqa)
    few, _ = page_queries(client, small)
    crowd(one, centre)
    large = generate(centre, sfj, iqa)
    unplan_one(large)
    many, page = page_queries(client, large)
    assert many == few
    # A page of the plan's items, and of the work not in it, to add by hand.
    assert page.count('name="remove"') == min(PER_PAGE, large.items.count())
    assert 'name="add"' in page


def test_adding_work_to_a_plan_costs_the_same_queries_for_one_learner_and_for_dozens(
    client, one, centre, sfj, iqa, assessor
):
    plan = generate(centre, sfj, iqa)
    client.force_login(iqa)
    url = reverse("iqa:plan-detail", args=[plan.pk])
    decide(one, assessor, "K/503/0421", "1.1")  # after the plan was made
    [late] = [
        w
        for w in work_in_period(centre, sfj, PERIOD_STARTS, PERIOD_ENDS)
        if w.unit == unit("K/503/0421").pk
    ]
    few = queries(lambda: client.post(url, {"add": work_id(late)}))
    assert plan.items.filter(by_hand=True).count() == 1
    learners = crowd(one, centre)
    decisions_on(learners[:1], learners[0].assessor, 1, after=30, on=ON)
    unplanned = [
        w
        for w in work_in_period(centre, sfj, PERIOD_STARTS, PERIOD_ENDS)
        if not plan.items.filter(registration_id=w.registration, unit_id=w.unit).exists()
    ]
    many = queries(lambda: client.post(url, {"add": work_id(unplanned[0])}))
    assert many == few
    assert plan.items.filter(by_hand=True).count() == 2


def test_the_work_not_in_the_plan_is_listed_a_page_at_a_time(client, one, centre, sfj, iqa):
    crowd(one, centre)
    plan = generate(centre, sfj, iqa)
    plan.items.all().delete()  # nothing planned: every piece of work is offered
    client.force_login(iqa)
    url = reverse("iqa:plan-detail", args=[plan.pk])
    first = client.get(url).content.decode()
    second = client.get(url, {"unplanned": 2}).content.decode()
    offered = re.findall(r'name="add" value="([\w-]+)"', first + second)
    assert len(re.findall(r'name="add"', first)) == PER_PAGE
    assert len(offered) == len(set(offered)) == 2 + MORE


def test_the_iqas_home_costs_the_same_queries_for_one_planned_item_or_dozens(
    client, one, centre, sfj, iqa
):
    generate(centre, sfj, iqa)
    client.force_login(iqa)
    few = queries(lambda: client.get("/"))
    crowd(one, centre)
    generate(centre, sfj, iqa)
    many = queries(lambda: client.get("/"))
    assert many == few
    page = client.get("/").content.decode()
    assert len(re.findall(r"planned items? still to sample", page)) == 2  # one line a plan


def test_the_plans_items_are_sorted_by_learner_across_pages_each_once(
    client, one, centre, sfj, iqa
):
    crowd(one, centre)
    plan = generate(centre, sfj, iqa)
    client.force_login(iqa)
    url = reverse("iqa:plan-detail", args=[plan.pk])
    total = plan.items.count()
    assert total > PER_PAGE
    removes, learners = [], []
    for n in range(1, -(-total // PER_PAGE) + 1):
        page = client.get(url, {"sort": "learner", "page": n}).content.decode()
        table = page[page.index('data-testid="plan-items"') : page.index("</table>")]
        removes += re.findall(r'name="remove" value="(\d+)"', table)
        learners += re.findall(r"<tr>\s*<td[^>]*>[^<]*</td><td[^>]*>([^<]+)</td>", table)
    assert sorted(map(int, removes)) == sorted(plan.items.values_list("pk", flat=True))
    assert learners == sorted(learners) and len(learners) == total
