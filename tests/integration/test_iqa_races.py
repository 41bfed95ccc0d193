"""The IQA's forms sent many times at once (a double click, two tabs, a retrying proxy) through
gunicorn on PostgreSQL: each takes effect once, with one audit entry, never a 500. Adding the
same work used to answer 500s (IntegrityError), removing one item wrote an entry per request,
and the same sample, plan or PDF request made one of each per request."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings

from iqa.models import Action, IqaDocument, PlanItem, Sample, SamplingPlan
from iqa.pages import unplanned_work, work_id
from iqa.services import plan_generate
from portal.audit import audit_verify
from portal.models import AuditEntry, Centre, RoleKind, User
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import Registration
from qualifications.models import Qualification
from tests.catalogue import load_test_world
from tests.factories import CentreFactory
from tests.integration.served import Browser, gunicorn
from tests.integration.test_repeated_requests import TIMES, at_once
from tests.iqa.test_services import (
    BEGUN_UNIT,
    PERIOD_ENDS,
    PERIOD_STARTS,
    SIGNED_UNIT,
    current,
    decide,
    person,
    register,
    sign,
    unit,
)
from tests.portfolios.files import pdf

QUEUE = f"test-iqa-races-{uuid.uuid4().hex[:8]}"


@dataclass
class Sampling:
    centre: Centre
    iqa: User
    qualification: Qualification
    registration: Registration
    plan: SamplingPlan


@pytest.fixture
def sampling(real_services, transactional_db) -> Sampling:
    """An assessor's work of the period (a unit signed off, another begun) and the IQA's plan."""
    load_test_world()
    centre = CentreFactory.create()
    admin = person(centre, RoleKind.CENTRE_ADMIN, "admin@example.org")
    assessor = person(centre, RoleKind.ASSESSOR, "assessor@example.org")
    iqa = person(centre, RoleKind.IQA, "iqa@example.org")
    sfj = Qualification.objects.get(code="SFJ-L2-CS")
    registration = register(centre, admin, sfj, assessor, iqa, "learner@example.org")
    evidence = evidence_add(
        registration=registration,
        details=EvidenceDetails("Reflective account", datetime.date(2026, 10, 6), "product"),
        files=[pdf()],
        declared=True,
        actor=registration.learner,
    )
    decide(registration, assessor, SIGNED_UNIT, evidence=[evidence])
    sign(registration, assessor)
    decide(registration, assessor, BEGUN_UNIT, "4.1", evidence=[evidence])
    plan = plan_generate(
        centre=centre, qualification=sfj, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS, actor=iqa
    )
    return Sampling(centre, iqa, sfj, registration, plan)


@pytest.fixture
def server(sampling, tmp_path: Path) -> Iterator[str]:
    # Render tasks go to a queue of the test's own, which no worker reads: what waits there is
    # what was queued.
    with gunicorn(tmp_path, {"CELERY_QUEUE": QUEUE}) as base:
        yield base
    redis.Redis.from_url(settings.REDIS_URL).delete(QUEUE)


@pytest.fixture
def iqa(server, sampling) -> Browser:
    browser = Browser(server)
    browser.log_in(sampling.iqa.email)
    return browser


def entries(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def test_the_same_work_added_at_once_is_planned_once(iqa, sampling):
    PlanItem.objects.filter(plan=sampling.plan, unit__code=BEGUN_UNIT).delete()
    [work] = unplanned_work(sampling.plan)
    path = f"/iqa/plans/{sampling.plan.pk}/"
    statuses = at_once(lambda: iqa.post(path, {"add": work_id(work)}))
    assert statuses == [302] * TIMES  # back to the plan: "added", or "already in the plan"
    assert PlanItem.objects.filter(plan=sampling.plan, unit__code=BEGUN_UNIT).count() == 1
    assert entries("iqa.plan_item_added") == 1
    assert audit_verify()[1] is None


def test_an_item_removed_at_once_is_removed_once(iqa, sampling):
    item = PlanItem.objects.get(plan=sampling.plan, unit__code=BEGUN_UNIT)
    path = f"/iqa/plans/{sampling.plan.pk}/"
    statuses = at_once(lambda: iqa.post(path, {"remove": str(item.pk)}))
    # Those past the page's check are told it was removed already; later ones find no item.
    assert 500 not in statuses and set(statuses) <= {302, 404}, statuses
    assert not PlanItem.objects.filter(pk=item.pk).exists()
    assert entries("iqa.plan_item_removed") == 1
    assert audit_verify()[1] is None


def test_the_same_sample_form_sent_at_once_is_recorded_once(iqa, sampling):
    registration = sampling.registration
    fields: dict[str, str | list[str]] = {
        "decisions": [str(d.pk) for d in current(registration, SIGNED_UNIT)],
        "valid": "on",
        "authentic": "on",
        "current": "on",
        "reliable": "on",
        "verdict": "action_required",
        "feedback": "Please date the record.",
        "action_1": "Add dates",
        "due_1": "2026-12-31",
        "form_token": str(uuid.uuid4()),  # one form, as its page gave it
    }
    path = f"/iqa/registrations/{registration.pk}/units/{unit(SIGNED_UNIT).pk}/sample/"
    statuses = at_once(lambda: iqa.post(path, fields))
    assert statuses == [302] * TIMES  # each to the one sample: "recorded", or "already recorded"
    assert Sample.objects.count() == 1 and Action.objects.count() == 1
    assert entries("iqa.sampled") == 1
    assert audit_verify()[1] is None


def test_the_same_plan_form_sent_at_once_makes_one_plan(iqa, sampling):
    fields = {
        "qualification": str(sampling.qualification.pk),
        "starts_on": "2026-09-01",
        "ends_on": "2026-12-31",
        "form_token": str(uuid.uuid4()),
    }
    statuses = at_once(lambda: iqa.post("/iqa/plans/new/", fields))
    assert statuses == [302] * TIMES
    assert SamplingPlan.objects.count() == 2  # the fixture's and this one
    assert entries("iqa.plan_generated") == 2
    assert audit_verify()[1] is None


def test_the_same_strategy_saved_at_once_is_saved_once(iqa, sampling):
    fields = {
        "trainee_percent": "100",
        "new_percent": "60",
        "standard_percent": "25",
        "experienced_percent": "10",
        "interim_required": "on",
        "summative_required": "on",
    }
    statuses = at_once(lambda: iqa.post(f"/iqa/strategy/{sampling.qualification.pk}/", fields))
    assert statuses == [302] * TIMES
    assert entries("iqa.strategy_saved") == 1  # one change; the same again changes nothing
    assert audit_verify()[1] is None


def test_the_same_pdf_asked_for_at_once_is_made_once(iqa, sampling):
    plan = str(sampling.plan.pk)
    statuses = at_once(lambda: iqa.post("/iqa/documents/", {"plan": plan}))
    assert statuses == [302] * TIMES
    assert IqaDocument.objects.count() == 1
    # One render task queued, so asking again and again cannot hold up certificates.
    assert redis.Redis.from_url(settings.REDIS_URL).llen(QUEUE) == 1
