"""At a centre enforcing its competence register (decision 49), a decision by an assessor with
no current award covering the unit stays provisional until an assessor competent for the unit
countersigns it; a countersigner who is not competent for it is refused. Until a centre turns
it on, the register changes nothing."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Decision
from assessment.pages import awaiting_countersignature
from assessment.services import (
    NOT_COMPETENT_TO_COUNTERSIGN,
    DecisionRefused,
    decision_countersign,
)
from competence.services import register_enforce
from portal.models import RoleKind
from qualifications.models import Unit
from tests.assessment.crowd import decisions_on, many_learners
from tests.competence.register import award, enforce
from tests.factories import RoleFactory, UserFactory
from tests.iqa.test_services import BEGUN_UNIT, SIGNED_UNIT, decide


def raises(exception, message):
    return pytest.raises(exception, match=re.escape(message))


@pytest.fixture
def colleague(centre):
    """Another qualified (not trainee) assessor of the centre."""
    user = UserFactory.create(email="colleague@example.org")
    RoleFactory.create(user=user, centre=centre, kind=RoleKind.ASSESSOR)
    return user


def provisional(decisions):
    return [d.provisional for d in Decision.objects.filter(pk__in=[d.pk for d in decisions])]


def test_until_the_centre_enforces_it_the_register_changes_nothing(registration, assessor):
    made = decide(registration, assessor, BEGUN_UNIT, "1.1")
    assert provisional(made) == [False]


def test_an_assessor_without_a_current_award_for_the_unit_decides_provisionally_and_a_competent_one_countersigns(
    centre, centre_admin, registration, assessor, colleague, sfj
):
    enforce(centre, centre_admin)
    # The assessor's award covers one unit only; the colleague's the whole qualification.
    award(centre, assessor, centre_admin, units=[Unit.objects.get(code=SIGNED_UNIT)])
    award(centre, colleague, centre_admin, qualifications=[sfj])
    in_scope = decide(registration, assessor, SIGNED_UNIT, "1.1")
    out_of_scope = decide(registration, assessor, BEGUN_UNIT, "1.1", "1.2")
    assert provisional(in_scope) == [False]
    assert provisional(out_of_scope) == [True, True]
    assert decision_countersign(decisions=out_of_scope, actor=colleague) == 2
    assert provisional(out_of_scope) == [False, False]
    assert {
        d.countersigned_by_id for d in Decision.objects.filter(pk__in=[d.pk for d in out_of_scope])
    } == {colleague.pk}


def test_a_countersigner_not_competent_for_the_unit_is_refused_and_nothing_changes(
    centre, centre_admin, registration, assessor, colleague, sfj
):
    enforce(centre, centre_admin)
    made = decide(registration, assessor, BEGUN_UNIT, "1.1")  # no award: provisional
    award(centre, colleague, centre_admin, units=[Unit.objects.get(code=SIGNED_UNIT)])
    with raises(DecisionRefused, NOT_COMPETENT_TO_COUNTERSIGN.format(unit=BEGUN_UNIT)):
        decision_countersign(decisions=made, actor=colleague)
    assert provisional(made) == [True]


def test_an_expired_award_leaves_the_decision_provisional(
    centre, centre_admin, registration, assessor, sfj
):
    enforce(centre, centre_admin)
    award(
        centre,
        assessor,
        centre_admin,
        qualifications=[sfj],
        expires_on=datetime.date.today() - datetime.timedelta(days=1),
    )
    assert provisional(decide(registration, assessor, BEGUN_UNIT, "1.1")) == [True]


def test_a_trainee_stays_provisional_whatever_the_register_says_and_is_countersigned_only_by_a_competent_assessor(
    centre, centre_admin, registration, trainee_assessor, assessor, colleague, sfj
):
    registration.assessor = trainee_assessor
    registration.save()
    enforce(centre, centre_admin)
    award(centre, trainee_assessor, centre_admin, qualifications=[sfj])
    award(centre, assessor, centre_admin, qualifications=[sfj])
    made = decide(registration, trainee_assessor, BEGUN_UNIT, "1.1")
    assert provisional(made) == [True]
    with raises(DecisionRefused, NOT_COMPETENT_TO_COUNTERSIGN.format(unit=BEGUN_UNIT)):
        decision_countersign(decisions=made, actor=colleague)  # no award of their own
    assert decision_countersign(decisions=made, actor=assessor) == 1


def test_the_same_decision_again_by_an_out_of_scope_assessor_changes_nothing(
    centre, centre_admin, registration, assessor
):
    enforce(centre, centre_admin)
    decide(registration, assessor, BEGUN_UNIT, "1.1")
    with raises(DecisionRefused, "nothing changed"):
        decide(registration, assessor, BEGUN_UNIT, "1.1")


def listed(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'name="decisions" value="(\d+)"', page)]


def page_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("assessment:countersign"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_countersigning_page_lists_only_the_decisions_the_countersigner_is_competent_for(
    client, centre, centre_admin, registration, assessor, colleague, sfj
):
    enforce(centre, centre_admin)
    # The colleague's award covers one unit; the assessor holds none: both decisions wait.
    award(centre, colleague, centre_admin, units=[Unit.objects.get(code=BEGUN_UNIT)])
    [theirs] = decide(registration, assessor, BEGUN_UNIT, "1.1")
    [not_theirs] = decide(registration, assessor, SIGNED_UNIT, "1.1")
    client.force_login(colleague)
    few, page = page_queries(client)
    assert listed(page) == [theirs.pk]
    # Each learner of a crowd with a decision on each: the unit the colleague may countersign,
    # and one they may not.
    crowd = many_learners(registration, 30)
    begun = Unit.objects.get(code=BEGUN_UNIT)
    made = decisions_on(crowd, assessor, 12, after=begun.criteria.count() - 6, provisional=True)
    on_begun = set(begun.criteria.values_list("pk", flat=True))
    covered = {d.pk for d in made if d.criterion_id in on_begun}
    assert covered and len(covered) < len(made)
    many, page = page_queries(client)
    assert many == few
    shown = set(listed(page))
    assert shown and shown <= covered | {theirs.pk} and not_theirs.pk not in shown
    # Once the centre stops enforcing its register, every decision waiting is theirs to judge.
    register_enforce(centre=centre, on=False, actor=centre_admin)
    assert awaiting_countersignature(colleague).filter(pk=not_theirs.pk).exists()
