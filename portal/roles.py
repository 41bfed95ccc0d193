"""The role a person is acting in right now.

Someone who is an IQA in one centre and an assessor in another acts in one role at a time; the
choice is kept in the session and shown in the navigation bar. The middleware puts the person's
roles on `request.roles` and the one they act in on `request.role` (None when they hold none).
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth import logout
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.compiled import compiled_once, from_row
from portal.http import PortalRequest
from portal.models import Centre, Role
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


# Every field of a role and of its centre, as `select_related("centre")` loads them.
ROLE_FIELDS = tuple(field.attname for field in Role._meta.concrete_fields)
CENTRE_FIELDS = tuple(field.attname for field in Centre._meta.concrete_fields)


@compiled_once
def _roles_rows(user_id: int) -> QuerySet[Role, Any]:
    return Role.objects.filter(user=user_id).values_list(
        *ROLE_FIELDS, *(f"centre__{name}" for name in CENTRE_FIELDS)
    )


def roles_of(user_id: int) -> list[Role]:
    """`Role.objects.filter(user=...).select_related("centre")` (in the roles' order: by
    centre, then kind), read afresh on every request by SQL compiled once per process
    (`portal.compiled`): building that queryset cost about 800 Python calls a request."""
    centres: dict[int, Centre] = {}
    roles = []
    for row in _roles_rows(user_id):
        role = from_row(Role, ROLE_FIELDS, row[: len(ROLE_FIELDS)])
        centre = centres.get(role.centre_id)
        if centre is None:
            centre = from_row(Centre, CENTRE_FIELDS, row[len(ROLE_FIELDS) :])
            centres[role.centre_id] = centre
        role.centre = centre
        roles.append(role)
    return roles


class ActiveRoleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: PortalRequest) -> HttpResponse:
        roles: list[Role] = []
        if request.user.is_authenticated:
            roles = roles_of(request.user.pk)
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
