"""The plan page's two long lists, its items and the work not in the plan, drawn as HTML here:
the same text templates/iqa/plan_detail.html drew row by row, where each row's dozen lookups,
conditions and escapes cost the template engine more than the rest of the page's lists
together (every value escaped here, as the template escaped it)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString

from iqa.pages import ItemRow, Matrix, Unplanned

SAMPLED = '<span class="badge text-bg-success">Sampled</span>'
PLANNED = '<span class="badge text-bg-light border">Planned</span>'
BY_HAND = ' <span class="badge text-bg-light border">added by hand</span>'


def items_html(rows: Iterable[ItemRow], is_iqa: bool) -> SafeString:
    """The rows of the plan's items table (`{% for item in shown %}` as it was drawn)."""
    return SafeString("".join(_item(row, is_iqa) for row in rows))


def _item(item: ItemRow, is_iqa: bool) -> str:
    unit, learner = escape(item.unit), escape(item.learner)
    if item.sampled:
        action = SAMPLED
    elif is_iqa:
        if item.closed:
            sample = (
                f'<span class="badge text-bg-secondary" title="{escape(item.closed)}">'
                "Registration closed</span>"
            )
        else:
            sample = (
                f'\n          <a class="btn btn-sm btn-primary" href="{escape(item.sample_url)}">'
                f'Sample<span class="visually-hidden"> {unit} for {learner}</span></a>'
            )
        action = (
            f"\n          {sample}\n          "
            '<button class="btn btn-sm btn-outline-danger" form="plan-change" name="remove" '
            f'value="{item.pk}" type="submit">'
            f'Remove<span class="visually-hidden"> {unit} for {learner}</span></button>'
        )
    else:
        action = PLANNED
    return (
        "\n      <tr>\n"
        f'        <td data-label="Assessor">{escape(item.assessor)}</td>'
        f'<td data-label="Learner">{learner}</td><td data-label="Unit">{unit}</td>\n'
        f'        <td data-label="Stage">{escape(str(item.stage))}'
        f"{BY_HAND if item.by_hand else ''}</td>\n"
        f'        <td class="small" data-label="Methods">{escape(item.methods)}</td>\n'
        f'        <td class="text-nowrap pt-2">{action}</td>\n'
        "      </tr>\n    "
    )


def unplanned_html(rows: Iterable[Unplanned], is_iqa: bool) -> SafeString:
    """The rows of the table of work not in the plan (`{% for work in unplanned %}`)."""
    return SafeString("".join(_unplanned(row, is_iqa) for row in rows))


def _unplanned(work: Unplanned, is_iqa: bool) -> str:
    unit, learner = escape(work.unit), escape(work.learner)
    add = (
        '<td class="text-end"><button class="btn btn-sm btn-outline-primary" form="plan-change" '
        f'type="submit" name="add" value="{escape(work.id)}">Add to the plan'
        f'<span class="visually-hidden">: {unit} for {learner}</span></button></td>'
        if is_iqa
        else ""
    )
    return (
        f"\n      <tr><td>{learner}</td><td>{unit}</td><td>{escape(str(work.stage))}</td>"
        f"<td>{escape(work.assessor)}</td>\n        {add}</tr>\n    "
    )


def matrix_html(matrix: Matrix, testid: str) -> SafeString:
    """A coverage matrix as templates/iqa/partials/matrix.html drew it (its cells made already:
    `iqa.pages.cell`)."""
    labels = "".join(
        f'<th scope="col" class="small">{escape(str(label))}</th>' for _, label in matrix.columns
    )
    rows = "".join(
        f'\n      <tr><th scope="row" class="text-start">{escape(name)}</th>\n'
        f"        {cells}\n      </tr>\n      "
        for name, cells in matrix.rows
    )
    return SafeString(
        '<div class="table-responsive mb-4">\n'
        '  <table class="table table-sm table-bordered text-center align-middle" '
        f'data-testid="{escape(testid)}">\n'
        '    <caption class="small">Planned of available work per cell; <strong>gap</strong> marks '
        "work of the period with nothing planned.</caption>\n"
        '    <thead><tr><th scope="col" class="text-start">Assessor</th>'
        f"{labels}</tr></thead>\n"
        "    <tbody>\n"
        f"      {rows}\n"
        "    </tbody>\n"
        "  </table>\n"
        "</div>\n"
    )
