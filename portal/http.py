import re
from collections.abc import Iterable

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


# Digits 0-9 only, and few enough for a database id: "²" passes str.isdigit() but not int(),
# and thirty digits pass int() but overflow PostgreSQL's bigint.
AN_ID = re.compile(r"[0-9]{1,18}")


def posted_id(value: str | None) -> int:
    """An id sent by a form or address; anything else matches nothing (0), never an error."""
    return int(value) if value and AN_ID.fullmatch(value) else 0


def posted_ids(values: Iterable[str]) -> set[int]:
    return {posted_id(v) for v in values} - {0}


def posted_text(value: str | None) -> str:
    """Text sent by a form field read without a Django form (whose fields refuse NUL
    themselves): without NUL characters, which PostgreSQL refuses in text."""
    return (value or "").replace("\x00", "")


def search_text(value: str | None, limit: int = 100) -> str:
    """What a person typed into a search box, as the database can take it: trimmed, capped,
    and without NUL characters (PostgreSQL refuses them in text)."""
    return (value or "").replace("\x00", "").strip()[:limit]
