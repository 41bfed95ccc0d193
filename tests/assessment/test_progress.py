import datetime

import pytest
from django.urls import reverse

from assessment.progress import CriterionState, EvidenceLink, progress_of, unit_progress
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Mapping, MappingStatus
from portfolios.services import RegistrationDetails, registration_create
from qualifications.kept_units import read_units
from qualifications.models import Criterion, Qualification, Unit
from tests.certification.conftest import achieve
from tests.portfolios.conftest import PROQUAL_OPTIONAL, START
from tests.portfolios.files import upload


def add_evidence(registration, learner, n, criteria):
    details = EvidenceDetails(f"Evidence {n}", datetime.date(2026, 10, 1), "product")
    evidence = evidence_add(
        registration=registration,
        details=details,
        files=[upload(f"e{n}.txt", f"item {n}".encode())],
        declared=True,
        actor=learner,
    )
    mapping_propose(evidence=evidence, targets=Targets(criteria=frozenset(criteria)), actor=learner)
    return evidence


def test_progress_counts_criteria_with_evidence_against_the_plan(registration, learner):
    ids = list(Criterion.objects.filter(unit__code="A/506/2130").values_list("pk", flat=True)[:3])
    add_evidence(registration, learner, 1, ids)
    add_evidence(registration, learner, 2, ids[:1])
    [progress] = progress_of([registration])
    plan = Criterion.objects.filter(
        unit__code__in=registration.planned_units.values("unit__code")
    ).count()
    assert (progress.criteria, progress.evidenced, progress.evidence_items) == (plan, 3, 2)
    assert not progress.verdict.eligible  # nothing is signed off yet
    assert progress.route is not None
    assert progress.route.found and progress.route.units == ()  # the plan meets the rules


def test_the_unit_page_gives_each_criterion_its_state_and_evidence(registration, learner):
    unit = Unit.objects.get(code="A/506/2130")
    first, second = Criterion.objects.filter(unit=unit).order_by("position")[:2]
    evidence = add_evidence(registration, learner, 1, [first.pk, second.pk])
    Mapping.objects.filter(criterion=second).update(status=MappingStatus.CONFIRMED)
    progress = unit_progress(registration, read_units([unit.pk])[unit.pk])
    rows = {row.criterion.number: row for _, rs in progress.outcomes for row in rs}
    assert rows[first.number].state == CriterionState.PROPOSED
    assert rows[second.number].state == CriterionState.CONFIRMED
    assert rows[first.number].evidence == [EvidenceLink(evidence.pk, evidence.title)]
    assert rows["5.2"].state == CriterionState.NO_EVIDENCE


def test_the_learner_home_shows_each_registration_with_its_progress_and_route(
    client, registration, learner
):
    ids = list(Criterion.objects.filter(unit__code="A/506/2130").values_list("pk", flat=True)[:2])
    add_evidence(registration, learner, 1, ids)
    client.force_login(learner)
    page = client.get(reverse("home")).content.decode()
    assert "SFJ Awards Level 2 Certificate in Customer Service" in page
    assert ">2 of " in page
    assert "Shortest route: achieve the units of your plan" in page


def test_a_learner_who_has_met_the_rules_is_told_so_and_offered_no_route(
    client, registration, learner, assessor
):
    achieve(registration, assessor)  # every planned unit signed off and countersigned
    client.force_login(learner)
    page = client.get(reverse("home")).content.decode()
    assert "<strong>Complete:</strong> the units you have achieved meet" in page
    assert "Shortest route" not in page and "Not yet:" not in page


@pytest.fixture
def big_registration(centre, centre_admin, learner, catalogue_db):
    proqual = Qualification.objects.get(code="601/3576/1")
    return registration_create(
        centre=centre,
        details=RegistrationDetails(learner=learner, qualification=proqual, start_date=START),
        optional_units=PROQUAL_OPTIONAL,
        actor=centre_admin,
    )


def queries_for(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("evidence_items", [1, 40])
def test_home_and_unit_pages_run_a_fixed_number_of_queries_however_big_the_portfolio(
    client, big_registration, learner, django_assert_max_num_queries, evidence_items
):
    criteria = list(
        Criterion.objects.filter(
            unit__code__in=["A/506/2130", "H/506/2154", "L/506/1869"]
        ).values_list("pk", flat=True)
    )
    for n in range(evidence_items):
        add_evidence(big_registration, learner, n, criteria[n % 7 : n % 7 + 12])
    client.force_login(learner)
    # The same limits for 1 and for 40 evidence items mapped to dozens of criteria.
    queries_for(client, reverse("home"), django_assert_max_num_queries, 24)
    unit = Unit.objects.get(code="H/506/2154")
    url = reverse("assessment:unit-progress", args=[big_registration.pk, unit.pk])
    # 15 (one the unit's RPL or exemption in force), and at a first visit six for the unit's
    # rules of assessment (requirements, sufficiency, simulation, kinds, methods, a realistic
    # working environment: kept thereafter, decisions 48 and 51), whatever the portfolio's size.
    queries_for(client, url, django_assert_max_num_queries, 21)


def test_a_unit_outside_the_plan_or_the_registration_is_not_found(
    client, registration, learner, outsider
):
    client.force_login(learner)
    elsewhere = Unit.objects.get(code="J/506/2132")
    assert (
        client.get(
            reverse("assessment:unit-progress", args=[registration.pk, elsewhere.pk])
        ).status_code
        == 404
    )
    client.force_login(outsider)
    mine = Unit.objects.get(code="A/506/2130")
    assert (
        client.get(reverse("assessment:unit-progress", args=[registration.pk, mine.pk])).status_code
        == 404
    )


def test_the_learner_home_counts_units_achieved(client, registration, learner):
    client.force_login(learner)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="units-achieved">0 of 7<' in page
