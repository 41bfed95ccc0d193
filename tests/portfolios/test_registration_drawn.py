"""The registration page's evidence and planned units, drawn in Python (portfolios/drawn.py):
the same HTML the template drew, every value escaped, each case of each row (to review or
judged, for the assessor or not; mandatory or not; each standing or none; with a unit's own
assessor or not)."""

from __future__ import annotations

import datetime

from django.template import Context, Template
from django.utils import timezone

from portal.models import User
from portfolios.drawn import evidence_rows, planned_rows
from portfolios.models import Evidence, EvidenceMethod, RegistrationUnit
from portfolios.unit_states import UnitStanding, UnitState
from qualifications.models import Unit

# The template's loops as they stood before the rows were drawn in Python: the reference.
EVIDENCE = Template(
    """{% for e in evidence %}<li class="list-group-item"><a href="{{ e.link }}">{{ e.title }}</a>{% if is_assessor and not e.is_locked %} <span class="badge text-bg-info">to review</span>{% endif %}
      <span class="small text-body-secondary">{{ e.get_method_display }} · {{ e.occurred_on|date:"j M Y" }}</span></li>{% endfor %}"""
)
PLANNED = Template(
    """{% for p in planned %}<li data-unit="{{ p.unit.code }}"><a href="{{ p.link }}">{{ p.unit.code }} {{ p.unit.title }}</a>{% if p.mandatory %} <span class="badge text-bg-secondary">mandatory</span>{% endif %}{% if p.standing %} <span class="badge text-wrap text-start {{ p.standing.badge }}" data-testid="unit-state">{{ p.standing.words }}</span>{% endif %}{% if p.assessor %} <span class="small text-body-secondary" data-testid="unit-assessor">· assessed by {{ p.assessor.full_name }}</span>{% endif %}</li>{% endfor %}"""
)

NASTY = '<b>O\'Neil & "Sons"</b>'


def evidence(title: str, judged: bool, method: str, day: int) -> Evidence:
    e = Evidence(
        title=title,
        method=method,
        occurred_on=datetime.date(2026, 3, day),
        judged_at=timezone.now() if judged else None,
    )
    e.link = f"/evidence/{day}/?a=1&b=<2>"  # type: ignore[attr-defined]
    return e


def planned(code: str, mandatory: bool, standing, assessor: str | None) -> RegistrationUnit:
    p = RegistrationUnit(
        unit=Unit(code=code, title=f"Title of {code} {NASTY}"),
        mandatory=mandatory,
        assessor=User(full_name=assessor) if assessor else None,
    )
    p.link = f"/units/{code}/&x"  # type: ignore[attr-defined]
    p.standing = standing  # type: ignore[attr-defined]
    return p


def test_the_evidence_is_drawn_as_the_template_drew_it():
    pieces = [
        evidence(NASTY, False, EvidenceMethod.OBSERVATION, 1),
        evidence("Plain", True, EvidenceMethod.WITNESS_TESTIMONY, 22),
        evidence("Another & more", False, EvidenceMethod.PROFESSIONAL_DISCUSSION, 9),
    ]
    for is_assessor in (True, False):
        expected = EVIDENCE.render(Context({"evidence": pieces, "is_assessor": is_assessor}))
        assert evidence_rows(pieces, is_assessor) == expected
    assert "to review" in evidence_rows(pieces, True) and "&lt;b&gt;O&#x27;Neil" in expected
    assert evidence_rows([], True) == ""


def test_the_planned_units_are_drawn_as_the_template_drew_them():
    units = [
        planned("A/1<2>", True, UnitStanding(UnitState.IN_PROGRESS, 3, 7), NASTY),
        planned("B/2", False, UnitStanding(UnitState.ACHIEVED, 7, 7), None),
        planned("C/3", True, None, "Nadia Second"),
        planned("D/4", False, UnitStanding(UnitState.RPL, 0, 4), None),
    ]
    expected = PLANNED.render(Context({"planned": units}))
    assert planned_rows(units) == expected
    assert "unit-assessor" in expected and "In progress: 3 of 7" in expected
    assert planned_rows([]) == ""
