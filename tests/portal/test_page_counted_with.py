"""A list counted in the query that reads its page (`portal.listing.page_counted_with`,
decision 66) gives the page `page_of` gives, whatever ?page= says, in one query where the page
asked for has rows or the list is empty."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from portal import listing
from portal.listing import page_counted_with, page_of
from portal.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The last two: past any list, and past what an OFFSET can be (a 500 before they were caught).
ASKED = [None, "1", "2", "3", "4", "99", "0", "-1", "abc", "2.0", "", "1000001", "9" * 30]


def shown(page) -> tuple:
    return (
        page.number,
        page.paginator.count,
        page.paginator.num_pages,
        [u.pk for u in page.object_list],
        page.links.previous,
        page.links.next,
    )


@pytest.mark.parametrize("people", [0, 1, 4, 9])
def test_the_page_is_page_ofs_whatever_is_asked(people, monkeypatch):
    monkeypatch.setattr(listing, "PER_PAGE", 4)
    UserFactory.create_batch(people)
    found = User.objects.order_by("full_name", "pk")
    for asked in ASKED:
        request = RequestFactory().get("/", {} if asked is None else {"p": asked, "q": "x"})
        with CaptureQueriesContext(connection) as one:
            counted = page_counted_with(request, found, "p")
        assert shown(counted) == shown(page_of(request, found, "p")), asked
        # One query for the page asked for (the first for anything not a number), found; one
        # below the first or past any list, `page_of`'s two; one past the end, those after the
        # one that missed.
        wanted = int(asked) if asked and asked.lstrip("-").isdigit() else 1
        never = wanted < 1 or wanted > listing.FURTHEST_PAGE
        assert len(one) == (1 if counted.number == wanted else 2 if never else 3), asked
