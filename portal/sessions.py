"""Sessions that end when idle: SESSION_COOKIE_AGE (SESSION_IDLE_MINUTES) after the last request.

Django sets a session's end when it saves it. Saving on every request would write the session
row for every page, file and htmx fragment; this middleware saves a logged-in person's session
only when its end was last moved a while ago: a tenth of the idle time, at most
SESSION_RENEW_SECONDS (a minute). So the end slides with activity at the cost of at most one
write a minute, the timeout is exact to that, and a session in use more often than its idle
time never ends, however short that time is set.

The sessions are Django's database sessions (SESSION_ENGINE is this module): the same table,
rows and rules, the row read on every request by SQL built once per process (`SessionStore`).
"""

import datetime
import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from portal.compiled import Compiled

RENEWED_AT = "session_renewed_at"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # After the view: a login or logout in it has already replaced the session.
        if request.user.is_authenticated:
            renew(request)
        return response


def renew(request: HttpRequest) -> None:
    """Move the session's end on, if it was last moved long enough ago. Setting the key marks
    the session modified, so SessionMiddleware saves it with a fresh expiry and cookie."""
    now = int(timezone.now().timestamp())
    last = request.session.get(RENEWED_AT)
    if not isinstance(last, int) or now - last >= renewal_interval():
        request.session[RENEWED_AT] = now


def renewal_interval() -> int:
    """How long after its last renewal a session is renewed again: a tenth of the idle time,
    at most SESSION_RENEW_SECONDS. (Once a minute with a one-minute idle time, a session used
    every 25 seconds ended after 75 seconds of use.)"""
    return max(1, min(settings.SESSION_RENEW_SECONDS, settings.SESSION_COOKIE_AGE // 10))


def stamp_login(sender: object, request: HttpRequest, **kwargs: Any) -> None:
    """Logging in saves a new session, which sets its end: the next minute needs no renewal."""
    request.session[RENEWED_AT] = int(timezone.now().timestamp())


class SessionStore(db.SessionStore):
    """Django's database sessions, the row read by SQL compiled once per process: Django
    builds `Session.objects.get(session_key=..., expire_date__gt=now)` afresh on every request
    (about 650 Python calls of the floor page's 16,000). The same SQL, less its `LIMIT 21`;
    the same row, or none once the session has expired."""

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        model = self.model
        expire_date = model._meta.get_field("expire_date")
        read = _session_read(connection.vendor, model)
        rows = read.rows(
            self.session_key, expire_date.get_db_prep_value(timezone.now(), connection)
        )
        if not rows:
            self._session_key = None
            return None
        return model.from_db(connection.alias, SESSION_FIELDS, rows[0])


SESSION_FIELDS = ("session_key", "session_data", "expire_date")
# Stand-ins for the key and the time while the query is compiled, found among its parameters.
KEY_MARKER = "\x00session key\x00"
TIME_MARKER = datetime.datetime(1111, 1, 1, tzinfo=datetime.UTC)


@functools.cache
def _session_read(vendor: str, model: type[AbstractBaseSession]) -> Compiled:
    """The SQL of the row of a session not expired, with where its key (value 0) and the time
    (value 1, as the database takes it) go among the parameters."""
    query = model.objects.filter(session_key=KEY_MARKER, expire_date__gt=TIME_MARKER)
    compiler = query.values_list(*SESSION_FIELDS).query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    time = model._meta.get_field("expire_date").get_db_prep_value(TIME_MARKER, connection)
    slots = ((params.index(KEY_MARKER), 0), (params.index(time), 1))
    if len(params) != len(slots):
        raise ValueError("The session's read has parameters other than its key and the time.")
    columns = [expression for expression, _, _ in compiler.select]
    return Compiled(sql, tuple(params), slots, compiler, compiler.get_converters(columns))
