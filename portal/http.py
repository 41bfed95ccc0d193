from django.core.files import File
from django.http import FileResponse, HttpRequest

from portal.models import Role, User


class PortalRequest(HttpRequest):
    """The request a logged-in view receives: its user is a person, and the middleware has put
    their roles, and the role they are acting in, on it."""

    user: User  # type: ignore[assignment]
    roles: list[Role]
    role: Role | None


def private_pdf(file: File, filename: str) -> FileResponse:
    """A stored PDF as a download for the one person allowed it: never cached on the way."""
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response
