"""The claims page's three lists, drawn in Python (decision 23): 25 learners a list, each with
their tick, units, reasons in sentences and what IQA holds back. Drawn by the template they were
a large part of the page's time (some 600 variable and filter renders). And the ten
certificates issued lately (their loop, with an include for each state, made some 5,500 Python
calls a view). Every value is escaped here; `tests/certification/test_claim_rows.py` holds them
to what the template drew."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from certification.models import STATE_COLOURS, Certificate
from portal.templatetags.sentences import joined

Row = dict[str, Any]  # a row of `readiness.claim_list`


def full_rows(rows: Iterable[Row]) -> SafeString:
    """Those ready for a full certificate: a tick each, and the credits that count."""
    return mark_safe("".join(full_row(r) for r in rows))


def full_row(r: Row) -> str:
    credits = r["counted_credits"]
    counted = (
        f'<span class="small text-body-secondary">{credits} credit{"" if credits == 1 else "s"}'
        " count</span>"
        if credits
        else ""
    )
    return f"{tick('full', r)} {counted}</li>"


def unit_rows(rows: Iterable[Row]) -> SafeString:
    """Those who can have a unit certificate: a tick each, what was achieved since their last
    (`readiness.units_since`), the units and why not a full certificate."""
    return mark_safe("".join(unit_row(r) for r in rows))


def unit_row(r: Row) -> str:
    since = (
        f'<span class="badge text-bg-light border" data-testid="units-since">{escape(r["since"])}'
        "</span>"
        if r["since"]
        else ""
    )
    units = ", ".join(escape(code) for code in r["claimable_units"])
    return (
        f"{tick('unit', r)}\n      {since}\n"
        f'      <div class="small text-body-secondary">Units: {units}. Full certificate not yet: '
        f"{escape(joined(r['full_reasons']))}</div></li>"
    )


def waiting_rows(rows: Iterable[Row]) -> SafeString:
    """Those not ready yet, with why, and what IQA holds back; "Nobody." for none."""
    drawn = "".join(waiting_row(r) for r in rows)
    return mark_safe(drawn or "<li>Nobody.</li>")


def waiting_row(r: Row) -> str:
    held = f" {' '.join(escape(h) for h in r['held'])}" if r["held"] else ""
    return (
        f"<li>{escape(r['learner_name'])}, {escape(r['qualification_title'])}: "
        f"{escape(joined(r['unit_reasons']))}{held}</li>"
    )


def tick(kind: str, r: Row) -> str:
    """The row's start: its tick and the learner's name and qualification as its label."""
    pk = r["registration_id"]
    return (
        '<li class="list-group-item"><input class="form-check-input me-2" type="checkbox" '
        f'name="registrations" value="{pk}" id="{kind}-{pk}">\n'
        f'      <label for="{kind}-{pk}">{escape(r["learner_name"])}, '
        f"{escape(r['qualification_title'])}</label>"
    )


def issued_rows(issued: Iterable[tuple[Certificate, str, str]], token: str) -> SafeString:
    """The certificates issued lately: number, kind, learner, day, state and the portfolio
    pack's button, each with its page's and its pack's addresses (`views.issued_lately`) and
    the request's CSRF token."""
    return mark_safe("".join(issued_row(c, detail, pack, token) for c, detail, pack in issued))


def issued_row(c: Certificate, detail: str, pack: str, token: str) -> str:
    day = date_format(localtime(c.issued_at), "j M Y")
    state = c.state  # decided once, for its colour (`state_colour`) and its words
    return (
        f'<li class="list-group-item"><a href="{escape(detail)}">{escape(c.number)}</a> · '
        f"{escape(c.get_kind_display())} · {escape(c.registration.learner.full_name)} · "
        f"{escape(day)}\n"
        f'    <span class="badge text-bg-{escape(STATE_COLOURS[state])}" '
        f'data-testid="certificate-state">{escape(state.label)}</span>\n\n'
        f'    <form method="post" action="{escape(pack)}" class="d-inline">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'
        '<button class="btn btn-link btn-sm p-0 ms-2" type="submit">Portfolio pack (ZIP)</button>'
        "</form></li>"
    )


def held_rows(held: Iterable[Any]) -> SafeString:
    """The held claims (`views.HeldClaim`): each holder and qualification, linked to the
    certificate's page, its kind, the day it was claimed and why it is held."""
    return mark_safe("".join(held_row(c) for c in held))


def held_row(c: Any) -> str:
    day = date_format(localtime(c.issued_at), "j M Y")
    return (
        f'<li class="list-group-item"><a href="{escape(c.url)}">{escape(c.learner_name)}, '
        f"{escape(c.title)}</a> · {escape(c.kind_display)} claimed {escape(day)}\n"
        f'    <div class="small" data-testid="held-why">{escape(c.because)}</div></li>'
    )
