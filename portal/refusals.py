"""One way to refuse: a service raises a `Refused` carrying what to tell the person, and changes
nothing; a view either flashes it and redirects (`refused_redirect`, or `attempt` and
`attempt_form` for the whole validate-try-flash-redirect round) or shows it on the form that was
sent (`refused_on_form`).

Each app names its own kind of refusal (`DecisionRefused`, `ClaimRefused`, ...) as a subclass,
so a caller can catch one app's refusals or all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class Refused(Exception):
    """A request turned down with nothing changed; `messages` say why, one sentence each."""

    def __init__(self, messages: str | Sequence[str]) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(self.messages))

    @classmethod
    def from_form(cls, form: forms.Form) -> Refused:
        """The form's own validation messages, as a refusal (for forms posted from a page that
        shows them as flashed messages rather than beside the fields). A missing field's message
        is the service's own sentence and stands alone; any other names its field."""
        found = []
        for name, errors in form.errors.as_data().items():
            label = form[name].label if name in form.fields else None
            for error in errors:
                for message in error.messages:
                    named = label and error.code != "required"
                    found.append(f"{label}: {message}" if named else message)
        return cls(found)


def flash_refusal(request: HttpRequest, refused: Refused) -> None:
    """Put each of the refusal's messages on the next page the person sees."""
    for message in refused.messages:
        messages.error(request, message)


def refused_redirect(request: HttpRequest, refused: Refused, to: str) -> HttpResponse:
    """Flash the refusal's messages and send the person to `to` (a URL)."""
    flash_refusal(request, refused)
    return redirect(to)


def refused_on_form(form: forms.Form, refused: Refused, field: str | None = None) -> None:
    """Show the refusal's messages on the form, which keeps what was typed: at its top, or
    under `field` where the refusal is about that one field."""
    for message in refused.messages:
        form.add_error(field, message)


def attempt(
    request: HttpRequest, action: Callable[[], object], *, success: str, to: str
) -> HttpResponse:
    """Carry out `action`; flash `success`, or each reason it was refused; redirect to `to`."""
    try:
        action()
    except Refused as refused:
        return refused_redirect(request, refused, to)
    messages.success(request, success)
    return redirect(to)


def attempt_form(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[dict[str, Any]], object],
    *,
    success: str,
    to: str,
) -> HttpResponse:
    """`attempt` for a small form posted from another page: if the form is invalid, its own
    messages are flashed and nothing is done; otherwise `action(cleaned_data)` is attempted."""
    if not form.is_valid():
        return refused_redirect(request, Refused.from_form(form), to)
    return attempt(request, lambda: action(form.cleaned_data), success=success, to=to)
