"""A token of one centre never sees or touches another's things: every endpoint of the API, by
our centre's token on the other centre's things, must answer 404 (or, where the thing is named
in the body, 400 naming the field), write nothing and show nothing of theirs; on our own things
the same calls answer. A new endpoint without a row here fails `test_every_endpoint_has_a_row`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from api import urls as api_urls
from api.views import CLAIMS_PAGE_LISTS as SHOWN
from certification.readiness import claimed_of, listed, readiness_of_many
from portfolios.models import Registration
from tests.api.conftest import call
from tests.portfolios.conftest import SFJ_ENOUGH
from tests.world import ADMIN, ASSESSOR, IQA, LEARNER, TRAINEE, Side, World

pytestmark = pytest.mark.django_db

Kwargs = Callable[[Side], dict[str, Any]]
Body = Callable[[Side], Any]


def none(side: Side) -> dict[str, Any]:
    return {}


def registration(side: Side) -> dict[str, Any]:
    return {"pk": side.registration.pk}


@dataclass(frozen=True)
class Row:
    method: str
    kwargs: Kwargs = none
    body: Body | None = None
    # Which answer on the other centre's things: "404", a 400 naming `field`, or a list that
    # leaves them out ("list").
    theirs: str = "404"
    field: str = ""
    ok: tuple[int, ...] = (200,)  # what our own things may answer (a refusal by a service: 400)


ROWS: dict[str, list[Row]] = {
    "api:qualifications": [Row("GET", theirs="list")],
    "api:qualification": [
        # The catalogue is shared: every centre reads it.
        Row("GET", kwargs=lambda side: {"pk": side.qualification.pk}, theirs="same")
    ],
    "api:learners": [
        Row("GET", theirs="list"),
        Row(
            "POST",
            # An address the other centre invited may be invited here too (it says nothing of
            # theirs): what is theirs here is the assessor the registration asked for names.
            body=lambda side: {
                "email": "matrix.invitee@example.org",
                "full_name": "Matrix Invitee",
                "registration": {
                    "qualification": side.qualification.pk,
                    "start_date": "2026-10-01",
                    "assessor": side.registration.assessor_id,
                    "optional_units": SFJ_ENOUGH,
                },
            },
            theirs="400",
            field="registration",
            ok=(201,),
        ),
    ],
    "api:learner": [
        Row("GET", kwargs=lambda side: {"pk": side.registration.learner_id}),
        Row(
            "PATCH",
            kwargs=lambda side: {"pk": side.registration.learner_id},
            body=lambda side: {"postcode": "M1 1AE"},
        ),
    ],
    "api:staff": [Row("GET", theirs="list")],
    "api:invitations": [Row("GET", theirs="list")],
    "api:invitation": [Row("GET", kwargs=lambda side: {"pk": side.invitation.pk})],
    "api:invitation-resend": [
        # Sent by the world a moment ago: the service asks to wait a minute (400), ours only.
        Row("POST", kwargs=lambda side: {"pk": side.invitation.pk}, ok=(400,))
    ],
    "api:invitation-withdraw": [Row("POST", kwargs=lambda side: {"pk": side.invitation.pk})],
    "api:registrations": [
        Row("GET", theirs="list"),
        Row(
            "POST",
            body=lambda side: {
                "learner": side.registration.learner_id,
                "qualification": side.qualification.pk,
                "start_date": "2026-10-01",
            },
            theirs="400",
            field="learner",
            ok=(400,),  # already registered on it: the service says so
        ),
    ],
    "api:registration": [
        Row("GET", kwargs=registration),
        Row("PATCH", kwargs=registration, body=lambda side: {"funding": "funded"}),
    ],
    "api:registration-withdraw": [
        # A transfer of the world's registration waits: the service refuses (400), ours only.
        Row("POST", kwargs=registration, body=lambda side: {"reason": "Left"}, ok=(400,))
    ],
    "api:registration-progress": [Row("GET", kwargs=registration)],
    "api:claims": [
        Row("GET", theirs="list"),
        Row(
            "POST",
            body=lambda side: {"registration": side.registration.pk, "kind": "full"},
            theirs="400",
            field="registration",
            ok=(400,),  # not ready for a full certificate: the claim service says why
        ),
    ],
    "api:certificates": [Row("GET", theirs="list")],
    "api:certificate": [Row("GET", kwargs=lambda side: {"pk": side.certificate.pk})],
    "api:events": [Row("GET", theirs="list")],
}
LEFT_OUT = {"api:not-found": "answers 404 to everyone: tests/api/test_api.py"}


def test_every_endpoint_has_a_row():
    endpoints = {f"api:{pattern.name}" for pattern in api_urls.urlpatterns}
    assert endpoints - set(ROWS) - set(LEFT_OUT) == set()
    assert set(ROWS) - endpoints == set()


CELLS = [(name, i) for name, rows in sorted(ROWS.items()) for i in range(len(rows))]


@pytest.mark.parametrize(("name", "index"), CELLS)
def test_a_token_reaches_its_own_centres_things_and_never_anothers(
    world: World, name: str, index: int
):
    row = ROWS[name][index]
    ours, theirs = world.ours, world.theirs
    body = row.body(ours) if row.body else None
    mine = call(ours.api_secret, row.method, reverse(name, kwargs=row.kwargs(ours) or None), body)
    assert mine.status in row.ok, mine.text
    body = row.body(theirs) if row.body else None
    path = reverse(name, kwargs=row.kwargs(theirs) or None)
    answer = call(ours.api_secret, row.method, path, body)
    if row.theirs == "404":
        assert answer.status == 404, answer.text
        assert answer.body["error"]["code"] == "not_found"
    elif row.theirs == "400":
        assert answer.status == 400, answer.text
        assert row.field in answer.body["error"]["fields"]
    else:
        assert answer.status == 200, answer.text
    # Nothing but the token's own rows (its last use, its reads counted).
    assert not [table for table in answer.wrote if not table.startswith("api_")], answer.wrote
    if row.theirs != "same":
        leaked = [secret for secret in theirs.secrets if secret in answer.text]
        assert not leaked, f"{name} shows the other centre's {leaked}"
        if row.theirs == "list":
            shown = {
                "api:invitations": ours.invitation.email,
                "api:staff": ours.people[ASSESSOR].full_name,
            }.get(name, ours.registration.learner.full_name)
            # The world's registration has its full certificate: the claims page, and so the
            # API's claims, list it nowhere (nothing more to claim).
            quiet = ("api:qualifications", "api:events", "api:claims")
            assert str(shown) in mine.text or name in quiet


def test_staff_lists_the_centres_assessors_and_iqas_with_their_roles_and_no_one_elses(
    world: World,
):
    ours, theirs = world.ours, world.theirs
    rows = call(ours.api_secret, "GET", reverse("api:staff")).body["results"]
    by_id = {row["id"]: row for row in rows}
    assert by_id[ours.people[ASSESSOR].pk]["roles"] == [{"role": "assessor", "trainee": False}]
    assert by_id[ours.people[TRAINEE].pk]["roles"] == [{"role": "assessor", "trainee": True}]
    assert by_id[ours.people[IQA].pk]["roles"] == [{"role": "iqa", "trainee": False}]
    # Learners and centre admins are not staff a registration names; nor is the other centre's.
    assert ours.people[LEARNER].pk not in by_id and ours.people[ADMIN].pk not in by_id
    assert not {theirs.people[k].pk for k in (ASSESSOR, TRAINEE, IQA)} & set(by_id)
    # The ids are those a registration takes.
    assert ours.registration.assessor_id in by_id and ours.registration.iqa_id in by_id


@pytest.mark.parametrize("name", ["api:registrations", "api:certificates", "api:claims"])
def test_lists_hold_only_the_tokens_centres_rows(world: World, name: str):
    for side, other in ((world.ours, world.theirs), (world.theirs, world.ours)):
        answer = call(side.api_secret, "GET", reverse(name))
        ids = {row.get("registration", row.get("id")) for row in answer.body["results"]}
        if name == "api:certificates":
            # A certificate's row names its registration too: its own id is the one to look at
            # (the two ids agree only by chance, on a fresh database).
            certificates = {row["id"] for row in answer.body["results"]}
            assert side.certificate.pk in certificates and other.certificate.pk not in certificates
        elif name == "api:claims":
            # As the claims page lists them (tests/api/test_api_claims_and_events.py): of the
            # token's centre only.
            mine = list(Registration.objects.open().filter(centre=side.registration.centre))
            claimed = claimed_of(mine)
            expected = {
                r.registration.pk for r in readiness_of_many(mine) if listed(r, claimed) in SHOWN
            }
            assert ids == expected and other.registration.pk not in ids
        else:
            assert side.registration.pk in ids and other.registration.pk not in ids


def test_the_events_feed_holds_only_the_tokens_centres_events(world: World):
    for side, other in ((world.ours, world.theirs), (world.theirs, world.ours)):
        events = call(side.api_secret, "GET", reverse("api:events")).body["events"]
        assert {e["registration"] for e in events} == {side.registration.pk}
        assert other.certificate.number not in {e.get("certificate") for e in events}
