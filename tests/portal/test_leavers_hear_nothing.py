"""A person whose access a centre ended (decision 34) but who still works at another centre keeps
no view of the first centre's IQA records, cannot act on them, and hears nothing more of it:
found by the attacker's review of issue 19, where such an IQA still opened and answered the
old centre's samples and plans and a departed assessor was still e-mailed learners' comments.

The world of tests/world.py (two centres, made through the real services) is built once for the
module; each test's changes are rolled back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from iqa.models import ActionStatus, PlanItem
from iqa.services import action_close, action_not_accept, action_respond, plan_item_remove
from portal.models import Notification, NotificationKind, Role, RoleKind, User
from portal.notifications import inbox, unread_count
from portal.roles import SESSION_KEY
from portal.services import person_deactivate
from portfolios.comments import comment_add
from tests.matrix import world_for_module
from tests.world import ADMIN, ASSESSOR, IQA, LEARNER, World

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    yield from world_for_module(django_db_blocker)


def leaves_ours_keeping_a_role_at_theirs(world: World, persona: str) -> User:
    """The person of ours is also an assessor at theirs; then ours ends their access."""
    person = world.ours.people[persona]
    Role.objects.create(user=person, centre=world.theirs.centre, kind=RoleKind.ASSESSOR)
    person_deactivate(
        centre=world.ours.centre, person=person, reason="Left", actor=world.ours.people[ADMIN]
    )
    return person


def client_of(person: User, world: World) -> Client:
    client = Client()
    client.force_login(person)
    session = client.session
    session[SESSION_KEY] = Role.objects.get(user=person, centre=world.theirs.centre).pk
    session.save()
    return client


def test_an_iqa_who_left_opens_none_of_the_centres_iqa_records(world):
    side = world.ours
    still_here = Client()  # the same pages open for the IQA while they are the centre's IQA
    still_here.force_login(side.people[IQA])
    pages = [
        reverse("iqa:sample-detail", args=[side.sample.pk]),
        reverse("iqa:plan-detail", args=[side.plan.pk]),
        reverse("iqa:document-download", args=[side.sample_pdf.pk]),
        reverse("iqa:document-download", args=[side.plan_pdf.pk]),
    ]
    assert [still_here.get(page).status_code for page in pages] == [200] * 4

    iqa = leaves_ours_keeping_a_role_at_theirs(world, IQA)
    client = client_of(iqa, world)
    assert client.get(reverse("home")).status_code == 200  # still works at theirs
    assert [client.get(page).status_code for page in pages] == [404] * 4


def test_an_iqa_who_left_cannot_close_send_back_or_replan_the_centres_work(world):
    side = world.ours
    action_respond(action=side.action, response="Done: dated.", actor=side.people[ASSESSOR])
    iqa = leaves_ours_keeping_a_role_at_theirs(world, IQA)
    action = type(side.action).objects.get(pk=side.action.pk)
    with pytest.raises(PermissionDenied):
        action_not_accept(action=action, comment="Not yet.", actor=iqa)
    with pytest.raises(PermissionDenied):
        action_close(action=action, actor=iqa)
    assert type(side.action).objects.get(pk=side.action.pk).status == ActionStatus.RESPONDED
    item = PlanItem.objects.filter(plan=side.plan).first()
    if item is not None:
        with pytest.raises(PermissionDenied):
            plan_item_remove(item=item, actor=iqa)
        assert PlanItem.objects.filter(pk=item.pk).exists()


def test_an_assessor_who_left_cannot_answer_the_centres_actions(world):
    side = world.ours
    assessor = leaves_ours_keeping_a_role_at_theirs(world, ASSESSOR)
    with pytest.raises(PermissionDenied):
        action_respond(action=side.action, response="Done.", actor=assessor)
    assert type(side.action).objects.get(pk=side.action.pk).status == ActionStatus.OPEN


def test_a_leaver_is_told_nothing_more_of_the_centre_and_its_notices_leave_their_inbox(world):
    side = world.ours
    assessor = side.people[ASSESSOR]
    before = inbox(assessor).count()
    assert before and unread_count(assessor) == before  # the world told them of their work
    comment_add(evidence=side.evidence, text="Is this enough?", actor=side.people[LEARNER])
    heard = Notification.objects.filter(recipient=assessor, kind=NotificationKind.EVIDENCE_COMMENT)
    assert heard.count() == 1  # while they work here, they hear of it

    leaves_ours_keeping_a_role_at_theirs(world, ASSESSOR)
    mail.outbox.clear()
    comment_add(evidence=side.evidence, text="My phone is 07700 900123", actor=side.people[LEARNER])
    assert heard.count() == 1
    assert not [m for m in mail.outbox if assessor.email in m.to]
    # Kept (records are never lost), but no longer shown: they are of a centre they left.
    assert Notification.objects.filter(recipient=assessor, centre=side.centre).count() > 0
    assert inbox(assessor).count() == 0 and unread_count(assessor) == 0
