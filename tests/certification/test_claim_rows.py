"""The claims page's lists, drawn in Python (certification/claim_rows.py): the same HTML the
template drew, every value escaped."""

from __future__ import annotations

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
