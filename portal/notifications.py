"""Telling people what changed: an inbox in the portal, and e-mail as each person chose.

The services of every floor above call `notify` inside their write transactions, after their
audit entry, so a notification exists exactly when what it announces was saved. Each is made
once per event and person (`Notification.key`): the services hold the learner's chain and
rows while they check, so a repeated request, or a task run twice, finds it there and makes
none. E-mail goes by `portal.mail` (a Celery task, queued once the transaction commits): at once
for those who want each notification, or in one daily digest (`digests_send`, run by beat)
for those who want that, and never for those who want none. See docs/notifications.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Value
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from portal.audit import audit_append
from portal.compiled import compiled_once
from portal.mail import emails_send
from portal.models import (
    Notification,
    NotificationEmail,
    NotificationKind,
    Role,
    RoleKind,
    User,
)
from portal.refusals import Refused

# A notification's recipient still holds the role it was made for, at its centre.
ROLE_STILL_HELD = Exists(
    Role.objects.filter(
        user=OuterRef("recipient"), centre=OuterRef("centre"), kind=OuterRef("role_kind")
    )
)


@dataclass(frozen=True)
class Notice:
    """One notification to make: for whom, about which event, saying what, and the page (a
    path) where the person's next step is, with the role they act in there."""

    recipient_id: int
    kind: NotificationKind
    key: str
    text: str
    link: str
    centre_id: int
    role_kind: RoleKind


def notify(notices: Iterable[Notice]) -> list[Notification]:
    """Make the notifications not made before (by event and person) and queue the e-mails of
    those who want each one. Runs inside the caller's transaction: nothing is kept or sent if
    it rolls back. Two statements however many notices: one read (`_recipients`), one insert.
    Returns what was made."""
    wanted = {(n.recipient_id, n.key): n for n in notices}
    if not wanted:
        return []
    people, made_before, held = _recipients(list(wanted.values()))
    # Only to people who still hold the role at that centre: one whose access a centre ended
    # (decision 34) hears no more of its learners, though the registration still names them.
    fresh = [notice for pair, notice in wanted.items() if pair not in made_before and pair in held]
    now = timezone.now()
    made = Notification.objects.bulk_create(
        Notification(
            recipient_id=n.recipient_id,
            kind=n.kind,
            key=n.key,
            text=n.text,
            link=n.link,
            centre_id=n.centre_id,
            role_kind=n.role_kind,
            created_at=now,
            emailed_at=now if e_mailed_each(people.get(n.recipient_id)) else None,
        )
        for n in fresh
        if n.recipient_id in people
    )
    emails_send([message(people[n.recipient_id], [n]) for n in made if n.emailed_at])
    return made


def _recipients(
    notices: Sequence[Notice],
) -> tuple[dict[int, User], set[tuple[int, str]], set[tuple[int, str]]]:
    """For these notices (one per person and event), in one query: the people they are for
    (those that exist), the (person, key) pairs notified before, and the pairs whose person
    still holds the notice's role at its centre. Asked as three queries, they cost two more
    statements on every write that tells someone (a decision, a sign-off, a sample)."""
    user, role, notification = (m._meta.db_table for m in (User, Role, Notification))
    values = ", ".join(["(%s, %s, %s, %s)"] * len(notices))
    params: list[object] = []
    for n in notices:
        params += [n.recipient_id, n.key, n.centre_id, str(n.role_kind)]
    sql = (
        f"WITH wanted (person, event, centre, role_kind) AS (VALUES {values}) "
        f"SELECT u.*, w.event AS wanted_key, "
        f"EXISTS (SELECT 1 FROM {notification} n WHERE n.recipient_id = w.person"
        " AND n.key = w.event) AS made_before, "
        f"EXISTS (SELECT 1 FROM {role} r WHERE r.user_id = w.person AND r.centre_id = w.centre"
        " AND r.kind = w.role_kind) AS role_held "
        f"FROM wanted w JOIN {user} u ON u.id = w.person"
    )
    people: dict[int, User] = {}
    made_before: set[tuple[int, str]] = set()
    held: set[tuple[int, str]] = set()
    for person in User.objects.raw(sql, params):
        people[person.pk] = person
        found: Any = person  # with the columns the query adds
        pair = (person.pk, found.wanted_key)
        if found.made_before:
            made_before.add(pair)
        if found.role_held:
            held.add(pair)
    return people, made_before, held


def e_mailed_each(person: User | None) -> bool:
    return bool(
        person
        and person.is_active
        and person.email
        and person.notification_email == NotificationEmail.EACH
    )


def open_url(notification: Notification) -> str:
    """The address that opens a notification's page from an e-mail (acting in its role)."""
    return settings.PUBLIC_URL + reverse("notification-open", args=[notification.pk])


SUBJECT_ONE = "{kind}: {text}"
SUBJECT_TEXT = 60  # characters of the notice a subject quotes, about; the body has it all
SUBJECT_DIGEST = "What happened in the Qualifications Portal: {count} new"
SIGNATURE = (
    "You chose: {choice}. Change it, or see everything, at {settings}\n\nQualifications Portal"
)


