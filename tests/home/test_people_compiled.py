"""The admin home's people, their roles and the leavers are read by SQL compiled once
(`home.views.people_at`, `roles_here`, `departed_from`): on real rows, every page of the people
(whatever ?page= says) lists whom the ORM's queryset listed, each with the roles and labels the
ORM's `Role` objects gave, and the leavers are the ORM's; another centre's people, roles and
leavers are never read."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import timezone

from home.views import centre_people, departed_from, people_at, roles_here
from portal import listing
from portal.listing import page_of
from portal.models import Departure, Role, RoleKind, User, role_label
from tests.factories import RoleFactory, UserFactory
from tests.portal.test_page_counted_with import ASKED

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(centre, other_centre, centre_admin):
    """Seven people at the centre (one holding three roles, two trainees, two with the same
    name), two elsewhere (one holding a role at both), two leavers and one given back."""
    here = UserFactory.create_batch(6)
    here[1].full_name = here[2].full_name  # the same name: the id breaks the tie
    here[1].save()
    for person in here:
        RoleFactory.create(user=person, centre=centre, kind=RoleKind.LEARNER)
    RoleFactory.create(user=here[0], centre=centre, kind=RoleKind.IQA, is_trainee=True)
    RoleFactory.create(user=here[0], centre=centre, kind=RoleKind.ASSESSOR)
    RoleFactory.create(user=here[3], centre=centre, kind=RoleKind.ASSESSOR, is_trainee=True)
    elsewhere = UserFactory.create_batch(2)
    for person in elsewhere:
        RoleFactory.create(user=person, centre=other_centre, kind=RoleKind.ASSESSOR)
    RoleFactory.create(user=here[4], centre=other_centre, kind=RoleKind.CENTRE_ADMIN)
    ended = timezone.now() - datetime.timedelta(days=3)
    for person, back in ((elsewhere[0], None), (elsewhere[1], timezone.now()), (here[5], None)):
        Departure.objects.create(
            centre=centre, user=person, roles=["assessor"], reason="Left.", ended_at=ended,
            ended_by=centre_admin, reactivated_at=back,
            reactivated_by=None if back is None else centre_admin,
        )  # fmt: skip
    Departure.objects.create(
        centre=other_centre, user=here[4], roles=["learner"], reason="Moved.",
        ended_at=timezone.now(), ended_by=centre_admin,
    )  # fmt: skip
    return centre


def orm_people(request, centre):
    """The people's page, their roles and the leavers, as the ORM read them before."""
    roles = Role.objects.filter(centre=centre)
    found = User.objects.filter(pk__in=roles.values("user_id")).order_by("full_name", "pk")
    page = page_of(request, found, count=roles.values("user_id").distinct().count())
    held: dict[int, list[str]] = {p.pk: [] for p in page}
    for each in roles.filter(user__in=list(held)).order_by("kind"):
        held[each.user_id].append(each.label)
    listed = [(p.pk, p.full_name, p.email, held[p.pk]) for p in page]
    departed = Departure.objects.current().filter(centre=centre).select_related("user")[:20]
    return page, listed, [(d.pk, d.user_id, d.user.full_name, d.ended_at) for d in departed]


def test_every_page_lists_whom_the_orm_listed_with_their_roles(people, monkeypatch):
    monkeypatch.setattr(listing, "PER_PAGE", 3)
    monkeypatch.setattr("home.views.PER_PAGE", 3)
    admin = Role.objects.get(centre=people, kind=RoleKind.CENTRE_ADMIN)
    labels = set()
    for asked in ASKED:
        request = RequestFactory().get("/", {} if asked is None else {"page": asked})
        request.user = admin.user
        got: Any = centre_people(request, admin)  # type: ignore[arg-type]
        page, listed, departed = orm_people(request, people)
        ours = got["people_page"]
        assert (ours.number, ours.paginator.count, ours.paginator.num_pages) == (
            page.number, page.paginator.count, page.paginator.num_pages,
        ), asked  # fmt: skip
        assert (ours.links.previous, ours.links.next) == (page.links.previous, page.links.next)
        assert [
            (p.pk, p.full_name, p.email, [r.label for r in roles])
            for p, roles, _ in got["people"]
        ] == listed, asked  # fmt: skip
        labels |= {label for *_, roles in listed for label in roles}
        assert [(d.pk, d.user_id, d.user.full_name, d.ended_at) for d in got["departed"]] == (
            departed
        )
        assert len(departed) == 2  # the one given back and the other centre's left out
    assert {"Assessor", "Trainee assessor", "Learner", "Centre admin"} <= labels
    assert any(label.startswith("Trainee i") for label in labels)


def test_another_centres_people_roles_and_leavers_are_never_read(people, other_centre):
    ours = {row[0] for row in people_at(people.pk, 0, 100)}
    theirs = {row[0] for row in people_at(other_centre.pk, 0, 100)}
    assert ours == set(Role.objects.filter(centre=people).values_list("user_id", flat=True))
    assert theirs == set(Role.objects.filter(centre=other_centre).values_list("user_id", flat=True))
    both = sorted(ours | theirs)
    assert {row[0] for row in roles_here(people.pk, both)} == ours
    assert {(row[1]) for row in roles_here(other_centre.pk, both)} == {
        RoleKind.ASSESSOR, RoleKind.CENTRE_ADMIN,
    }  # fmt: skip
    assert [d.reason for d in departed_from(other_centre.pk)] == ["Moved."]


@pytest.mark.parametrize("trainee", [False, True])
@pytest.mark.parametrize("kind", [*RoleKind.values, "unknown"])
def test_a_roles_label_from_its_values_is_the_roles(kind, trainee):
    name = Role(kind=kind).get_kind_display()
    expected = f"Trainee {name[0].lower()}{name[1:]}" if trainee else name
    assert role_label(kind, trainee) == Role(kind=kind, is_trainee=trainee).label == expected
