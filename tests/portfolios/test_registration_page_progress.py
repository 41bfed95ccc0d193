"""The registration's page says what is chosen and what is achieved apart, and where each unit
of the plan stands, in the same number of queries whatever has been done (issue 19)."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Outcome, UnitSignOff
from assessment.tracker import registration_tracker
from portfolios.unit_states import UnitState, unit_standings
from qualifications.models import Criterion
from tests.assessment.test_progress import add_evidence
from tests.assessment.test_tracker import decide
from tests.certification.conftest import achieve

ACHIEVED = "T/506/2126"
STARTED = "A/506/2130"


def section(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index("</ul>", start)]


def page_of(client, user, registration) -> str:
    client.force_login(user)
    url = reverse("portfolios:registration-detail", args=[registration.pk])
    return client.get(url).content.decode()


def test_a_learner_who_achieved_nothing_sees_the_plan_as_chosen_not_achieved(
    client, registration, learner
):
    page = page_of(client, learner, registration)
    plan = section(page, "plan-rules")
    assert re.search(r"Met:</span> [^<]*: all \d+ mandatory units? chosen", plan)
    assert "achieved" not in plan
    achieved = page[page.index('data-testid="achieved-rules"') :]
    assert "0 units achieved (signed off and countersigned); 0 credits count so far" in achieved


def test_the_achieved_part_counts_what_is_signed_off_and_countersigned(
    client, registration, learner, assessor, centre_admin
):
    achieve(registration, assessor, codes={ACHIEVED})
    for person in (learner, assessor, centre_admin):
        page = page_of(client, person, registration)
        achieved = page[page.index('data-testid="achieved-rules"') :]
        assert "1 unit achieved (signed off and countersigned); 3 credits count so far" in achieved


def test_each_planned_unit_shows_its_state(client, registration, learner, assessor):
    achieve(registration, assessor, codes={ACHIEVED})
    criteria = list(Criterion.objects.filter(unit__code=STARTED).order_by("position", "pk"))
    decide(registration, criteria[0], assessor)
    decide(registration, criteria[1], assessor, outcome=Outcome.NOT_YET)
    page = page_of(client, learner, registration)
    states = dict(re.findall(r'data-unit="([^"]+)".*?data-testid="unit-state">([^<]+)<', page))
    assert states[ACHIEVED] == "Achieved"
    assert states[STARTED] == f"In progress: 1 of {len(criteria)} items met"
    others = set(states) - {ACHIEVED, STARTED}
    assert others and {states[code] for code in others} == {"Not started"}

    UnitSignOff.objects.update(learner_signed_at=None, learner_signature="")
    page = page_of(client, learner, registration)
    assert "Signed off, awaiting the learner&#x27;s countersignature" in page


def test_the_states_agree_with_the_tracker(registration, learner, assessor, trainee_assessor):
    achieve(registration, assessor, codes={ACHIEVED})
    criteria = list(Criterion.objects.filter(unit__code=STARTED).order_by("position", "pk"))
    decide(registration, criteria[0], trainee_assessor, provisional=True)
    add_evidence(registration, learner, 1, [criteria[2].pk])
    tracked = registration_tracker(registration)
    standings = unit_standings(registration, [t.unit.pk for t in tracked])
    assert {t.unit.code: (t.state, t.met, len(t.cells)) for t in tracked} == {
        t.unit.code: (s.state, s.met, s.items) for t in tracked for s in [standings[t.unit.pk]]
    }
    assert standings[tracked[0].unit.pk].state in vars(UnitState).values()


def test_the_page_makes_as_many_queries_with_work_done_as_without(
    client, registration, learner, assessor
):
    client.force_login(learner)
    url = reverse("portfolios:registration-detail", args=[registration.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    achieve(registration, assessor)
    client.get(url)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)