def message(person: User, notifications: Sequence[Notification]) -> EmailMessage:
    """One e-mail to the person: a notification on its own, or a day's in a digest."""
    if len(notifications) == 1:
        [only] = notifications
        subject = SUBJECT_ONE.format(kind=only.get_kind_display(), text=opening(only.text))
    else:
        subject = SUBJECT_DIGEST.format(count=len(notifications))
    lines = [f"Hello {person.get_short_name()},", ""]
    for notification in notifications:
        lines += [notification.text, f"Open it: {open_url(notification)}", ""]
    where = settings.PUBLIC_URL + reverse("notification-settings")
    choice = person.get_notification_email_display().lower()
    lines.append(SIGNATURE.format(choice=choice, settings=where))
    return EmailMessage(
        subject=" ".join(subject.split())[:200], body="\n".join(lines), to=[person.email]
    )


def opening(text: str, limit: int = SUBJECT_TEXT) -> str:
    """The start of a notice for a subject line: whole words up to about `limit` characters,
    with "…" when there is more."""
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    cut = words[: limit + 1].rsplit(" ", 1)[0] if " " in words[:limit] else words[:limit]
    return cut.rstrip(" ,.;:") + "…"


def digests_send() -> int:
    """One e-mail for each person who chose a daily digest, with their notifications neither
    read nor e-mailed yet; each is marked e-mailed in the same transaction, so a digest sent
    again (beat twice, a retried task) holds only what is new. Returns how many were sent."""
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                emailed_at__isnull=True,
                read_at__isnull=True,
                recipient__notification_email=NotificationEmail.DAILY,
                recipient__is_active=True,
            )
            .filter(ROLE_STILL_HELD)
            .select_related("recipient")
            .order_by("recipient_id", "created_at", "pk")
        )
        Notification.objects.filter(pk__in=[n.pk for n in due]).update(emailed_at=timezone.now())
        by_person: dict[int, list[Notification]] = {}
        for notification in due:
            by_person.setdefault(notification.recipient_id, []).append(notification)
        emails_send([message(items[0].recipient, items) for items in by_person.values()])
    return len(by_person)


# The person's own notifications: the only ones any page reads or changes.


def inbox(person: User) -> QuerySet[Notification]:
    """The person's notifications about the centres where they still hold the role each was
    for: those of a centre that ended their access are kept, but no longer shown."""
    return Notification.objects.filter(recipient=person).filter(ROLE_STILL_HELD)


def unread_count(person: User) -> int:
    """How many of the person's notifications (`inbox`) are unread: counted afresh each time
    (the navigation bar of every page shows it), by SQL compiled once per process."""
    [(count,)] = _unread_counted(person.pk)
    return int(count)


@compiled_once
def _unread_counted(person_id: int) -> QuerySet[Notification, Any]:
    """`inbox(person).filter(read_at__isnull=True).count()` as one row: built and compiled
    once per process (`portal.compiled`), not on each page (about 2,400 Python calls of the
    floor page's 20,000 went to building it). The constant grouped by is left out of the SQL,
    so the count is one row, 0 when none."""
    return (
        inbox(User(pk=person_id))
        .filter(read_at__isnull=True)
        .order_by()
        .annotate(one=Value(1, output_field=IntegerField()))
        .values("one")
        .annotate(n=Count("pk"))
        .values_list("n")
    )


def notifications_mark_read(*, person: User, pk: int | None = None) -> int:
    """Mark one of the person's notifications read (`pk`), or all of them; how many changed.
    Not audited: whether someone has looked at a notice is their own business, as their
    session is, and changes nothing on anyone's record."""
    unread = inbox(person).filter(read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())


def notifications_done(*, person_id: int, keys: Iterable[str]) -> int:
    """Mark read the person's notifications of these events, whose next step they have just
    taken (a unit countersigned): a notice asking for what is done no longer waits unread.
    Called by the service that took the step, in its transaction. How many changed."""
    return Notification.objects.filter(
        recipient_id=person_id, key__in=list(keys), read_at__isnull=True
    ).update(read_at=timezone.now())


SAME_CHOICE = "That is already how you get e-mail: nothing changed."


def notification_email_set(*, person: User, choice: str) -> User:
    """The person's choice of e-mail for their notifications, audited on the portal's chain."""
    if choice == person.notification_email:
        raise Refused(SAME_CHOICE)
    with transaction.atomic():
        audit_append(
            actor=person,
            action="account.notification_email",
            subject=f"user:{person.pk}",
            centre_id=None,
            before={"notification_email": person.notification_email},
            after={"notification_email": choice},
        )
        User.objects.filter(pk=person.pk).update(notification_email=choice)
    person.notification_email = choice
    return person


def unread(request: HttpRequest) -> dict[str, Any]:
    """Template context: the person's unread notifications, counted only if a page shows it
    (one query; fragments and downloads make none)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
