"""Notifications: each event of the services tells the right person once, e-mail follows each
person's choice (each, a daily digest, none), and the inbox shows a person their own only.

The world of tests/world.py (two centres, one learner's work at every stage, made through the
real services) is built once for the module; each test's changes are rolled back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from unittest.mock import patch

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from assessment import notices as assessment_notices
from assessment.services import DecisionRefused, mapping_review
from certification.models import Certificate, RenderStatus
from certification.rendering import certificate_render
from iqa import notices as iqa_notices
from iqa.services import IqaRefused, action_not_accept, action_respond
from portal.models import (
    AuditEntry,
    Notification,
    NotificationEmail,
    NotificationKind,
    Role,
    RoleKind,
    User,
)
from portal.notifications import (
    SAME_CHOICE,
    Notice,
    digests_send,
    notification_email_set,
    notify,
)
from portal.refusals import Refused
from portal.roles import SESSION_KEY
from tests.matrix import world_for_module
from tests.world import ADMIN, ASSESSOR, EQA, IQA, LEARNER, TRAINEE, World

K = NotificationKind
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    yield from world_for_module(django_db_blocker)


@pytest.fixture(autouse=True)
def in_the_world(world: World) -> None:
    """Every test here works in the module's world (each test's changes are rolled back)."""
    mail.outbox.clear()


def kinds_of(person: User) -> Counter[str]:
    return Counter(Notification.objects.filter(recipient=person).values_list("kind", flat=True))


def everyone(world: World) -> dict[str, Counter[str]]:
    """What each person of both centres has been told, by kind."""
    people = {f"ours {k}": p for k, p in world.ours.people.items()}
    people |= {f"theirs {k}": p for k, p in world.theirs.people.items()}
    return {name: kinds_of(person) for name, person in people.items()}


def told(world: World, **ours: Counter[str]) -> dict[str, Counter[str]]:
    """What everybody was told when the world was made, with `ours` changed."""
    expected: dict[str, Counter[str]] = {}
    for side in ("ours", "theirs"):
        # Two decisions on the learner's evidence, a unit to countersign; the assessor hears
        # of the countersignature and of the IQA's action. The certificates were made ready
        # by hand (the tests render no PDFs), so nobody heard of them.
        expected |= {
            f"{side} {LEARNER}": Counter({K.EVIDENCE_JUDGED: 2, K.UNIT_SIGNED_OFF: 1}),
            f"{side} {ASSESSOR}": Counter({K.UNIT_COUNTERSIGNED: 1, K.ACTION_RAISED: 1}),
            f"{side} {TRAINEE}": Counter(),
            f"{side} {IQA}": Counter(),
            f"{side} {ADMIN}": Counter(),
            f"{side} {EQA}": Counter(),  # the AO's external quality assurer (decision 29)
        }
    for persona, kinds in ours.items():
        expected[f"ours {persona}"] = expected[f"ours {persona}"] + kinds
    return expected


# Each event: one notification, for the right person, and nobody else.


def test_the_services_that_made_the_world_told_each_person_what_concerns_them(world):
    assert everyone(world) == told(world)
    learner = world.ours.people[LEARNER]
    sign_off = Notification.objects.get(recipient=learner, kind=K.UNIT_SIGNED_OFF)
    assert sign_off.link == reverse(
        "assessment:unit-sign-off", args=[world.ours.registration.pk, world.ours.unit.pk]
    )
    assert "Countersign it" in sign_off.text and world.ours.unit.code in sign_off.text
    assert (sign_off.centre_id, sign_off.role_kind) == (world.ours.centre.pk, RoleKind.LEARNER)
    raised = Notification.objects.get(recipient=world.ours.people[ASSESSOR], kind=K.ACTION_RAISED)
    assert raised.link == reverse("iqa:sample-detail", args=[world.ours.sample.pk])
    assert raised.role_kind == RoleKind.ASSESSOR


def test_a_rejected_mapping_tells_the_learner_why_once(world):
    side = world.ours
    mapping_review(
        mapping=side.mapping, confirm=False, feedback="It shows a call, not a complaint.",
        actor=side.people[ASSESSOR],
    )  # fmt: skip
    assert everyone(world) == told(world, learner=Counter({K.MAPPING_REJECTED: 1}))
    [notice] = Notification.objects.filter(kind=K.MAPPING_REJECTED)
    assert "It shows a call, not a complaint." in notice.text and side.draft.title in notice.text
    assert notice.link == reverse("portfolios:evidence-detail", args=[side.draft.pk])

    with pytest.raises(DecisionRefused):  # the same again: refused, nothing new
        mapping_review(
            mapping=side.mapping, confirm=False, feedback="It shows a call, not a complaint.",
            actor=side.people[ASSESSOR],
        )  # fmt: skip
    assert Notification.objects.filter(kind=K.MAPPING_REJECTED).count() == 1


def test_a_confirmed_mapping_tells_nobody(world):
    mapping_review(
        mapping=world.ours.mapping, confirm=True, feedback="", actor=world.ours.people[ASSESSOR]
    )
    assert everyone(world) == told(world)


def test_an_answered_action_tells_the_iqa_once(world):
    side = world.ours
    action_respond(
        action=side.action, response="Asked: it was logged.", actor=side.people[ASSESSOR]
    )
    assert everyone(world) == told(world, iqa=Counter({K.ACTION_ANSWERED: 1}))
    [notice] = Notification.objects.filter(kind=K.ACTION_ANSWERED)
    assert "Asked: it was logged." in notice.text
    assert (notice.link, notice.role_kind) == (
        reverse("iqa:sample-detail", args=[side.sample.pk]),
        RoleKind.IQA,
    )
    with pytest.raises(IqaRefused):
        action_respond(
            action=side.action, response="Asked: it was logged.", actor=side.people[ASSESSOR]
        )
    assert Notification.objects.filter(kind=K.ACTION_ANSWERED).count() == 1


def test_an_answer_not_accepted_tells_the_assessor_why_once_each_time(world):
    side = world.ours
    assessor, iqa = side.people[ASSESSOR], side.people[IQA]
    action_respond(action=side.action, response="Asked: it was logged.", actor=assessor)
    action_not_accept(action=side.action, comment="Which log? Name it.", actor=iqa)
    expected = told(world, iqa=Counter({K.ACTION_ANSWERED: 1}))
    expected["ours assessor"] += Counter({K.ACTION_NOT_ACCEPTED: 1})
    assert everyone(world) == expected
    [notice] = Notification.objects.filter(kind=K.ACTION_NOT_ACCEPTED)
    assert "Which log? Name it." in notice.text and side.action.text in notice.text
    assert (notice.recipient, notice.link, notice.role_kind) == (
        assessor,
        reverse("iqa:sample-detail", args=[side.sample.pk]),
        RoleKind.ASSESSOR,
    )
    with transaction.atomic():  # the same event told again: nothing new
        iqa_notices.action_not_accepted(type(side.action).objects.get(pk=side.action.pk))
    assert Notification.objects.filter(kind=K.ACTION_NOT_ACCEPTED).count() == 1
    # Answered and sent back again: a second event, told too.
    action_respond(action=side.action, response="The call log of 3 March.", actor=assessor)
    action_not_accept(action=side.action, comment="Still not named.", actor=iqa)
    assert Notification.objects.filter(kind=K.ACTION_NOT_ACCEPTED, recipient=assessor).count() == 2


def test_a_rendered_certificate_tells_the_learner_and_the_admin_who_claimed_once(world):
    certificate = world.ours.certificate
    Certificate.objects.filter(pk=certificate.pk).update(status=RenderStatus.PENDING)
    with patch("certification.rendering.render_certificate_pdf", return_value=b"%PDF-1.7"):
        certificate_render(certificate.pk)
        certificate_render(certificate.pk)  # a task delivered twice: nothing more
    both: Counter[str] = Counter({K.CERTIFICATE_READY: 1})
    assert everyone(world) == told(world, learner=both, admin=both)
    for persona, role in ((LEARNER, RoleKind.LEARNER), (ADMIN, RoleKind.CENTRE_ADMIN)):
        notice = Notification.objects.get(
            recipient=world.ours.people[persona], kind=K.CERTIFICATE_READY
        )
        assert certificate.number in notice.text and notice.role_kind == role
        assert notice.link == reverse("certification:certificate-detail", args=[certificate.pk])


def test_an_event_told_again_makes_nothing_new(world):
    """As a task run twice, or a service called again for the same event, would."""
    side = world.ours
    before = everyone(world)
    with transaction.atomic():
        assessment_notices.unit_signed_off(side.sign_off)
        assessment_notices.unit_countersigned(side.sign_off)
        iqa_notices.actions_raised(side.sample)
    assert everyone(world) == before


# E-mail: as each person chose.


def notice_for(person: User, key: str = "test:1") -> Notice:
    return Notice(
        recipient_id=person.pk,
        kind=K.UNIT_SIGNED_OFF,
        key=key,
        text=f"Something for {person.full_name}.",
        link="/",
        centre_id=person.roles.get().centre_id,
        role_kind=RoleKind(person.roles.get().kind),
    )


def fresh(person: User) -> User:
    """The person as stored now (the world's objects are shared by the module's tests)."""
    return User.objects.get(pk=person.pk)


def choose(person: User, choice: str) -> User:
    User.objects.filter(pk=person.pk).update(notification_email=choice)
    return fresh(person)


def test_each_notification_is_e_mailed_once_after_the_transaction_commits(
    world, django_capture_on_commit_callbacks
):
    learner = fresh(world.ours.people[LEARNER])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [made] = notify([notice_for(learner), notice_for(learner)])
        notify([notice_for(learner)])  # the same event again
        assert not mail.outbox  # nothing before the commit
    assert len(callbacks) == 1
    [message] = mail.outbox
    assert message.to == [learner.email]
    assert "Something for" in message.subject and f"/notifications/{made.pk}/" in message.body
    assert made.emailed_at is not None


def test_nothing_is_e_mailed_for_a_transaction_rolled_back(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify([notice_for(world.ours.people[LEARNER])])
        transaction.set_rollback(True)
    assert not mail.outbox and not Notification.objects.filter(key="test:1").exists()


def test_a_daily_digest_sends_one_e_mail_with_what_is_new_and_only_once(
    world, django_capture_on_commit_callbacks
):
    daily = choose(world.ours.people[LEARNER], NotificationEmail.DAILY)
    none = choose(world.ours.people[IQA], NotificationEmail.NONE)
    with django_capture_on_commit_callbacks(execute=True):
        notify([notice_for(daily, f"test:{n}") for n in (1, 2, 3)] + [notice_for(none)])
    assert not mail.outbox  # neither wants one now
    # One of the three was read already: it is left out, as are those e-mailed before.
    Notification.objects.filter(key="test:3").update(read_at="2026-10-06T10:00Z")

    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send() == 1
    [digest] = mail.outbox
    assert digest.to == [daily.email]
    sent = Notification.objects.filter(recipient=daily, key__in=["test:1", "test:2"])
    assert digest.body.count("Open it: ") == 2
    assert all(f"/notifications/{n.pk}/" in digest.body for n in sent)
    assert digest.subject.endswith("2 new") and "one e-mail a day" in digest.body

    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send() == 0  # beat again, a retried task: nothing twice
    assert len(mail.outbox) == 1
    assert not Notification.objects.filter(recipient=none, emailed_at__isnull=False).exists()


def test_send_digests_sends_the_daily_digest_now_and_says_to_how_many(
    world, capsys, django_capture_on_commit_callbacks
):
    """What beat does at DIGEST_HOUR, for ./run.sh, which starts no beat."""
    daily = choose(world.ours.people[LEARNER], NotificationEmail.DAILY)
    notify([notice_for(daily)])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests")
    assert capsys.readouterr().out == "Daily digests sent to 1 person.\n"
    [digest] = mail.outbox
    assert digest.to == [daily.email] and "Something for" in digest.body
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_digests")
    assert capsys.readouterr().out == "Daily digests sent to 0 people.\n"
    assert len(mail.outbox) == 1


def test_an_e_mails_subject_is_the_kind_and_the_notices_opening_words(
    world, django_capture_on_commit_callbacks
):
    learner = fresh(world.ours.people[LEARNER])
    long = Notice(**{**vars(notice_for(learner)), "text": "Your assessor " + "wrote a lot " * 20})
    with django_capture_on_commit_callbacks(execute=True):
        notify([long])
    [message] = mail.outbox
    # Whole words up to 60 characters of the notice ("lot" would make 61), then "…".
    opening = "Your assessor wrote a lot wrote a lot wrote a lot wrote a"
    assert message.subject == f"Unit signed off: {opening}…"
    assert "wrote a lot " * 20 in message.body  # the whole notice is in the body


def test_nobody_who_wants_e_mail_for_each_or_none_gets_a_digest(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send() == 0
    assert not mail.outbox


# The pages.


def client_of(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_inbox_shows_the_person_their_own_newest_first_with_the_unread_count(world):
    client = client_of(world.ours.people[LEARNER])
    page = client.get(reverse("notification-list")).content.decode()
    mine = list(Notification.objects.filter(recipient=world.ours.people[LEARNER]))
    assert [n.created_at for n in mine] == sorted((n.created_at for n in mine), reverse=True)
    # Newest first: the page's "Open" forms in the order of the notifications, newest first.
    opens = [page.index(f"/notifications/{n.pk}/") for n in mine]
    # The unit signed off was countersigned, which marked its notice read: two of three unread.
    assert opens == sorted(opens) and "2 notifications are unread." in page
    assert 'data-testid="notifications-link">Notifications <span class="badge' in page
    assert page.count('data-testid="notification"') == 3
    # Nobody else's: not the assessor's, not the other centre's learner's.
    others = Notification.objects.exclude(recipient=world.ours.people[LEARNER])
    assert others.exists()
    assert not [n.pk for n in others if f"/notifications/{n.pk}/" in page]


def test_each_open_button_names_its_kind_as_written_for_a_screen_reader(world):
    page = client_of(world.ours.people[ASSESSOR]).get(reverse("notification-list"))
    text = page.content.decode()
    assert 'Open<span class="visually-hidden">: IQA action raised, ' in text
    assert "iqa action raised" not in text


def test_the_inbox_is_paged(world):
    learner = world.ours.people[LEARNER]
    notify([notice_for(learner, f"test:{i}") for i in range(30)])
    client = client_of(learner)
    first = client.get(reverse("notification-list")).content.decode()
    second = client.get(reverse("notification-list"), {"page": 2}).content.decode()
    assert first.count('data-testid="notification"') == 25
    assert second.count('data-testid="notification"') == 33 - 25


def test_opening_from_the_inbox_marks_it_read_and_goes_to_its_page_in_its_role(world):
    side = world.ours
    notice = side.notification
    learner = side.people[LEARNER]
    as_learner = learner.roles.get()
    # The learner also assesses at the other centre, and is working as that now.
    elsewhere = Role.objects.create(
        user=learner, centre=world.theirs.centre, kind=RoleKind.ASSESSOR
    )
    client = client_of(learner)
    client.post(reverse("switch-role"), {"role": elsewhere.pk})
    assert client.session[SESSION_KEY] == elsewhere.pk
    response = client.post(reverse("notification-open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == notice.link
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert client.session[SESSION_KEY] == as_learner.pk
    assert client.get(notice.link).status_code == 200


def test_the_e_mailed_link_goes_to_the_page_and_changes_nothing(world):
    notice = world.ours.notification
    client = client_of(world.ours.people[LEARNER])
    response = client.get(reverse("notification-open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == notice.link
    notice.refresh_from_db()
    assert notice.read_at is None


def test_nobody_opens_another_persons_notification(world):
    notice = world.ours.notification
    for person in (world.ours.people[ASSESSOR], world.theirs.people[LEARNER]):
        client = client_of(person)
        assert client.post(reverse("notification-open", args=[notice.pk])).status_code == 404
        assert client.get(reverse("notification-open", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_all_read_marks_the_persons_own_only(world):
    learner, assessor = world.ours.people[LEARNER], world.ours.people[ASSESSOR]
    response = client_of(learner).post(reverse("notification-read-all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=learner, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=assessor, read_at__isnull=True).count() == 2
    page = client_of(learner).get(reverse("notification-list")).content.decode()
    assert "You have read everything." in page and "Mark all read" not in page
    assert 'Notifications <span class="badge' not in page


def test_the_e_mail_setting_is_saved_and_audited(world):
    learner = world.ours.people[LEARNER]
    client = client_of(learner)
    assert client.get(reverse("notification-settings")).status_code == 200
    response = client.post(reverse("notification-settings"), {"choice": "daily"})
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.notification_email == NotificationEmail.DAILY
    entry = AuditEntry.objects.filter(action="account.notification_email").get()
    assert (entry.actor_id, entry.after) == (learner.pk, {"notification_email": "daily"})


def test_an_e_mail_setting_unknown_or_unchanged_changes_nothing(world):
    learner = fresh(world.ours.people[LEARNER])
    client = client_of(learner)
    page = client.post(reverse("notification-settings"), {"choice": "hourly"})
    assert page.status_code == 200 and "Select a valid choice" in page.content.decode()
    page = client.post(reverse("notification-settings"), {"choice": "each"})
    assert SAME_CHOICE in page.content.decode()
    with pytest.raises(Refused):
        notification_email_set(person=learner, choice="each")
    learner.refresh_from_db()
    assert learner.notification_email == NotificationEmail.EACH
    assert not AuditEntry.objects.filter(action="account.notification_email").exists()
