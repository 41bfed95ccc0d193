"""The centre's registration list: search, filter, sort and pages, all on the server."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolios.models import Registration, RegistrationStatus
from tests.assessment.test_caseload import many_learners
from tests.portfolios.conftest import registration, sfj

__all__ = ["registration", "sfj"]
LIST = reverse("portfolios:registration-list")


def names(page: str) -> list[str]:
    return re.findall(r'<td><a href="/registrations/\d+/">([^<]+)</a></td>', page)


def test_the_list_pages_sorts_searches_and_filters(client, registration, centre_admin):
    many_learners(registration, 30)  # "Learner 000" to "Learner 029", and the fixture's learner
    client.force_login(centre_admin)

    first = client.get(LIST).content.decode()
    assert len(names(first)) == 25 and "Page 1 of 2" in first and "31 registrations" in first
    second = client.get(LIST, {"page": 2}).content.decode()
    assert len(names(second)) == 6
    assert not set(names(first)) & set(names(second))

    backwards = names(client.get(LIST, {"sort": "-learner"}).content.decode())
    everyone = sorted(names(first) + names(second))
    assert backwards == sorted(everyone, reverse=True)[:25]
    page = client.get(LIST, {"sort": "-learner"}).content.decode()
    assert 'aria-sort="descending"' in page

    found = client.get(LIST, {"q": "learner 02"}).content.decode()
    assert names(found) == [f"Learner 02{i}" for i in range(10)]
    assert "10 registrations match" in found

    Registration.objects.filter(learner__full_name="Learner 007").update(
        status=RegistrationStatus.WITHDRAWN
    )
    withdrawn = client.get(LIST, {"status": "withdrawn"}).content.decode()
    assert names(withdrawn) == ["Learner 007"]
    nothing = client.get(LIST, {"q": "nobody like this"}).content.decode()
    assert "No registration matches." in nothing


def test_nonsense_in_the_address_is_ignored_not_an_error(client, registration, centre_admin):
    client.force_login(centre_admin)
    for junk in ({"sort": "password"}, {"page": "x"}, {"qualification": "x"}, {"status": "x"}):
        response = client.get(LIST, junk)
        assert response.status_code == 200
        page = response.content.decode()
        assert names(page) == [registration.learner.full_name]
        assert "1 registration match" not in page  # not taken for a filter either


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_for_one_learner_and_for_a_hundred(
    client, registration, centre_admin
):
    client.force_login(centre_admin)
    one = queries(client)
    many_learners(registration, 100)
    assert queries(client) == one


def test_a_centre_with_none_is_told_so_and_a_search_that_finds_none_says_no_match(
    client, registration, centre_admin
):
    """Whether the centre has any registration at all is read only where the page counted
    none (decision 66): with some, it surely has."""
    client.force_login(centre_admin)
    with CaptureQueriesContext(connection) as some:
        assert "Learner name or e-mail" in client.get(LIST).content.decode()
    with CaptureQueriesContext(connection) as none_found:
        nothing = client.get(LIST, {"q": "nobody-called-this"}).content.decode()
    assert "No registration matches." in nothing and "Learner name or e-mail" in nothing
    assert asked_any(none_found) and not asked_any(some)
    registration.delete()
    empty = client.get(LIST).content.decode()
    assert "No learner is registered at" in empty and "Learner name or e-mail" not in empty


def asked_any(queries: CaptureQueriesContext) -> bool:
    """Whether the page asked if the centre has any registration (`exists`)."""
    return any(
        q["sql"].startswith('SELECT 1 AS "a" FROM "portfolios_registration"')
        for q in queries.captured_queries
    )
