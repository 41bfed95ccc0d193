"""Login throttling (django-axes): who a failed login counts against, and the page a person
sees once locked out.

Failures are counted per e-mail address and client address together, in the database, and a
pair with too many is refused for a cool-off period (settings `AXES_*`, decision 13). Both login
pages, the portal's and the Django admin's, authenticate through the same backend, so both count.
"""

from __future__ import annotations

import datetime
import ipaddress
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from portal.models import normalise_email

LOCKED_OUT = (
    "Too many attempts to log in with this e-mail address from here. For your safety, logging "
    "in is paused until {until} (about {minutes} minutes from now), even with the right password."
)


# The length of django-axes' username column: a longer name would fail to be stored.
USERNAME_LENGTH = 255


def username_of(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account an attempt was for, as the portal looks it up: "Ada@Example.org " and
    "ada@example.org" are one account, so their failures add up. (Cut to the column's length:
    no account's address is that long, so names cut alike count together harmlessly.)"""
    given = (credentials or {}).get("username")
    if given is None:
        given = request.POST.get("username", "")
    return normalise_email(str(given))[:USERNAME_LENGTH]


def client_address(request: HttpRequest) -> str:
    """The address the request came from. Behind TRUSTED_PROXY_COUNT proxies it is the entry
    the outermost trusted proxy appended to X-Forwarded-For (entries before it are the client's
    own word and could be forged); with no proxies trusted, the socket's address."""
    remote = str(request.META.get("REMOTE_ADDR") or "0.0.0.0")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


def lockout_ends(request: HttpRequest, username: str) -> datetime.datetime:
    """When the pair's last counted failure stops counting: the moment they may try again."""
    cool_off = get_cool_off(request) or settings.AXES_COOLOFF_TIME
    last = AccessAttempt.objects.filter(
        username=username, ip_address=getattr(request, "axes_ip_address", None)
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + cool_off


def clock(moment: datetime.datetime) -> str:
    """A time of day, with the date when it is not today."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {local:%d %B}"


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page shown instead of the login form's answer while the pair is locked out."""
    until = lockout_ends(request, username_of(request, credentials))
    seconds = max(0, int((until - timezone.now()).total_seconds()))
    message = LOCKED_OUT.format(until=clock(until), minutes=max(1, -(-seconds // 60)))
    response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response
