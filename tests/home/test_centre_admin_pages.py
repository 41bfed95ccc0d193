"""The centre admin's pages cost the same queries at a small centre as at a large one, and list
what grows with the centre a page at a time, with the count from the database (issue 17)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.models import Kind
from certification.services import certificate_claim
from portal.models import Centre, Invitation, Role, RoleKind, User
from portal.services import Invitee, invitation_create
from portfolios.models import ClaimReadiness, Registration
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification
from tests.certification.conftest import achieve, more_learners
from tests.portfolios.conftest import PROQUAL_OPTIONAL, SFJ_ENOUGH, START

HOME = "/"
CLAIMS = reverse("certification:claims")
INVITATIONS = reverse("invitation-list")
PAGES = [HOME, CLAIMS, INVITATIONS]


@dataclass
class World:
    centre: Centre
    admin: User
    assessor: User
    sfj: Registration  # one learner ready for a unit certificate
    others: list[Registration]


def register(centre: Centre, admin: User, assessor: User, learner: User, code: str) -> Registration:
    optional = SFJ_ENOUGH if code == "SFJ-L2-CS" else PROQUAL_OPTIONAL
    return registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=learner,
            qualification=Qualification.objects.get(code=code),
            start_date=START,
            assessor=assessor,
        ),
        optional_units=optional,
        actor=admin,
    )


@pytest.fixture
def small(centre, centre_admin, assessor, learner, catalogue_db) -> World:
    """Three learners on one qualification: one can have a unit certificate, one has a unit
    certificate already and nothing more, one has nothing yet; one invitation out."""
    first = register(centre, centre_admin, assessor, learner, "SFJ-L2-CS")
    achieve(first, assessor, codes={"F/506/2131"})
    claimed, waiting = more_learners(first, 2, "small")
    achieve(claimed, assessor, codes={"F/506/2131"})
    certificate_claim(registration=claimed, kind=Kind.UNIT, actor=centre_admin)
    invite(centre, centre_admin, "small")
    return World(centre, centre_admin, assessor, first, [claimed, waiting])


def invite(centre: Centre, admin: User, tag: str) -> Invitation:
    return invitation_create(
        centre=centre,
        invitee=Invitee(
            email=f"{tag}@invited.example.org", full_name=f"Invited {tag}", kind=RoleKind.LEARNER
        ),
        actor=admin,
        link_for=lambda token: f"https://portal.test/{token}",
    )


def grow(world: World, n: int) -> None:
    """n learners more, across two qualifications (half on the ProQual diploma), some of them
    ready for a unit certificate, and 30 invitations out."""
    learner = User.objects.create(email="proqual@example.org", full_name="Learner proqual")
    world.centre.roles.create(user=learner, kind=RoleKind.LEARNER)
    proqual = register(world.centre, world.admin, world.assessor, learner, "601/3576/1")
    more_learners(proqual, n // 2 - 1, "proqual")
    more = more_learners(world.sfj, n - n // 2, "many")
    for registration in more[:3]:
        achieve(registration, world.assessor, codes={"F/506/2131"})
    for each in range(30):
        invite(world.centre, world.admin, f"many{each}")


def queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def costs(client) -> dict[str, tuple[int, int]]:
    """Each page's queries the first time (readiness worked out where it changed) and the
    second (as kept)."""
    return {url: (queries(client, url)[0], queries(client, url)[0]) for url in PAGES}


def test_the_admin_pages_cost_the_same_queries_for_three_learners_and_for_thirty(client, small):
    client.force_login(small.admin)
    few = costs(client)
    grow(small, 30)
    many = costs(client)
    # Read as kept: the same whatever the learners, and whatever the qualifications among them
    # (three learners on one qualification, then thirty-three on two). Worked out afresh, the
    # rules of each qualification among the changed learners are read once.
    assert {url: kept for url, (_, kept) in many.items()} == {
        url: kept for url, (_, kept) in few.items()
    }


def test_kept_readiness_is_worked_out_again_in_the_same_queries_for_few_changed_or_many(
    client, small
):
    client.force_login(small.admin)
    grow(small, 4)  # both qualifications among the learners
    queries(client, HOME)
    ClaimReadiness.objects.update(stale=True)  # every one changed since
    few = queries(client, HOME)[0]
    grow_more = more_learners(small.sfj, 20, "later")
    more_learners(Registration.objects.get(learner__email="proqual@example.org"), 20, "pq")
    achieve(grow_more[0], small.assessor, codes={"F/506/2131"})
    ClaimReadiness.objects.update(stale=True)
    assert queries(client, HOME)[0] == few


def test_the_claims_page_pages_each_list_and_counts_it_in_the_database(client, small):
    grow(small, 60)
    client.force_login(small.admin)
    _, page = queries(client, CLAIMS)
    waiting = Registration.objects.filter(centre=small.centre).count() - 1 - 4  # 1 claimed, 4 ready
    assert f'data-testid="waiting-count">{waiting} learners' in page
    assert 'data-testid="unit-count">4 learners' in page
    assert page.count("<li>Learner ") == 25  # the first page of those not ready
    assert "Pages of learners not ready yet" in page and "Page 1 of 3" in page
    _, last = queries(client, f"{CLAIMS}?waiting=3&unit=1")
    assert last.count("<li>Learner ") == waiting - 50 and "Page 3 of 3" in last
    # Each list keeps its own page: the next page of those not ready keeps the rest as asked.
    assert "?waiting=2&amp;unit=1" in last


def test_the_admin_home_lists_people_a_page_at_a_time_searched_by_name(client, small):
    grow(small, 60)
    client.force_login(small.admin)
    _, page = queries(client, HOME)
    everyone = small.centre.roles.values("user").distinct().count()
    assert f'data-testid="people-count">{everyone} people' in page
    assert page.count("<tr>") == 1 + 25  # the heading and a page of people
    _, found = queries(client, f"{HOME}?q=Learner+many+00")
    assert 'data-testid="people-count">10 people match' in found
    assert "Learner many 009" in found and "Learner many 010" not in found


def test_the_invitations_are_paged_with_their_count(client, small):
    grow(small, 4)
    client.force_login(small.admin)
    _, page = queries(client, INVITATIONS)
    assert 'data-testid="open-count">31<' in page
    assert page.count('data-testid="invitation"') == 25
    _, rest = queries(client, f"{INVITATIONS}?page=2")
    assert rest.count('data-testid="invitation"') == 6


def test_the_people_listed_are_those_the_rule_lets_the_centre_admin_see(
    client, small, other_centre
):
    grow(small, 4)
    elsewhere = User.objects.create(email="elsewhere@example.org", full_name="Learner elsewhere")
    other_centre.roles.create(user=elsewhere, kind=RoleKind.LEARNER)
    client.force_login(small.admin)
    seen = set(
        Role.objects.visible_to(small.admin)
        .for_centre(small.centre)
        .values_list("user__email", flat=True)
    )
    listed = set()
    for number in range(1, 4):
        _, page = queries(client, f"{HOME}?page={number}")
        listed |= {email for email in seen | {elsewhere.email} if f">{email}</td>" in page}
    assert listed == seen and elsewhere.email not in listed
