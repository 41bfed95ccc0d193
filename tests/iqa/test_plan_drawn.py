"""The plan page's lists drawn in Python (`iqa.plan_drawn`) are the HTML the template drew row by
row: every branch (sampled, registration closed, to sample, added by hand; the IQA or a centre
admin looking) and names that need escaping, compared with the loops the template had."""

from __future__ import annotations

import itertools

import pytest
from django.template import engines
from django.utils.safestring import SafeString

from iqa.pages import ItemRow, Matrix, Unplanned, cell
from iqa.plan_drawn import items_html, matrix_html, unplanned_html

# The template's loops as they were (templates/iqa/plan_detail.html before they were drawn here).
ITEMS_LOOP = """{% for item in shown %}
      <tr>
        <td data-label="Assessor">{{ item.assessor }}</td><td data-label="Learner">{{ item.learner }}</td><td data-label="Unit">{{ item.unit }}</td>
        <td data-label="Stage">{{ item.stage }}{% if item.by_hand %} <span class="badge text-bg-light border">added by hand</span>{% endif %}</td>
        <td class="small" data-label="Methods">{{ item.methods }}</td>
        <td class="text-nowrap pt-2">{% if item.sampled %}<span class="badge text-bg-success">Sampled</span>{% elif is_iqa %}
          {% if item.closed %}<span class="badge text-bg-secondary" title="{{ item.closed }}">Registration closed</span>{% else %}
          <a class="btn btn-sm btn-primary" href="{{ item.sample_url }}">Sample<span class="visually-hidden"> {{ item.unit }} for {{ item.learner }}</span></a>{% endif %}
          <button class="btn btn-sm btn-outline-danger" form="plan-change" name="remove" value="{{ item.pk }}" type="submit">Remove<span class="visually-hidden"> {{ item.unit }} for {{ item.learner }}</span></button>{% else %}<span class="badge text-bg-light border">Planned</span>{% endif %}</td>
      </tr>
    {% endfor %}"""
UNPLANNED_LOOP = """{% for work in unplanned %}
      <tr><td>{{ work.learner }}</td><td>{{ work.unit }}</td><td>{{ work.stage }}</td><td>{{ work.assessor }}</td>
        {% if is_iqa %}<td class="text-end"><button class="btn btn-sm btn-outline-primary" form="plan-change" type="submit" name="add" value="{{ work.id }}">Add to the plan<span class="visually-hidden">: {{ work.unit }} for {{ work.learner }}</span></button></td>{% endif %}</tr>
    {% endfor %}"""

# templates/iqa/partials/matrix.html as it was.
MATRIX = """<div class="table-responsive mb-4">
  <table class="table table-sm table-bordered text-center align-middle" data-testid="{{ testid }}">
    <caption class="small">Planned of available work per cell; <strong>gap</strong> marks work of the period with nothing planned.</caption>
    <thead><tr><th scope="col" class="text-start">Assessor</th>{% for value, label in matrix.columns %}<th scope="col" class="small">{{ label }}</th>{% endfor %}</tr></thead>
    <tbody>
      {% for name, cells in matrix.rows %}
      <tr><th scope="row" class="text-start">{{ name }}</th>
        {{ cells }}
      </tr>
      {% endfor %}
    </tbody>
  </table>
</div>
"""

NAMES = ["Ann Smith", 'O\'Brien & <Sons> "Ltd"', ""]


def rows() -> list[ItemRow]:
    found = []
    for n, (name, sampled, closed, by_hand) in enumerate(
        itertools.product(NAMES, [False, True], ["", "The registration is withdrawn & closed."],
                          [False, True])
    ):  # fmt: skip
        found.append(
            ItemRow(
                pk=100 + n,
                assessor=f"Assessor {name}",
                learner=name,
                unit=f"A/{n}<1>",
                stage="Interim (during the programme)" if n % 2 else "Summative",
                by_hand=by_hand,
                methods="Observation by the assessor, Product of work" if n % 3 else "",
                sampled=sampled,
                closed=closed,
                sample_url=f"/iqa/registrations/{n}/units/7/sample/?item={100 + n}&x='1'",
            )
        )
    return found


@pytest.mark.parametrize("is_iqa", [True, False])
def test_the_items_are_drawn_as_the_template_drew_them(is_iqa):
    shown = rows()
    drawn = engines["django"].from_string(ITEMS_LOOP).render({"shown": shown, "is_iqa": is_iqa})
    assert items_html(shown, is_iqa) == drawn
    assert items_html([], is_iqa) == ""


@pytest.mark.parametrize("is_iqa", [True, False])
def test_the_work_not_in_the_plan_is_drawn_as_the_template_drew_it(is_iqa):
    work = [
        Unplanned(f"{n}-7-interim", name, f"U<{n}>", "Interim (during the programme)",
                  f"Assessor {name}")
        for n, name in enumerate(NAMES)
    ]  # fmt: skip
    template = engines["django"].from_string(UNPLANNED_LOOP)
    assert unplanned_html(work, is_iqa) == template.render({"unplanned": work, "is_iqa": is_iqa})


@pytest.mark.parametrize("size", [0, 1, 3])
def test_a_coverage_matrix_is_drawn_as_its_template_drew_it(size):
    columns: list[tuple[object, str]] = [(n, f"U<{n}> & 'x'") for n in range(size)]
    rows = [
        (name, SafeString("".join(cell(n % 2, n % 3) for n in range(size))))
        for name in NAMES[:size]
    ]
    matrix = Matrix(columns, rows)
    template = engines["django"].from_string(MATRIX)
    for testid in ("coverage-units", "coverage-methods"):
        assert matrix_html(matrix, testid) == template.render({"matrix": matrix, "testid": testid})
