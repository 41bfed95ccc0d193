"""The centre's certificate list: search, filter, sort and pages, all on the server."""

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certification.models import Certificate, Kind, RenderStatus
from portfolios.models import Registration
from tests.assessment.test_caseload import many_learners
from tests.factories import CentreFactory, RoleFactory
from tests.portfolios.conftest import registration, sfj

__all__ = ["registration", "sfj"]
LIST = reverse("certification:certificate-list")
CLAIMS = reverse("certification:claims")


def issue(registration, centre_admin) -> None:
    """A certificate for every registration at the fixture's centre that has none, a day apart,
    in bulk (how they are claimed is tested elsewhere; this is about listing them)."""
    start = timezone.now() - datetime.timedelta(days=100)
    registrations = Registration.objects.filter(centre=registration.centre).order_by("pk")
    Certificate.objects.bulk_create(
        Certificate(
            number=f"TEST-{i:04d}",
            learner_identifier=f"L{i:04d}",
            registration=r,
            centre_id=r.centre_id,
            kind=Kind.FULL if i % 3 else Kind.UNIT,
            snapshot={},
            issued_at=start + datetime.timedelta(days=i),
            issued_by=centre_admin,
            status=RenderStatus.READY,
        )
        for i, r in enumerate(registrations)
        if not r.certificates.exists()
    )


def numbers(page: str) -> list[str]:
    return re.findall(r'<td><a href="/certificates/\d+/">([^<]+)</a></td>', page)


def test_the_list_pages_sorts_searches_and_filters(client, registration, centre_admin):
    many_learners(registration, 30)
    issue(registration, centre_admin)
    client.force_login(centre_admin)

    first = client.get(LIST).content.decode()
    assert "31 certificates" in first and "Page 1 of 2" in first
    assert numbers(first) == [f"TEST-{i:04d}" for i in range(30, 5, -1)]  # newest first
    second = numbers(client.get(LIST, {"page": 2}).content.decode())
    assert second == [f"TEST-{i:04d}" for i in range(5, -1, -1)]

    by_number = client.get(LIST, {"sort": "number"}).content.decode()
    assert numbers(by_number)[:3] == ["TEST-0000", "TEST-0001", "TEST-0002"]
    assert 'aria-sort="ascending"' in by_number

    found = client.get(LIST, {"q": "learner 02"}).content.decode()
    assert len(numbers(found)) == 10 and "10 certificates match" in found
    assert numbers(client.get(LIST, {"q": "test-0007"}).content.decode()) == ["TEST-0007"]

    units = numbers(client.get(LIST, {"kind": "unit", "sort": "number"}).content.decode())
    assert units == [f"TEST-{i:04d}" for i in range(0, 31, 3)]

    Certificate.objects.filter(number="TEST-0012").update(
        revoked_at=timezone.now(), revoked_by=centre_admin, revocation_reason="Error."
    )
    Certificate.objects.filter(number="TEST-0013").update(status=RenderStatus.FAILED)
    revoked = client.get(LIST, {"state": "revoked"}).content.decode()
    assert numbers(revoked) == ["TEST-0012"] and "Revoked" in revoked
    assert numbers(client.get(LIST, {"state": "failed"}).content.decode()) == ["TEST-0013"]
    assert "TEST-0012" not in numbers(client.get(LIST, {"state": "ready"}).content.decode())
    nothing = client.get(LIST, {"q": "no such certificate"}).content.decode()
    assert "No certificate matches." in nothing


def test_the_claims_page_shows_the_latest_ten_and_links_to_them_all(
    client, registration, centre_admin
):
    many_learners(registration, 30)
    issue(registration, centre_admin)
    client.force_login(centre_admin)
    page = client.get(CLAIMS).content.decode()
    issued = page[page.index('data-testid="issued"') :]
    assert len(re.findall(r"TEST-\d{4}", issued)) == 10 and "TEST-0030" in issued
    assert f'href="{LIST}"' in page


def test_nonsense_in_the_address_is_ignored_not_an_error(client, registration, centre_admin):
    issue(registration, centre_admin)
    client.force_login(centre_admin)
    for junk in ({"sort": "password"}, {"page": "x"}, {"kind": "x"}, {"state": "x"}):
        response = client.get(LIST, junk)
        assert response.status_code == 200
        page = response.content.decode()
        assert numbers(page) == ["TEST-0000"]
        assert "1 certificate match" not in page  # not taken for a filter either


def test_only_a_centre_admin_sees_the_list_and_only_their_centre_s(
    client, registration, centre_admin, learner, assessor
):
    issue(registration, centre_admin)
    for person in (learner, assessor):
        client.force_login(person)
        assert client.get(LIST).status_code == 403
    other = RoleFactory.create(centre=CentreFactory.create(), kind="centre_admin").user
    client.force_login(other)
    page = client.get(LIST).content.decode()
    assert numbers(page) == [] and "No certificate has been claimed" in page


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST).status_code == 200
    return len(captured)


def test_the_list_runs_the_same_queries_for_one_certificate_and_for_thirty_one(
    client, registration, centre_admin
):
    issue(registration, centre_admin)
    client.force_login(centre_admin)
    one = queries(client)
    many_learners(registration, 30)
    issue(registration, centre_admin)
    assert Certificate.objects.count() == 31
    assert queries(client) == one
