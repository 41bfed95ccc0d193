"""One way to refuse: a service raises a `Refused` carrying what to tell the person, and changes
nothing; a view either flashes it and redirects (`refused_redirect`, or `attempt` and
`attempt_form` for the whole validate-try-flash-redirect round) or shows it on the form that was
sent (`refused_on_form`).

A small form posted from another page (a reason to unlock, a response to an IQA action) that
fails its own validation is sent back (`send_back`): what was typed is kept in the session for
that page, which binds it again (`form_sent_back`), so each message is drawn under its field as
on any other form, and the page stays a redirect after a POST (decision 41).

Each app names its own kind of refusal (`DecisionRefused`, `ClaimRefused`, ...) as a subclass,
so a caller can catch one app's refusals or all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect


class Refused(Exception):
    """A request turned down with nothing changed; `messages` say why, one sentence each."""

    def __init__(self, messages: str | Sequence[str]) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(self.messages))


def flash_refusal(request: HttpRequest, refused: Refused, tags: str = "") -> None:
    """Put each of the refusal's messages on the next page the person sees; `tags` (extra tags)
    let that page draw them by the form they are about rather than at its top."""
    for message in refused.messages:
        messages.error(request, message, extra_tags=tags)


def refused_redirect(
    request: HttpRequest, refused: Refused, to: str, tags: str = ""
) -> HttpResponse:
    """Flash the refusal's messages and send the person to `to` (a URL)."""
    flash_refusal(request, refused, tags)
    return redirect(to)


def refused_on_form(form: forms.Form, refused: Refused, field: str | None = None) -> None:
    """Show the refusal's messages on the form, which keeps what was typed: at its top, or
    under `field` where the refusal is about that one field."""
    for message in refused.messages:
        form.add_error(field, message)


def attempt(
    request: HttpRequest,
    action: Callable[[], object],
    *,
    success: str,
    to: str,
    tags: str = "",
) -> HttpResponse:
    """Carry out `action`; flash `success`, or each reason it was refused; redirect to `to`.
    `tags` go with the messages (see `flash_refusal`)."""
    try:
        action()
    except Refused as refused:
        return refused_redirect(request, refused, to, tags)
    messages.success(request, success, extra_tags=tags)
    return redirect(to)


def attempt_form(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[dict[str, Any]], object],
    *,
    success: str,
    to: str,
    key: str,
    tags: str = "",
) -> HttpResponse:
    """`attempt` for a small form posted from another page: if the form is invalid, nothing is
    done and it is sent back to that page under `key` (`send_back`); otherwise
    `action(cleaned_data)` is attempted."""
    if not form.is_valid():
        return send_back(request, form, key, to, tags)
    return attempt(request, lambda: action(form.cleaned_data), success=success, to=to, tags=tags)


SENT_BACK = "portal.sent_back"
NOT_SENT = "Nothing was changed: see the message by the form."


def send_back(
    request: HttpRequest, form: forms.Form, key: str, to: str, tags: str = ""
) -> HttpResponse:
    """Keep what was typed in the form (passwords aside) for the page at `to`, which draws it
    again with its messages under the fields (`form_sent_back`), and send the person there."""
    secret = {name for name, f in form.fields.items() if isinstance(f.widget, forms.PasswordInput)}
    data = {
        name: values
        for name, values in request.POST.lists()
        if name != "csrfmiddlewaretoken" and name not in secret
    }
    request.session[SENT_BACK] = {"key": key, "data": data}  # type: ignore[attr-defined]
    messages.error(request, NOT_SENT, extra_tags=tags)
    return redirect(to)


F = TypeVar("F", bound=forms.Form)


def form_sent_back(request: HttpRequest, form_class: type[F], key: str, **kwargs: Any) -> F:
    """The form sent back to this page under `key`, bound again to what was typed (so it shows
    the same messages), once; otherwise a new one."""
    session = request.session  # type: ignore[attr-defined]
    kept = session.get(SENT_BACK)
    if not kept or kept.get("key") != key:
        return form_class(**kwargs)
    del session[SENT_BACK]
    data = QueryDict(mutable=True)
    for name, values in kept["data"].items():
        data.setlist(name, values)
    form = form_class(data, **kwargs)
    form.is_valid()
    return form
