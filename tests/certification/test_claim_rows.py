"""The claims page's lists, drawn in Python (certification/claim_rows.py): the same HTML the
template drew, every value escaped."""

from __future__ import annotations

import datetime
from typing import Any

from django.template import Context, Template

from certification.claim_rows import full_rows, unit_rows, waiting_rows

# The template's loops as they stood before the rows were drawn in Python: the reference.
FULL = Template(
    """{% for r in full %}<li class="list-group-item"><input class="form-check-input me-2" type="checkbox" name="registrations" value="{{ r.registration_id }}" id="full-{{ r.registration_id }}">
      <label for="full-{{ r.registration_id }}">{{ r.learner_name }}, {{ r.qualification_title }}</label> {% if r.counted_credits %}<span class="small text-body-secondary">{{ r.counted_credits }} credit{{ r.counted_credits|pluralize }} count</span>{% endif %}</li>{% endfor %}"""
)
UNIT = Template(
    """{% load sentences %}{% for r in unit %}<li class="list-group-item"><input class="form-check-input me-2" type="checkbox" name="registrations" value="{{ r.registration_id }}" id="unit-{{ r.registration_id }}">
      <label for="unit-{{ r.registration_id }}">{{ r.learner_name }}, {{ r.qualification_title }}</label>
      {% if r.since %}<span class="badge text-bg-light border" data-testid="units-since">{{ r.since }}</span>{% endif %}
      <div class="small text-body-secondary">Units: {{ r.claimable_units|join:", " }}. Full certificate not yet: {{ r.full_reasons|sentences }}</div></li>{% endfor %}"""
)
WAITING = Template(
    """{% load sentences %}{% for r in waiting %}<li>{{ r.learner_name }}, {{ r.qualification_title }}: {{ r.unit_reasons|sentences }}{% if r.held %} {{ r.held|join:" " }}{% endif %}</li>{% empty %}<li>Nobody.</li>{% endfor %}"""
)

NASTY = '<b>O\'Neil & "Sons"</b>'


def row(pk: int, **changed: Any) -> dict[str, Any]:
    drawn: dict[str, Any] = {
        "registration_id": pk,
        "learner_name": "Ann Lee",
        "qualification_title": "Diploma in Customer Service",
        "counted_credits": 45,
        "claimable_units": ["CU1", "CU2"],
        "full_reasons": ["Group C: 13 of at least 16 credits (3 more needed)", " ", "Not yet."],
        "unit_reasons": ["No unit is achieved and cleared by IQA yet"],
        "held": [],
        "since": "",
    }
    return drawn | changed


ROWS = [
    row(1),
    row(2, counted_credits=1, since="2 more units achieved since certificate ABC123"),
    row(3, counted_credits=0, claimable_units=[], full_reasons=[], held=["CU3 held.", "CU4."]),
    row(4, learner_name=NASTY, qualification_title=NASTY, claimable_units=[NASTY], since=NASTY,
        full_reasons=[NASTY], unit_reasons=[NASTY, NASTY], held=[NASTY]),
]  # fmt: skip


def test_each_list_is_what_the_template_drew():
    assert full_rows(ROWS) == FULL.render(Context({"full": ROWS}))
    assert unit_rows(ROWS) == UNIT.render(Context({"unit": ROWS}))
    assert waiting_rows(ROWS) == WAITING.render(Context({"waiting": ROWS}))


def test_an_empty_list_draws_nothing_but_nobody_waits_says_so():
    assert full_rows([]) == "" and unit_rows([]) == ""
    assert waiting_rows([]) == WAITING.render(Context({"waiting": []})) == "<li>Nobody.</li>"


def test_every_value_is_escaped():
    for drawn in (full_rows(ROWS[3:]), unit_rows(ROWS[3:]), waiting_rows(ROWS[3:])):
        assert "<b>" not in drawn and "&lt;b&gt;O&#x27;Neil &amp; &quot;Sons&quot;" in drawn


# The "issued lately" loop as templates/certification/claims.html had it (with its include).
ISSUED = Template(
    """{% for c, detail, pack in issued %}<li class="list-group-item"><a href="{{ detail }}">{{ c.number }}</a> · {{ c.get_kind_display }} · {{ c.registration.learner.full_name }} · {{ c.issued_at|date:"j M Y" }}
    {% include "certification/partials/state_badge.html" %}
    <form method="post" action="{{ pack }}" class="d-inline">{% csrf_token %}<button class="btn btn-link btn-sm p-0 ms-2" type="submit">Portfolio pack (ZIP)</button></form></li>{% endfor %}"""
)


def certificate(pk: int, name: str, **fields: Any) -> Any:
    """An unsaved certificate whose successors are known (as `select_related` leaves them)."""
    from certification.models import Certificate, Kind, Release, RenderStatus
    from portal.models import User
    from portfolios.models import Registration

    values = {
        "kind": Kind.FULL,
        "status": RenderStatus.READY,
        "release": Release.DIRECT,
        "issued_at": datetime.datetime(2026, 12, 6, 23, 30, tzinfo=datetime.UTC),
        **fields,
    }
    made = Certificate(pk=pk, number=f"C-{pk}&<{pk}>", registration_id=pk, **values)
    made.registration = Registration(pk=pk, learner=User(full_name=name))
    for successor in ("replaced_by", "superseded_by"):
        getattr(Certificate, successor).related.set_cached_value(made, None)
    return made


def test_the_certificates_issued_lately_are_what_the_template_drew():
    from certification.claim_rows import issued_rows
    from certification.models import Kind, RenderStatus

    replaced = certificate(3, "Ann Lee", kind=Kind.UNIT, status=RenderStatus.FAILED)
    type(replaced).replaced_by.related.set_cached_value(replaced, certificate(4, "Ann Lee"))
    issued = [
        (certificate(1, NASTY), "/certificates/1/?a=1&b=2", "/pack/1/"),
        (
            certificate(2, "Bo", revoked_at=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)),
            "/certificates/2/",
            "/pack/2/",
        ),
        (replaced, "/certificates/3/", "/pack/3/"),
    ]
    token = 'tok"en&'
    drawn = issued_rows(issued, token)
    assert drawn == ISSUED.render(Context({"issued": issued, "csrf_token": token}))
    assert "7 Dec 2026" in drawn or "6 Dec 2026" in drawn  # the day, in the site's time zone
    assert issued_rows([], token) == ""
