"""The permission matrix, generated from the URL configuration and the table in tests/urlmap.py.

Every URL of the portal (Django's admin aside, see tests/urlmap.py) is sent by the personas (a
learner, their assessor, a trainee assessor of the same centre with nobody in their caseload,
the learner's IQA, the centre admin, an outsider who is a centre admin at another centre only,
and nobody logged in), on one learner's things at our centre and, where the URL names a
learner's things, on the same things at the other centre. Each answer is checked against what
the table says (tests/matrix.py):

- a person the table allows gets the page (or its redirect);
- anyone else gets 403 or 404, and 404 for things out of their reach (another centre's, or a
  learner not in their caseload), unless things that do not exist get the same 403 (a role
  checked before any lookup): an id never reveals that something exists; nobody logged in is
  sent to log in;
- a method the URL does not answer gets 405, or the same answer as a GET (function views treat
  it as one);
- no GET, HEAD or refused request writes anything to the database (every insert, update and
  delete on every table, the audit log included: tests/writes.py);
- no answer shows anything about a learner (name, e-mail, evidence, certificate number) to a
  person who may not see that learner, refusals and error pages included.

Here, in the fast suite: the GET and POST the table declares, by every persona on our things,
and on the other centre's things by each persona the table allows at home (are they stopped at
the border?), for a fixed quarter of the URLs (`FAST_SHARE`, so that the fast suite stays
under a minute as the portal grows). CI sends these and every method (HEAD, PUT, PATCH,
DELETE, OPTIONS, and a GET or POST the URL does not declare, too) by every persona on both
centres' things on PostgreSQL, the outsider at home included
(tests/integration/test_permission_matrix_on_postgresql.py, about 4,400 requests).

To add a URL: add its entry to `URLS` in tests/urlmap.py; the docstring there says how. A URL
without an entry fails `test_every_url_has_an_entry`, saying what to write.

The world (tests/world.py) is built once per module inside a transaction that is rolled back at
the end; each request runs in a savepoint of its own, rolled back after it, so every request
sees the same world whatever the one before did.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.db import transaction
from django.test import Client
from django.urls import path, reverse

from tests.factories import PASSWORD
from tests.matrix import cells_of, check_cell, send, world_for_module
from tests.urlmap import ANONYMOUS, URLS, missing_entries
from tests.world import LEARNER, World
from tests.writes import written

# Each test also runs in a transaction of its own, inside the module's (which holds the world).
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def test_every_url_has_an_entry():
    problems = missing_entries()
    assert not problems, "\n\n".join(problems)


def extra_page(request):  # pragma: no cover - never called, only resolved
    raise AssertionError


class WithANewPage:
    """The portal's URLs and one more, as an engineer adding a page would have them."""

    from portal.urls import urlpatterns as portal

    urlpatterns = [*portal, path("reports/<int:pk>/", extra_page, name="new-report")]


def test_a_url_without_an_entry_fails_and_says_how_to_add_one():
    [problem] = missing_entries(WithANewPage)
    assert "'new-report' (reports/<int:pk>/) has no entry in tests/urlmap.py" in problem
    assert '"new-report": Entry(get=only(ADMIN)' in problem


# Every FAST_SHARE-th URL by name: the rest are checked, with every method, in CI.
FAST_SHARE = 4


@pytest.mark.parametrize("name", sorted(URLS)[::FAST_SHARE])
def test_each_persona_gets_what_the_table_allows_and_no_get_or_refusal_writes_or_leaks(
    world: World, name: str
):
    cells = cells_of(name, every=False)
    wrong = [problem for cell in cells if (problem := check_cell(world, cell))]
    assert not wrong, f"{name}: {len(wrong)} cells answer otherwise than the table says:\n" + (
        "\n".join(wrong)
    )


def test_a_failed_login_records_the_attempt_which_is_not_counted_as_a_write(world: World):
    """django-axes counts failed logins in the database by design (tests/writes.py)."""
    email = world.ours.people[LEARNER].email
    with transaction.atomic():
        wrong = {"username": email, "password": "not the password"}
        response = Client().post(reverse("login"), wrong, REMOTE_ADDR="10.254.0.1")
        assert response.status_code == 200
        assert AccessAttempt.objects.filter(username=email).exists()
        assert written() == []
        transaction.set_rollback(True)


def test_what_logging_in_writes_to_the_portals_own_tables_is_still_counted(world: World):
    email = world.ours.people[LEARNER].email
    answer = send(
        ANONYMOUS, "POST", reverse("login"), data={"username": email, "password": PASSWORD}
    )
    assert answer.status == 302
    assert "portal_user" in answer.wrote  # the last login
