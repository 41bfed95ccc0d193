from django.http import HttpRequest

from portal.models import Role, User


class PortalRequest(HttpRequest):
    """The request a logged-in view receives: its user is a person, and the middleware has put
    their roles, and the role they are acting in, on it."""

    user: User  # type: ignore[assignment]
    roles: list[Role]
    role: Role | None
