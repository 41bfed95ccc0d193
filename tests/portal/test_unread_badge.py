"""On a phone the menu is folded: the unread count shows by its toggler too, named in words, and
every role's home page says how many notifications are new, linking to the inbox (issue 19)."""

import re

import pytest
from django.urls import reverse

from portal.models import Notification, NotificationKind


def tell(person, role_kind, centre, n):
    for i in range(n):
        Notification.objects.create(
            recipient=person, kind=NotificationKind.EVIDENCE_COMMENT, key=f"test:{i}",
            text="Something happened.", link="/", centre=centre, role_kind=role_kind,
        )  # fmt: skip


def badge(page: str) -> str | None:
    found = re.search(r'<a [^>]*data-testid="unread-badge"[^>]*>', page)
    return found.group(0) if found else None


@pytest.mark.parametrize("persona", ["learner", "assessor", "iqa", "centre_admin"])
def test_every_role_sees_its_new_notifications_by_the_toggler_and_on_its_home(
    client, request, centre, persona
):
    person = request.getfixturevalue(persona)
    tell(person, persona, centre, 3)
    client.force_login(person)
    page = client.get("/").content.decode()
    shown = badge(page)
    assert shown is not None and 'aria-label="3 unread notifications"' in shown
    assert f'href="{reverse("notification-list")}"' in shown
    # The badge comes before the toggler, outside the folded menu.
    assert page.index('data-testid="unread-badge"') < page.index('class="navbar-toggler"')
    home = page[page.index('id="todo-heading"') :]
    assert f'<a href="{reverse("notification-list")}">3 new notifications</a>' in home


def test_one_is_said_as_one_and_none_shows_nothing(client, centre, learner):
    client.force_login(learner)
    page = client.get("/").content.decode()
    assert badge(page) is None and "new notification" not in page
    tell(learner, "learner", centre, 1)
    page = client.get("/").content.decode()
    assert 'aria-label="1 unread notification"' in (badge(page) or "")
    assert ">1 new notification</a>" in page
