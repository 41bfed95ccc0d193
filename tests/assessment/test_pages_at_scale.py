"""The assessor's pages cost the same number of queries at a small centre and a large one: the
caseload with trainees' decisions waiting, the review page and an item's history."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Decision, Outcome
from assessment.services import Judgement, decision_record
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.models import RegistrationUnit
from qualifications.models import Criterion, Qualification, Unit
from tests.assessment.crowd import decisions_on, many_learners
from tests.portfolios.files import pdf

ON = datetime.date(2026, 10, 6)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as done:
        response = client.get(url)
    assert response.status_code == 200
    return len(done)


@pytest.fixture
def evidence(registration, learner):
    details = EvidenceDetails("Call log", ON, "product")
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def first_criteria(registration, n):
    planned = registration.planned_units.values("unit_id")
    return list(Criterion.objects.filter(unit__in=planned).order_by("unit__code", "pk")[:n])


def test_the_caseload_costs_the_same_queries_with_one_trainee_decision_waiting_or_hundreds(
    client, registration, assessor, trainee_assessor
):
    others = many_learners(registration, 3, assessor=trainee_assessor)
    decisions_on(others[:1], trainee_assessor, 1, provisional=True)
    client.force_login(assessor)
    few = queries(client, "/")
    more = many_learners(registration, 40, assessor=trainee_assessor, prefix="more")
    decisions_on(more, trainee_assessor, 8, provisional=True)
    assert queries(client, "/") == few
    page = client.get("/").content.decode()
    assert re.search(r'data-testid="to-countersign">\s*321\s*<', page)  # 1 + 40 x 8


def test_the_review_page_costs_the_same_queries_at_a_small_centre_and_a_large_one(
    client, registration, assessor, evidence
):
    decision_record(
        registration=registration,
        targets=Targets(criteria=frozenset(c.pk for c in first_criteria(registration, 2))),
        judgement=Judgement(Outcome.MET, "product", ON),
        evidence=[evidence],
        actor=assessor,
    )
    client.force_login(assessor)
    url = reverse("assessment:evidence-review", args=[evidence.pk])
    few = queries(client, url)
    crowd = many_learners(registration, 40)
    decisions_on(crowd, assessor, 10)
    assert queries(client, url) == few


def test_an_items_history_costs_the_same_queries_for_one_decision_or_many(
    client, registration, assessor, evidence
):
    [criterion] = first_criteria(registration, 1)
    url = reverse("assessment:item-history", args=[registration.pk, "criterion", criterion.pk])

    def decide(outcome, feedback):
        decision_record(
            registration=registration,
            targets=Targets(criteria=frozenset([criterion.pk])),
            judgement=Judgement(outcome, "product", ON, feedback),
            evidence=[evidence],
            actor=assessor,
        )

    decide(Outcome.NOT_YET, "Not yet.")
    client.force_login(assessor)
    few = queries(client, url)
    for n in range(6):
        decide(Outcome.MET if n % 2 else Outcome.NOT_YET, f"Round {n}.")
    decisions_on(many_learners(registration, 30), assessor, 5)
    assert Decision.objects.filter(registration=registration, criterion=criterion).count() == 7
    assert queries(client, url) == few


def test_the_caseload_costs_the_same_queries_whatever_the_number_of_qualifications(
    client, registration, assessor
):
    """The caseload shows counts, never the rules of combination: a learner on another
    qualification costs no query of its own (reading a qualification's rules takes five)."""
    client.force_login(assessor)
    few = queries(client, "/")
    for code in ("601/3576/1", "CCA010-02", "L2-DPSOD"):
        [other] = many_learners(registration, 1, prefix=f"on-{code.replace('/', '-')}")
        other.qualification = Qualification.objects.get(code=code)
        other.save()
        other.planned_units.all().delete()
        RegistrationUnit.objects.bulk_create(
            RegistrationUnit(registration=other, unit=u)
            for u in Unit.objects.filter(memberships__qualification=other.qualification)[:3]
        )
    assert queries(client, "/") == few
    assert client.get("/").content.decode().count('class="progress-bar') == 4
