"""The countersigning page's rows, drawn in Python (assessment/countersign_rows.py): the same HTML
the template drew, every value escaped."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse

from assessment.countersign_rows import countersign_rows
from assessment.pages import CountersignLine

# The template's loop as it stood before the rows were drawn in Python: the reference.
TEMPLATE_ROWS = Template(
    """{% for d in decisions %}
      {% ifchanged d.registration d.unit %}
      <tr class="table-light" data-testid="group">
        <th scope="rowgroup" colspan="5">{{ d.learner }} · {{ d.unit_code }} <span class="small fw-normal text-body-secondary">{{ d.qualification }}</span></th>
        <td class="text-end pt-2"><button class="btn btn-sm btn-primary" type="submit" name="group" value="{{ d.registration }}-{{ d.unit }}-{{ d.group.1 }}">Countersign all {{ d.group.0 }}<span class="visually-hidden"> decision{{ d.group.0|pluralize }} on {{ d.unit_code }} for {{ d.learner }}</span></button></td>
      </tr>
      {% endifchanged %}
      <tr>
        <td data-label="Countersign"><input class="form-check-input{% if ticks_errors %} is-invalid{% endif %}" type="checkbox" name="decisions" value="{{ d.pk }}" id="d-{{ d.pk }}" aria-label="Countersign {{ d.item_code }} for {{ d.learner }}"{% if ticks_errors %} aria-invalid="true" aria-describedby="decisions_error"{% endif %}></td>
        <td data-label="Learner">{{ d.learner }}</td>
        <td><span class="fw-semibold">{{ d.item_code }}</span> {{ d.item_text }}</td>
        <td data-label="Decision">{{ d.outcome }} by {{ d.decided_by }}<div class="small text-body-secondary">{{ d.method }}, {{ d.assessed_on }}{% if d.feedback %} · “{{ d.feedback }}”{% endif %}</div></td>
        <td data-label="Decided">{{ d.decided_at }}</td>
        <td data-label="Evidence">{% for link, title, about in d.evidence %}<a href="{{ link }}">{{ title }}</a> <span class="small text-body-secondary" data-testid="setting-kind">({{ about }})</span>{% if not forloop.last %}<br>{% endif %}{% endfor %}
          <div class="small mt-1"><a href="{% url 'assessment:decision-return' d.pk %}">Return with a reason<span class="visually-hidden">: {{ d.item_code }} for {{ d.learner }}</span></a></div></td>
      </tr>
    {% endfor %}"""
)

NASTY = '<b>O\'Neil & "Sons"</b>'


def line(pk: int, registration: int, unit: int, **changed: object) -> CountersignLine:
    drawn = CountersignLine(
        pk=pk,
        registration=registration,
        unit=unit,
        group=(2, pk + 1),
        learner="Ann Lee",
        qualification="Diploma in Customer Service",
        unit_code="CU1",
        item_code="CU1 1.2",
        item_text="Greet customers",
        outcome="Met",
        decided_by="Tom Trainee",
        method="Observation",
        assessed_on="3 May 2026",
        feedback="",
        decided_at="4 May 2026",
        evidence=[
            ("/evidence/7/", "Till log", "Real work · Product"),
            ("/evidence/9/", "Witness statement", "Simulated · kind not stated"),
        ],
    )
    drawn.update(changed)  # type: ignore[typeddict-item]
    return drawn


LINES = [
    line(1, 10, 100),
    line(2, 10, 100, feedback="Well done", evidence=[]),
    line(3, 10, 101, group=(1, 3), unit_code="CU2"),
    line(4, 11, 101, learner=NASTY, item_text=NASTY, feedback=NASTY, decided_by=NASTY,
         qualification=NASTY, evidence=[("/evidence/8/", NASTY, "Real work · Product")], item_code=NASTY),
]  # fmt: skip


@pytest.mark.parametrize("invalid", [False, True])
def test_the_rows_are_what_the_template_drew(invalid):
    ticks_errors = ["Choose at least one decision to countersign."] if invalid else []
    expected = TEMPLATE_ROWS.render(Context({"decisions": LINES, "ticks_errors": ticks_errors}))
    assert countersign_rows(LINES, invalid=invalid) == expected


def test_every_value_is_escaped():
    drawn = countersign_rows(LINES[3:], invalid=False)
    assert "<b>" not in drawn
    assert drawn.count("&lt;b&gt;O&#x27;Neil &amp; &quot;Sons&quot;&lt;/b&gt;") == 13


def test_a_heading_row_for_each_learners_unit_with_its_count_and_newest_decision():
    drawn = countersign_rows(LINES, invalid=False)
    assert drawn.count('data-testid="group"') == 3
    assert 'value="10-100-2">Countersign all 2<span class="visually-hidden"> decisions' in drawn
    assert 'value="10-101-3">Countersign all 1<span class="visually-hidden"> decision on' in drawn


def test_each_row_links_to_returning_its_decision():
    drawn = countersign_rows(LINES[:1], invalid=False)
    assert f'href="{reverse("assessment:decision-return", args=[1])}"' in drawn
