"""The registration page's two long lists, drawn in Python: its evidence (a busy portfolio has
dozens of pieces) and its planned units. Drawn by the template, each row's variables, filters
and conditions cost some 200 Python calls (about 10,000 of the page's 37,000 at the big
centre). Every value is escaped here as the template escaped it;
`tests/portfolios/test_registration_drawn.py` holds them to what the template drew."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe

from portfolios.models import Evidence, RegistrationUnit

TO_REVIEW = ' <span class="badge text-bg-info">to review</span>'
MANDATORY = ' <span class="badge text-bg-secondary">mandatory</span>'


def _e(value: Any) -> str:
    return escape(str(value))


def evidence_rows(evidence: Iterable[Evidence], is_assessor: bool) -> SafeString:
    """Each piece of evidence: its link (`e.link`, made in the view), title, "to review" for
    the learner's assessor while it is not judged, how it was gathered and when."""
    return mark_safe("".join(evidence_row(e, is_assessor) for e in evidence))


def evidence_row(e: Evidence, is_assessor: bool) -> str:
    review = TO_REVIEW if is_assessor and not e.is_locked else ""
    return (
        f'<li class="list-group-item"><a href="{_e(e.link)}">{_e(e.title)}</a>{review}\n'  # type: ignore[attr-defined]
        f'      <span class="small text-body-secondary">{_e(e.get_method_display())} · '  # type: ignore[attr-defined]
        f"{_e(date_format(e.occurred_on, 'j M Y'))}</span></li>"
    )


def planned_rows(planned: Iterable[RegistrationUnit]) -> SafeString:
    """Each planned unit: its link (`p.link`) with code and title, "mandatory", its standing
    (`p.standing`, from `unit_standings`) and its own assessor, if it has one."""
    return mark_safe("".join(planned_row(p) for p in planned))


def planned_row(p: RegistrationUnit) -> str:
    unit = p.unit
    standing = p.standing  # type: ignore[attr-defined]
    state = (
        f' <span class="badge text-wrap text-start {_e(standing.badge)}" '
        f'data-testid="unit-state">{_e(standing.words)}</span>'
        if standing
        else ""
    )
    assessor = p.assessor
    by = (
        ' <span class="small text-body-secondary" data-testid="unit-assessor">· assessed by '
        f"{_e(assessor.full_name)}</span>"
        if assessor
        else ""
    )
    return (
        f'<li data-unit="{_e(unit.code)}"><a href="{_e(p.link)}">{_e(unit.code)} '  # type: ignore[attr-defined]
        f"{_e(unit.title)}</a>{MANDATORY if p.mandatory else ''}{state}{by}</li>"
    )
