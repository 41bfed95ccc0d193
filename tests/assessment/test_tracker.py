"""The trackers (issue 19): a learner's units by their criteria with each item's state, and an
assessor's caseload of learners by units with the share met; both in a fixed number of
queries, whoever may see the registration and nobody else."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment.models import Decision, Outcome
from assessment.tracker import CellState, UnitState, registration_tracker
from portal.models import Role, RoleKind, User
from portfolios.models import RegistrationUnit
from qualifications.models import Criterion, QualificationUnit, Unit
from tests.assessment.crowd import decisions_on, many_learners
from tests.assessment.test_progress import add_evidence
from tests.certification.conftest import achieve

UNIT = "A/506/2130"
ACHIEVED = "T/506/2126"


def criteria_of(code: str) -> list[Criterion]:
    return list(Criterion.objects.filter(unit__code=code).order_by("position", "pk"))


def decide(registration, criterion, by, *, provisional=False, outcome=Outcome.MET) -> None:
    Decision.objects.create(
        registration=registration,
        criterion=criterion,
        outcome=outcome,
        method="observation",
        assessed_on=datetime.date(2026, 10, 6),
        decided_by=by,
        decided_at=timezone.now(),
        provisional=provisional,
    )


def test_each_item_and_unit_shows_its_state_and_share_met(
    client, registration, learner, assessor, trainee_assessor
):
    met, waiting, refused, evidenced, *rest = criteria_of(UNIT)
    decide(registration, met, assessor)
    decide(registration, waiting, trainee_assessor, provisional=True)
    decide(registration, refused, assessor, outcome=Outcome.NOT_YET)
    add_evidence(registration, learner, 1, [evidenced.pk])
    achieve(registration, assessor, codes=[ACHIEVED])

    tracked = {t.unit.code: t for t in registration_tracker(registration)}
    planned = set(registration.planned_units.values_list("unit__code", flat=True))
    assert set(tracked) == planned  # every planned unit, and only those
    unit = tracked[UNIT]
    states = {cell.label: cell.state for cell in unit.cells}
    assert states[met.number] == CellState.MET
    assert states[waiting.number] == CellState.PENDING
    assert states[refused.number] == CellState.NOT_YET
    assert states[evidenced.number] == CellState.EVIDENCED
    assert {states[c.number] for c in rest} == {CellState.NOT_STARTED}
    assert len(unit.cells) == len(rest) + 4
    assert unit.state == UnitState.IN_PROGRESS
    assert unit.met == 1  # the provisional one does not count yet
    assert unit.percent_met == round(100 / len(unit.cells))
    assert tracked[ACHIEVED].state == UnitState.ACHIEVED
    assert tracked[ACHIEVED].percent_met == 100
    untouched = planned - {UNIT, ACHIEVED}
    assert {tracked[code].state for code in untouched} == {UnitState.NOT_STARTED}

    client.force_login(learner)
    html = client.get(reverse("assessment:tracker", args=[registration.pk])).content.decode()
    unit_page = reverse(
        "assessment:unit-progress", args=[registration.pk, Unit.objects.get(code=UNIT).pk]
    )
    assert f'<a href="{unit_page}">{UNIT}</a>' in html
    assert (
        f'title="{met.number}: Met">{met.number} ✓<span class="visually-hidden">: Met</span>'
    ) in html
    assert f'{waiting.number} ◐<span class="visually-hidden">: Met, awaiting' in html
    assert '<span class="badge text-wrap text-start text-bg-success">Achieved</span>' in html
    # The registration page links to it.
    detail = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    assert reverse("assessment:tracker", args=[registration.pk]) in detail.content.decode()


def test_a_unit_signed_off_and_not_countersigned_by_the_learner_awaits_them(registration, assessor):
    achieve(registration, assessor, codes=[ACHIEVED])
    sign_off = registration.sign_offs.get()
    sign_off.learner_signed_at = None
    sign_off.learner_signature = ""
    sign_off.save()
    [unit] = [t for t in registration_tracker(registration) if t.unit.code == ACHIEVED]
    assert unit.state == UnitState.AWAITING_LEARNER


def test_the_tracker_is_for_those_who_may_see_the_registration(
    client, registration, learner, assessor, iqa, centre_admin, outsider, other_centre
):
    url = reverse("assessment:tracker", args=[registration.pk])
    for person in (learner, assessor, iqa, centre_admin):
        client.force_login(person)
        assert client.get(url).status_code == 200, person
    stranger = User.objects.create_user(email="l2@example.org", password="x", full_name="L Two")
    Role.objects.create(user=stranger, centre=registration.centre, kind=RoleKind.LEARNER)
    other_assessor = User.objects.create_user(email="a2@example.org", password="x", full_name="A")
    Role.objects.create(user=other_assessor, centre=other_centre, kind=RoleKind.ASSESSOR)
    for person in (outsider, stranger, other_assessor):
        client.force_login(person)
        assert client.get(url).status_code == 404, person
        page = client.get(reverse("assessment:caseload-tracker"))
        assert registration.learner.full_name not in page.content.decode()


def tracker_queries(client, url: str) -> int:
    client.get(url)  # the catalogue's rows read and kept
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_tracker_costs_the_same_queries_for_a_few_units_and_for_many(
    client, registration, learner, assessor, django_assert_num_queries
):
    decisions_on([registration], assessor, 5)
    client.force_login(learner)
    url = reverse("assessment:tracker", args=[registration.pk])
    few = tracker_queries(client, url)
    planned = registration.planned_units.values("unit_id")
    others = QualificationUnit.objects.filter(qualification=registration.qualification).exclude(
        unit__in=planned
    )
    added = RegistrationUnit.objects.bulk_create(
        RegistrationUnit(registration=registration, unit_id=q.unit_id) for q in others
    )
    assert len(added) >= 5
    decisions_on([registration], assessor, 40, after=5)
    # The session, the user, the roles, the registration, the plan, the current decisions, the
    # mappings, the sign-offs and the unread notifications.
    with django_assert_num_queries(few):
        page = client.get(url)
    assert page.content.decode().count("<tr data-unit=") == registration.planned_units.count()
    assert few == 9


def test_the_caseload_tracker_shows_each_learners_units_with_the_share_met(
    client, registration, assessor
):
    [other] = many_learners(registration, 1)
    unit = Unit.objects.get(code=UNIT)
    criteria = criteria_of(UNIT)
    for c in criteria[:2]:
        decide(other, c, assessor)
    achieve(registration, assessor, codes=[ACHIEVED])
    client.force_login(assessor)
    html = client.get(reverse("assessment:caseload-tracker")).content.decode()
    share = round(200 / len(criteria))
    other_unit = reverse("assessment:unit-progress", args=[other.pk, unit.pk])
    assert f'<a href="{other_unit}" aria-label="{UNIT}: {share}% met">{share}%</a></td>' in html
    achieved = Unit.objects.get(code=ACHIEVED)
    done = reverse("assessment:unit-progress", args=[registration.pk, achieved.pk])
    assert f'aria-label="{ACHIEVED}: 100% met">100%</a> <span class="badge' in html
    assert done in html
    tracker = reverse("assessment:tracker", args=[other.pk])
    assert f'<a href="{tracker}">{other.learner.full_name}</a>' in html
    # The caseload links to it.
    assert reverse("assessment:caseload-tracker") in client.get("/").content.decode()


def test_the_caseload_tracker_costs_the_same_queries_for_five_learners_and_two_hundred(
    client, registration, assessor, django_assert_num_queries
):
    few = many_learners(registration, 4, prefix="few")
    decisions_on([registration, *few], assessor, 3)
    client.force_login(assessor)
    url = reverse("assessment:caseload-tracker")
    five = tracker_queries(client, url)
    more = many_learners(registration, 195, prefix="more")
    decisions_on(more, assessor, 6)
    with django_assert_num_queries(five):
        page = client.get(url)
    html = page.content.decode()
    assert html.count('<tr><th scope="row">') == 25  # a page of learners
    assert "Page 1 of 8" in html
    with django_assert_num_queries(five):
        last = client.get(url, {"page": 8})
    assert last.content.decode().count('<tr><th scope="row">') == 200 - 7 * 25


def test_the_caseload_tracker_is_an_assessors(client, registration, learner, iqa, centre_admin):
    for person in (learner, iqa, centre_admin):
        client.force_login(person)
        assert client.get(reverse("assessment:caseload-tracker")).status_code == 403
