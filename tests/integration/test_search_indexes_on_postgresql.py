"""The indexes the registrations list's search and filter rely on at a large provider's size
(issue 17, docs/performance.md "Indexes"): PostgreSQL can answer them from the index.

The tables here are small, so PostgreSQL would read them whole whatever indexes there are;
with sequential scans priced out (`enable_seqscan = off`), a plan that still reads the table
whole shows that no index answers the query as Django writes it.
"""

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from assessment.models import Decision
from portal.models import User
from portfolios.models import Registration
from qualifications.models import Qualification


@pytest.fixture
def no_seqscan(real_services, db):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")


def test_searching_people_by_part_of_their_name_or_address_uses_the_trigram_indexes(no_seqscan):
    # Plain index scans priced out too: on a table this small, reading all of `user_by_name`
    # in the people's order (decision 46) and filtering each row is a sequential scan in
    # another guise, which the planner may prefer to the trigram indexes' bitmap scans. Without
    # the trigram indexes, nothing but such scans could answer it.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
    User.objects.create_user("ada.young@example.org", "Ada Young", "x")
    User.objects.create_user("bo@example.org", "Bo Old", "x")
    found = User.objects.filter(Q(full_name__icontains="youn") | Q(email__icontains="youn"))
    plan = found.explain()
    assert "portal_user_full_name_trgm" in plan, plan
    assert "portal_user_email_trgm" in plan, plan
    assert [user.full_name for user in found] == ["Ada Young"]


def test_a_centres_qualifications_are_found_from_the_centre_and_qualification_index(no_seqscan):
    offered = Qualification.objects.filter(
        Exists(Registration.objects.filter(centre_id=1, qualification=OuterRef("pk")))
    )
    plan = offered.explain()
    assert "registration_centre_qual" in plan, plan


def test_decisions_awaiting_a_countersignature_are_counted_from_their_partial_index(no_seqscan):
    """The countersigner's to-do counts the trainees' waiting decisions not their own: the
    partial index holds who decided (a key column, after the registration: decision 46), so it
    answers alone (an index-only scan once the table is
    vacuumed) instead of reading each of the portal's waiting decisions from the table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'decision_awaiting_countersign'"
        )
        [(definition,)] = cursor.fetchall()
    assert "(registration_id, decided_by_id," in definition, definition
    assert "WHERE (current AND provisional)" in definition, definition
    waiting = Decision.objects.filter(current=True, provisional=True).exclude(decided_by_id=1)
    plan = waiting.values_list("registration_id").explain()
    assert "decision_awaiting_countersign" in plan, plan
