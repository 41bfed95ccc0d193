"""What every request reads before its page (the person's roles, the navigation bar's unread
count), by SQL compiled once per process (`portal.compiled`): the same rows as the ORM's rules
they were built from, read afresh on each request (decision 68)."""

import pytest
from django.urls import reverse

from portal.models import Notification, NotificationKind, Role, RoleKind
from portal.notifications import inbox, unread_count
from portal.roles import roles_of
from tests.factories import CentreFactory, RoleFactory


def tell(person, centre, role_kind, key, read=False):
    return Notification.objects.create(
        recipient=person, kind=NotificationKind.EVIDENCE_COMMENT, key=key, text="Something.",
        link="/", centre=centre, role_kind=role_kind,
        read_at="2026-01-01T00:00:00Z" if read else None,
    )  # fmt: skip


def fields(obj) -> dict:
    return {k: v for k, v in vars(obj).items() if k != "_state"}


@pytest.mark.django_db
def test_the_unread_count_is_the_inboxs_unread_on_real_rows(assessor, learner, centre):
    elsewhere = CentreFactory.create(name="Another centre")
    RoleFactory.create(user=assessor, centre=elsewhere, kind=RoleKind.IQA)
    tell(assessor, centre, RoleKind.ASSESSOR, "a:1")
    tell(assessor, centre, RoleKind.ASSESSOR, "a:2")
    tell(assessor, elsewhere, RoleKind.IQA, "a:3")
    tell(assessor, centre, RoleKind.ASSESSOR, "a:read", read=True)
    # For a role they do not hold there (withdrawn, or never held): kept, not counted.
    tell(assessor, elsewhere, RoleKind.ASSESSOR, "a:not-held")
    tell(learner, centre, RoleKind.LEARNER, "l:1")  # someone else's
    for person in (assessor, learner):
        assert unread_count(person) == inbox(person).filter(read_at__isnull=True).count()
    assert unread_count(assessor) == 3
    Role.objects.filter(user=assessor, centre=elsewhere).delete()  # the IQA role withdrawn
    assert unread_count(assessor) == inbox(assessor).filter(read_at__isnull=True).count() == 2
    Notification.objects.filter(recipient=assessor).update(read_at="2026-01-02T00:00:00Z")
    assert unread_count(assessor) == 0  # one row, counting none


@pytest.mark.django_db
def test_the_roles_read_are_the_orms_in_its_order_with_their_centres(iqa, centre):
    second = CentreFactory.create(name="Another centre")  # named before "Riverside ..."
    RoleFactory.create(user=iqa, centre=second, kind=RoleKind.ASSESSOR, is_trainee=True)
    RoleFactory.create(user=iqa, centre=second, kind=RoleKind.CENTRE_ADMIN)
    RoleFactory.create(user=iqa, centre=centre, kind=RoleKind.LEARNER)
    RoleFactory.create(centre=second, kind=RoleKind.ASSESSOR)  # someone else's
    read = roles_of(iqa.pk)
    expected = list(Role.objects.filter(user=iqa).select_related("centre"))
    assert [fields(r) for r in read] == [fields(r) for r in expected]
    assert [fields(r.centre) for r in read] == [fields(r.centre) for r in expected]
    assert len(read) == 4 and [r.centre.name for r in read][:2] == ["Another centre"] * 2
    assert all(not r._state.adding and not r.centre._state.adding for r in read)
    assert roles_of(0) == []


@pytest.mark.django_db
def test_a_role_withdrawn_and_a_notification_made_show_on_the_very_next_page(client, iqa, centre):
    second = CentreFactory.create(name="Another centre")
    RoleFactory.create(user=iqa, centre=second, kind=RoleKind.ASSESSOR)
    client.force_login(iqa)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="role-switch"' in page and 'data-testid="unread-badge"' not in page
    tell(iqa, centre, RoleKind.IQA, "i:1")
    Role.objects.filter(user=iqa, centre=second).delete()
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="role-switch"' not in page and "Another centre" not in page
    assert 'aria-label="1 unread notification"' in page


@pytest.mark.django_db
def test_a_person_got_by_id_is_the_orms_and_anything_else_asked_goes_to_the_orm(learner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.models import User

    User.objects.filter(pk=learner.pk).update(is_active=False, postcode="AB1 2CD")
    got = User.objects.get(pk=learner.pk)
    assert fields(got) == fields(User.objects.filter(pk=learner.pk).get())
    assert got._state.db == "default" and not got._state.adding
    assert not got.is_active and got.postcode == "AB1 2CD"
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=learner.pk + 1000)
    assert User.objects.get(email=learner.email) == learner  # not by id: the ORM
    with CaptureQueriesContext(connection) as read:
        User.objects.get(pk=learner.pk)
    assert "LIMIT" not in read.captured_queries[0]["sql"]  # the compiled read (the ORM limits)


@pytest.mark.django_db
def test_a_person_made_inactive_or_whose_password_changed_is_logged_out_at_the_next_request(
    client, learner
):
    client.force_login(learner)
    assert client.get(reverse("home")).status_code == 200
    learner.set_password("another-password-9876")
    learner.save()
    assert client.get(reverse("home")).status_code == 302  # to the login page
    client.force_login(learner)
    assert client.get(reverse("home")).status_code == 200
    type(learner).objects.filter(pk=learner.pk).update(is_active=False)
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_a_session_is_read_as_django_reads_it_and_not_once_expired(learner):
    import datetime

    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore as DjangosStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from portal.sessions import SessionStore

    assert settings.SESSION_ENGINE == "portal.sessions"
    made = SessionStore()
    made["_auth_user_id"] = str(learner.pk)
    made.save()
    other = SessionStore()
    other["x"] = 1
    other.save()
    key = made.session_key
    assert (
        SessionStore(key).load() == DjangosStore(key).load() == {"_auth_user_id": str(learner.pk)}
    )
    row = Session.objects.get(session_key=key)
    read = SessionStore(key)._get_session_from_db()
    assert read is not None and fields(read) == fields(row)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    for store in (SessionStore(key), DjangosStore(key)):
        assert store.load() == {} and store._session_key is None
    assert SessionStore("no-such-session-key").load() == {}
    assert SessionStore(other.session_key).load() == {"x": 1}


def test_the_kept_addresses_are_djangos_tags_own_under_any_script_prefix():
    import re
    from pathlib import Path

    from django.template import Context, Template
    from django.urls import get_script_prefix, set_script_prefix

    base = (Path(__file__).resolve().parents[2] / "templates" / "base.html").read_text()
    names = sorted(set(re.findall(r"{% kept_url '([^']+)' %}", base)))
    paths = sorted(set(re.findall(r"{% kept_static '([^']+)' %}", base)))
    assert "home" in names and len(paths) == 5 and "{% url" not in base and "{% static" not in base
    source = "{% load static kept %}" + "".join(
        [f"{{% url '{n}' %}}|{{% kept_url '{n}' %}}\n" for n in names]
        + [f"{{% static '{p}' %}}|{{% kept_static '{p}' %}}\n" for p in paths]
    )
    was = get_script_prefix()
    try:
        for prefix in ("/", "/portal/", "/a&b/"):
            set_script_prefix(prefix)
            drawn = Template(source).render(Context())
            lines = drawn.strip().split("\n")
            assert len(lines) == len(names) + len(paths)
            assert all(line.split("|")[0] == line.split("|")[1] for line in lines), drawn
            assert prefix == "/" or all(prefix.replace("&", "&amp;") in line for line in lines[:1])
    finally:
        set_script_prefix(was)
