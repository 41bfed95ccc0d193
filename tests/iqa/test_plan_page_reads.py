"""The plan page's and the plan form's reads as the seventh round changed them give what the
queries they replaced gave, on real rows: the plan's learners read by the ids of its items and
of its period's work (not the centre's and qualification's registrations or the items'), its
items with their methods decoded once a set, its documents by SQL compiled once, and the
centre's qualifications asked one by one (not its registrations' made distinct)."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from iqa.models import IqaDocument, PlanItem, SamplingPlan
from iqa.pages import (
    centre_qualifications,
    plan_documents,
    plan_learners,
    plan_pieces,
    planned_and_sampled,
)
from iqa.plan_reads import PLANNED
from iqa.services import plan_generate
from portal.models import User
from portfolios.models import Registration, closed_reason
from tests.factories import CentreFactory
from tests.iqa.test_plan_read import varied
from tests.iqa.test_sample_report_reads import vars_of
from tests.iqa.test_services import PERIOD_ENDS, PERIOD_STARTS
from tests.portfolios.conftest import cvq_registration

__all__ = ["cvq_registration"]


def learners_as_before(plan: SamplingPlan, registrations: list[int]) -> dict[int, tuple]:
    """(name, why closed) of the plan's centre's and qualification's registrations and of these
    (its items'), as `iqa.plan_reads.plan_learners` read them before."""
    name = User.objects.filter(pk=OuterRef("learner_id")).values("full_name")[:1]
    anonymised = User.objects.filter(pk=OuterRef("learner_id"), anonymisation__isnull=False)
    of_plan = Q(centre=plan.centre_id, qualification=plan.qualification_id)
    rows = (
        Registration.objects.filter(of_plan | Q(pk__in=registrations))
        .order_by()
        .values_list("pk", Subquery(name), "status", Exists(anonymised))
    )
    return {pk: (full_name, closed_reason(s, anonymised)) for pk, full_name, s, anonymised in rows}


def test_the_plans_learners_are_named_and_closed_as_before(
    registration, centre, sfj, iqa, assessor
):
    """A varied centre (closed registrations among the items and the work) with a generated
    plan, and another centre's learner on the same qualification: every registration the page
    names (its items' and the work's) read as before, and nobody else's."""
    varied(registration, iqa, assessor, 4)
    plan = plan_generate(
        centre=centre, qualification=sfj, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS, actor=iqa
    )
    # One of the plan's learners withdrawn since it was planned.
    first = plan.items.order_by("pk").values_list("registration_id", flat=True)[0]
    Registration.objects.filter(pk=first).update(status="withdrawn")
    items, _ = planned_and_sampled(plan)
    pieces = plan_pieces(plan)
    found = plan_learners(items, pieces)
    shown = {i.registration for i in items} | {p.registration for p in pieces}
    before = learners_as_before(plan, sorted({i.registration for i in items}))
    assert {pk: (found.names[pk], found.closed[pk]) for pk in shown} == {
        pk: before[pk] for pk in shown
    }
    assert set(found.names) == set(found.closed) == shown
    assert any(found.closed[i.registration] for i in items)  # some closed since: compared
    assert len(shown) > 10


def test_the_centres_qualifications_are_those_it_registers_on_by_title(
    registration, cvq_registration, centre
):
    elsewhere = CentreFactory.create()
    as_before = (
        Registration.objects.filter(centre_id=centre.pk)
        .values_list("qualification_id", "qualification__title")
        .distinct()
        .order_by("qualification__title")
    )
    assert centre_qualifications(centre) == list(as_before)
    assert len(centre_qualifications(centre)) == 2
    assert centre_qualifications(elsewhere) == []


def test_the_plans_items_and_documents_are_what_the_orm_reads(
    registration, centre, sfj, iqa, assessor
):
    """The items with their methods (several, one, none; decoded once a set and shared), by
    `values_list` as the ORM decodes them; the plan's last five PDFs of seven, newest first."""
    varied(registration, iqa, assessor, 5)
    plan = plan_generate(
        centre=centre, qualification=sfj, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS, actor=iqa
    )
    first, second = plan.items.order_by("pk")[:2]
    PlanItem.objects.filter(pk=first.pk).update(methods=[])
    PlanItem.objects.filter(pk=second.pk).update(methods=["product", "observation"])
    items, sampled = planned_and_sampled(plan)
    expected = plan.items.with_sampled().order_by().values_list(*PLANNED, "is_sampled")
    assert sorted((*i, i.pk in sampled) for i in items) == sorted(expected)
    assert {len(i.methods) for i in items} >= {0, 1, 2}
    for n in range(7):
        IqaDocument.objects.create(plan=plan, requested_by=iqa, error=str(n))
    IqaDocument.objects.update(requested_at=timezone.now() - datetime.timedelta(days=1))
    documents = plan_documents(plan.pk)
    assert [vars_of(d) for d in documents] == [vars_of(d) for d in plan.documents.all()[:5]]
    assert len(documents) == 5 and plan_documents(plan.pk + 1000) == []
