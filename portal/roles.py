"""The role a person is acting in right now.

Someone who is an IQA in one centre and an assessor in another acts in one role at a time; the
choice is kept in the session and shown in the navigation bar. The middleware puts the person's
roles on `request.roles` and the one they act in on `request.role` (None when they hold none).
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.http import PortalRequest
from portal.models import Role
from portal.services import access_ended, access_ended_message

SESSION_KEY = "active_role_id"


def choose_active_role(roles: list[Role], chosen_id: object) -> Role | None:
    """The role chosen in this session if the person still holds it, else the oldest one."""
    for role in roles:
        if role.pk == chosen_id:
            return role
    return min(roles, key=lambda role: role.pk, default=None)


def set_active_role(request: PortalRequest, role: Role) -> None:
    request.session[SESSION_KEY] = role.pk
    request.role = role


class ActiveRoleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: PortalRequest) -> HttpResponse:
        roles: list[Role] = []
        if request.user.is_authenticated:
            roles = list(Role.objects.filter(user=request.user).select_related("centre"))
            if not roles and (ended := access_ended(request.user)):
                # A leaver whose every centre ended their access: their sessions end with it,
                # at their next request (decision 34).
                logout(request)
                message = access_ended_message(ended)
                return render(
                    request, "registration/access_ended.html", {"message": message}, status=403
                )
        request.roles = roles
        request.role = choose_active_role(roles, request.session.get(SESSION_KEY))
        return self.get_response(request)


def active_role(request: HttpRequest) -> dict[str, Any]:
    """Template context: the role in use and every role the person may switch to."""
    return {
        "active_role": getattr(request, "role", None),
        "all_roles": getattr(request, "roles", []),
    }
