import datetime
import re
from typing import Any, cast

from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.test.utils import CaptureQueriesContext

from assessment.caseload import QUIET_DAYS, Rag, caseload, day_month_year, status_of
from assessment.progress import Progress
from portal.listing import PER_PAGE
from portal.models import User
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import Registration
from tests.assessment.crowd import many_learners
from tests.portfolios.files import pdf

TODAY = datetime.date(2027, 1, 1)


def progress(met: int, of: int = 100, **registration: Any) -> Progress:
    defaults = {"start_date": datetime.date(2026, 9, 1), "planned_end_date": None}
    reg = Registration(**{**defaults, **registration})
    nothing = cast(Any, None)
    return Progress(reg, of, met, met, 1, 0, 1, nothing, None)


def test_a_learner_past_their_planned_end_with_criteria_unmet_is_behind_plan():
    rag, reason, _ = status_of(
        progress(99, planned_end_date=datetime.date(2026, 12, 31)), TODAY, TODAY
    )
    assert rag == Rag.RED and "Past the planned end date" in reason


def test_a_learner_whose_share_met_trails_the_time_gone_is_behind_at_risk_or_on_track():
    end = datetime.date(2027, 5, 3)  # 1 Sept to 3 May: 244 days, 122 gone on 1 Jan (50%)
    assert status_of(progress(24, planned_end_date=end), TODAY, TODAY)[0] == Rag.RED
    assert status_of(progress(35, planned_end_date=end), TODAY, TODAY)[0] == Rag.AMBER
    assert status_of(progress(41, planned_end_date=end), TODAY, TODAY)[0] == Rag.GREEN


def test_a_learner_on_track_who_has_gone_quiet_is_at_risk():
    last = TODAY - datetime.timedelta(days=QUIET_DAYS + 1)
    rag, reason, quiet = status_of(progress(50), last, TODAY)
    assert (rag, quiet) == (Rag.AMBER, True) and "No new evidence" in reason
    assert status_of(progress(50), TODAY, TODAY)[:1] == (Rag.GREEN,)


def test_a_learner_with_no_evidence_counts_as_quiet_from_their_start_date():
    started = TODAY - datetime.timedelta(days=10)
    assert status_of(progress(0, start_date=started), None, TODAY)[2] is False
    assert status_of(progress(0), None, TODAY)[2] is True


def test_the_caseload_lists_only_the_assessors_active_learners_most_urgent_first(
    registration, assessor, centre, learner
):
    late = Registration.objects.get(pk=registration.pk)
    late.planned_end_date = datetime.date(2026, 10, 1)
    late.save()
    rows = caseload(assessor, centre, TODAY)
    assert [row.registration.pk for row in rows] == [registration.pk]
    assert rows[0].rag == Rag.RED
    assert caseload(assessor, centre, TODAY, rag=Rag.GREEN) == []
    other = User.objects.create_user(email="other@example.org", password="x", full_name="O")
    assert caseload(other, centre, TODAY) == []


def home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return len(queries)


def test_the_caseload_page_costs_the_same_queries_for_one_learner_and_for_two_hundred_paged(
    client, registration, assessor, learner
):
    details = EvidenceDetails("Call log", datetime.date(2026, 10, 1), "product")
    evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    client.force_login(assessor)
    one = home_queries(client)
    many_learners(registration, 199)
    assert home_queries(client) == one
    assert one <= 25
    # Two hundred learners, a page at a time, most urgent first, each once.
    pages = [client.get("/", {"page": n}).content.decode() for n in range(1, 10)]
    names = [re.findall(r'registrations/(\d+)/">', part(page, "caseload")) for page in pages]
    assert [len(n) for n in names] == [PER_PAGE] * 8 + [PER_PAGE]  # the last page again
    assert len({pk for n in names[:8] for pk in n}) == 200
    assert "Page 1 of 8" in pages[0]


def part(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index("</table>", start)]


def test_a_day_is_written_as_the_date_filter_writes_it_in_every_month():
    for month in range(1, 13):
        day = datetime.date(2026, month, month + 9)
        assert day_month_year(day) == date_filter(day, "j M Y")
    assert day_month_year(None) == ""
