"""The sample form's decisions and evidence drawn in Python (`iqa.sample_drawn`, issue 17,
seventh round) are what the template's loops drew, byte for byte: values needing escaping,
none of either, a refusal marking the boxes, a piece with files and one without, dates of
every month."""

import datetime
from types import SimpleNamespace

import pytest
from django.template import Context, Template

from iqa.pages import DecisionRow
from iqa.sample_drawn import decision_rows_html, evidence_html

# The template's loops as they were (templates/iqa/sample_form.html before the change).
ROWS_LOOP = """{% for d in rows %}
      <div class="form-check border-bottom py-2">
        <input class="form-check-input{% if decisions_errors %} is-invalid{% endif %}" type="checkbox" name="decisions" value="{{ d.pk }}" id="d-{{ d.pk }}"{% if decisions_errors %} aria-invalid="true" aria-describedby="decisions_error"{% endif %} checked>
        <label class="form-check-label" for="d-{{ d.pk }}"><span class="fw-semibold">{{ d.label }}</span> {{ d.text }}</label>
        <div class="small">{{ d.summary }}</div>
      </div>
      {% empty %}<p>No decisions on this unit yet.</p>{% endfor %}"""
EVIDENCE_LOOP = """{% for e in evidence %}
      <div class="form-check py-1">
        <input class="form-check-input" type="checkbox" name="evidence" value="{{ e.pk }}" id="e-{{ e.pk }}" checked>
        <label class="form-check-label" for="e-{{ e.pk }}">{{ e.title }}</label>
        <a class="small ms-2" href="{% url 'portfolios:evidence-detail' e.pk %}" target="_blank" rel="noopener">open</a>
        <div class="small text-body-secondary">{{ e.method_label }} · {{ e.occurred_on|date:"j M Y" }} · {{ e.file_names|default:"no files" }}</div>
      </div>
      {% endfor %}"""

ODD = "<b>Tom & \"Jerry\"</b> 'quoted'"

ROWS = [
    DecisionRow(12, "1.1", "Plain words", "Met by Ann · Observation · 3 Oct 2026"),
    DecisionRow(7, f"Range {ODD}", ODD, f"Not met by {ODD} · \u201c{ODD}\u201d"),
    DecisionRow(123456789, "K3", "", ""),
]


@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], []])
@pytest.mark.parametrize("errors", [[], ["Tick the decisions you looked at."]])
def test_the_decisions_are_drawn_as_the_template_drew_them(rows, errors):
    drawn = Template(ROWS_LOOP).render(Context({"rows": rows, "decisions_errors": errors}))
    assert decision_rows_html(rows, bool(errors)) == drawn


def piece(pk, title, method_label, occurred_on, file_names):
    return SimpleNamespace(
        pk=pk,
        title=title,
        method_label=method_label,
        occurred_on=occurred_on,
        file_names=file_names,
    )


def test_the_evidence_is_drawn_as_the_template_drew_it():
    pieces = [
        piece(5, "Photos of the job", "Product", datetime.date(2026, 1, 9), "a.pdf, b.txt"),
        piece(987, ODD, ODD, datetime.date(2025, 12, 31), ""),
        piece(1, "Same day", "Observation", datetime.date(2025, 12, 31), ODD),
        *(
            piece(100 + m, f"Month {m}", "Witness", datetime.date(2026, m, 28), "x.png")
            for m in range(1, 13)
        ),
    ]
    for evidence in (pieces, pieces[:1], []):
        drawn = Template(EVIDENCE_LOOP).render(Context({"evidence": evidence}))
        assert evidence_html(evidence) == drawn


def test_a_form_sent_back_ticks_only_the_boxes_sent():
    """On a form sent back after a refusal, the boxes are as the IQA ticked them; afresh
    (`sent` None), every box, as the template drew them."""
    rows = decision_rows_html(ROWS, True, {7})
    assert rows.count(" checked>") == 1 and 'value="7" id="d-7"' in rows
    assert 'id="d-7" aria-invalid="true" aria-describedby="decisions_error" checked>' in rows
    assert decision_rows_html(ROWS, False, set()).count("checked") == 0
    pieces = [piece(5, "A", "Product", datetime.date(2026, 1, 9), ""), piece(6, "B", "W", None, "")]
    drawn = evidence_html(pieces, {6})
    assert 'id="e-5">' in drawn and 'id="e-6" checked>' in drawn
    assert evidence_html(pieces).count(" checked>") == 2
