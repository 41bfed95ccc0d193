"""Links to many rows of one kind, reversed once.

`{% url %}` (or `reverse`) in a loop of hundreds of rows resolves the URL pattern again for
each row, some 20-40 µs each; the pages that list hundreds reverse once with a marker in place
of the id and put each row's id in its place."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

# A number no row's id reaches, in the place of the id: `int` converters accept it.
MARKER = "987654321987654321"


def links_to(name: str, *args: object) -> Callable[[object], str]:
    """The address named `name` with `args` and then one more argument, as a function of that
    last argument (a row's id): `links_to("portfolios:evidence-detail")(pk)` is
    `reverse("portfolios:evidence-detail", args=[pk])`."""
    head, tail = reverse(name, args=[*args, MARKER]).split(MARKER)
    return lambda pk: f"{head}{pk}{tail}"
