"""`notify` reads the people, what they were told before and whether they still hold the role
in one query: the same notifications as asked in three (the reference below, as `notify` read
them until round five of issue 17), for notices new, made before, to a role no longer held, at
another centre, to nobody, and several at once.

The world of tests/world.py is built once for the module; each test's changes are rolled back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Notification, NotificationEmail, NotificationKind, Role, RoleKind, User
from portal.notifications import Notice, e_mailed_each, notify
from tests.matrix import world_for_module
from tests.world import ADMIN, ASSESSOR, IQA, LEARNER, World

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    yield from world_for_module(django_db_blocker)


def reference(notices: list[Notice]) -> list[tuple[int, str, bool]]:
    """What `notify` would make, read as it was read in three queries: (recipient, key,
    e-mailed at once), in the order made."""
    wanted = {(n.recipient_id, n.key): n for n in notices}
    made_before = set(
        Notification.objects.filter(
            recipient_id__in={p for p, _ in wanted}, key__in={k for _, k in wanted}
        ).values_list("recipient_id", "key")
    )
    held = set(
        Role.objects.filter(user_id__in={p for p, _ in wanted}).values_list(
            "user_id", "centre_id", "kind"
        )
    )
    people = User.objects.in_bulk({p for p, _ in wanted})
    return [
        (n.recipient_id, n.key, e_mailed_each(people[n.recipient_id]))
        for pair, n in wanted.items()
        if pair not in made_before
        and (n.recipient_id, n.centre_id, n.role_kind) in held
        and n.recipient_id in people
    ]


def notice(person: User, key: str, centre_id: int, kind: RoleKind) -> Notice:
    return Notice(
        recipient_id=person.pk,
        kind=NotificationKind.UNIT_SIGNED_OFF,
        key=key,
        text=f"Something for {person.full_name}.",
        link="/",
        centre_id=centre_id,
        role_kind=kind,
    )


def made_as_reference(notices: list[Notice]) -> list[Notification]:
    expected = reference(notices)
    with CaptureQueriesContext(connection) as queries:
        made = notify(notices)
    assert [(n.recipient_id, n.key, n.emailed_at is not None) for n in made] == expected
    # One read and one insert (none when nothing is new).
    assert len(queries) == (2 if expected else 1)
    stored = Notification.objects.filter(pk__in=[n.pk for n in made]).order_by("pk")
    assert [(n.recipient_id, n.key, n.text, n.centre_id, n.role_kind) for n in stored] == [
        (n.recipient_id, n.key, n.text, n.centre_id, n.role_kind) for n in made
    ]
    return made


def test_a_new_notice_is_made_and_the_same_again_is_not(world: World):
    learner = world.ours.people[LEARNER]
    centre = world.ours.registration.centre_id
    [made] = made_as_reference([notice(learner, "one-read:1", centre, RoleKind.LEARNER)])
    assert made.pk
    assert made_as_reference([notice(learner, "one-read:1", centre, RoleKind.LEARNER)]) == []


def test_nothing_for_a_role_not_held_there_nor_for_nobody(world: World):
    learner = world.ours.people[LEARNER]
    ours, theirs = world.ours.registration.centre_id, world.theirs.registration.centre_id
    notices = [
        notice(learner, "one-read:2", ours, RoleKind.ASSESSOR),  # not their role
        notice(learner, "one-read:3", theirs, RoleKind.LEARNER),  # not their centre
    ]
    assert made_as_reference(notices) == []
    nobody = Notice(**{**vars(notices[0]), "recipient_id": 10**9})
    assert made_as_reference([nobody]) == []


def test_one_whose_access_ended_hears_no_more(world: World):
    iqa = world.ours.people[IQA]
    centre = world.ours.registration.centre_id
    Role.objects.filter(user=iqa, centre_id=centre).delete()
    assert made_as_reference([notice(iqa, "one-read:4", centre, RoleKind.IQA)]) == []


def test_several_people_and_events_at_once_some_told_before_and_e_mail_as_each_chose(
    world: World, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    centre = world.ours.registration.centre_id
    learner, assessor, admin = (world.ours.people[k] for k in (LEARNER, ASSESSOR, ADMIN))
    User.objects.filter(pk=assessor.pk).update(notification_email=NotificationEmail.EACH)
    User.objects.filter(pk=learner.pk).update(notification_email=NotificationEmail.DAILY)
    User.objects.filter(pk=admin.pk).update(notification_email=NotificationEmail.NONE)
    made_as_reference([notice(learner, "one-read:5", centre, RoleKind.LEARNER)])
    notices = [
        notice(learner, "one-read:5", centre, RoleKind.LEARNER),  # told before
        notice(learner, "one-read:6", centre, RoleKind.LEARNER),
        notice(assessor, "one-read:5", centre, RoleKind.ASSESSOR),
        notice(admin, "one-read:7", centre, RoleKind.CENTRE_ADMIN),
        notice(admin, "one-read:7", centre, RoleKind.CENTRE_ADMIN),  # twice in one call
        notice(assessor, "one-read:8", centre, RoleKind.LEARNER),  # not their role
    ]
    with django_capture_on_commit_callbacks(execute=True):
        made = made_as_reference(notices)
    assert [(n.recipient_id, n.key) for n in made] == [
        (learner.pk, "one-read:6"),
        (assessor.pk, "one-read:5"),
        (admin.pk, "one-read:7"),
    ]
    assert [m.to for m in mail.outbox] == [[assessor.email]]
