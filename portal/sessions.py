"""Sessions that end when idle: SESSION_COOKIE_AGE (SESSION_IDLE_MINUTES) after the last request.

Django sets a session's end when it saves it. Saving on every request would write the session
row for every page, file and htmx fragment; this middleware saves a logged-in person's session
only when its end was last moved a while ago: a tenth of the idle time, at most
SESSION_RENEW_SECONDS (a minute). So the end slides with activity at the cost of at most one
write a minute, the timeout is exact to that, and a session in use more often than its idle
time never ends, however short that time is set.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

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
