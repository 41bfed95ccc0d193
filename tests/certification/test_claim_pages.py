"""The claims page's three lists read in one query, written as SQL (`readiness.claim_pages`,
decision 66): each list's page is the slice of `claim_list` (the queryset it replaced) at the
same offset, in its order (names alike broken by the registration), with its reasons and
units as kept, for every qualification or one; and the page asks for them in one query."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certification.readiness import claim_list, claim_pages
from portal.listing import PER_PAGE
from portfolios.models import ClaimList, ClaimReadiness
from qualifications.models import Qualification
from tests.certification.conftest import more_learners

pytestmark = pytest.mark.django_db

LISTS = [ClaimList.FULL.value, ClaimList.UNIT.value, ClaimList.WAITING.value]


@pytest.fixture
def kept(registration, centre):
    """70 registrations' readiness kept on the three lists (and a few claimed or closed), some
    learners with the same name, their reasons with quotes and accents, on two
    qualifications."""
    others = more_learners(registration, 69, "paged")
    other = Qualification.objects.exclude(pk=registration.qualification_id).first()
    assert other is not None
    rows = []
    for i, r in enumerate([registration, *others]):
        listed = [*LISTS, ClaimList.CLAIMED, ClaimList.CLOSED][i % 5 if i % 7 else i % 3]
        rows.append(
            ClaimReadiness(
                registration=r,
                centre=centre,
                qualification_id=other.pk if i % 4 == 0 else registration.qualification_id,
                listed=listed,
                learner_name=f"Learner {(i * 37) % 23:02d}",  # some alike
                full_ready=listed == ClaimList.FULL,
                unit_ready=listed == ClaimList.UNIT,
                claimable_units=[f"U/{i:03d}", "Ä/001"][: 1 + i % 2],
                counted_credits=i,
                full_reasons=[f'Reason "{i}" déjà not met'] if i % 3 else [],
                unit_reasons=["No unit is achieved"] * (i % 2),
                held=[f"Held {i}"] if i % 6 == 0 else [],
                rules_version=1,
                computed_at=timezone.now(),
            )
        )
    ClaimReadiness.objects.filter(registration__centre=centre).delete()
    ClaimReadiness.objects.bulk_create(rows)
    return other


@pytest.mark.parametrize("per_page", [PER_PAGE, 4])
def test_each_lists_page_is_the_querysets_slice_at_that_offset(
    kept, centre, registration, monkeypatch, per_page
):
    from certification import readiness

    monkeypatch.setattr(readiness, "PER_PAGE", per_page)
    for qualification in (None, kept.pk, registration.qualification_id):
        expected = {
            which: list(claim_list(centre, ClaimList(which), qualification)) for which in LISTS
        }
        assert all(expected.values())
        for offsets in (
            dict.fromkeys(LISTS, 0),
            {LISTS[0]: per_page, LISTS[1]: 0, LISTS[2]: 2 * per_page},
            {LISTS[2]: 1, LISTS[0]: 3},  # any lists, in any order
            dict.fromkeys(LISTS, 1000),  # past the end: nothing
        ):
            found = claim_pages(centre, offsets, qualification)
            assert list(found) == list(offsets)
            for which, offset in offsets.items():
                page = expected[which][offset : offset + per_page]
                assert found[which] == page, (qualification, offsets, which)


def test_the_claims_page_reads_its_three_lists_in_one_query(
    kept, centre, centre_admin, monkeypatch
):
    from certification import readiness
    from portal import listing

    for module in (readiness, listing):
        monkeypatch.setattr(module, "PER_PAGE", 4)
    client = Client()
    client.force_login(centre_admin)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("certification:claims"), {"waiting": "2", "unit": "x"})
    assert page.status_code == 200
    lists = [q for q in queries.captured_queries if "ROW_NUMBER()" in q["sql"]]
    assert len(lists) == 1
    # The second page of those not ready yet (their readiness worked out by the page first).
    waiting = page.context["waiting"]
    assert waiting.number == 2 and waiting.paginator.count > 8
    assert waiting.object_list == list(claim_list(centre, ClaimList.WAITING))[4:8]
    assert page.context["unit"].number == 1
