"""The countersigning page's rows, drawn in Python (decision 23): a heading row for each
learner's unit with its "Countersign all" button, then a row per decision with its tick, item,
decision, evidence and return link. Drawn by the template they were about a fifth of the page's
time (some 400 variable renders and a `{% url %}` for each page of 25). Every value is escaped
here."""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

from assessment.pages import CountersignLine
from portal.links import links_to

# What the tick says when the form came back with none ticked (the error is under the table).
INVALID = ' aria-invalid="true" aria-describedby="decisions_error"'


def countersign_rows(lines: list[CountersignLine], *, invalid: bool) -> SafeString:
    """The table's body: `invalid` when the form was sent with nothing ticked."""
    returning = links_to("assessment:decision-return")
    drawn: list[str] = []
    last: tuple[int, int] | None = None
    for line in lines:
        drawn.append("\n      ")
        if (line["registration"], line["unit"]) != last:
            last = (line["registration"], line["unit"])
            drawn.append(group_row(line))
        drawn.append(decision_row(line, returning(line["pk"]), invalid))
    return mark_safe("".join(drawn))


def group_row(line: CountersignLine) -> str:
    """The learner's unit, and a button countersigning all of it that waits (up to the newest
    shown: `group` is how many, and the newest id)."""
    count, upto = line["group"]
    learner, unit = escape(line["learner"]), escape(line["unit_code"])
    return (
        '\n      <tr class="table-light" data-testid="group">\n'
        f'        <th scope="rowgroup" colspan="5">{learner} · {unit} '
        f'<span class="small fw-normal text-body-secondary">{escape(line["qualification"])}'
        "</span></th>\n"
        '        <td class="text-end pt-2"><button class="btn btn-sm btn-primary" type="submit" '
        f'name="group" value="{line["registration"]}-{line["unit"]}-{upto}">Countersign all '
        f'{count}<span class="visually-hidden"> decision{"" if count == 1 else "s"} on {unit} '
        f"for {learner}</span></button></td>\n"
        "      </tr>\n      "
    )


def decision_row(line: CountersignLine, return_link: str, invalid: bool) -> str:
    pk, learner, item = line["pk"], escape(line["learner"]), escape(line["item_code"])
    feedback = f" · “{escape(line['feedback'])}”" if line["feedback"] else ""
    evidence = "<br>".join(
        f'<a href="{escape(link)}">{escape(title)}</a> '
        f'<span class="small text-body-secondary" data-testid="setting-kind">({escape(about)})'
        "</span>"
        for link, title, about in line["evidence"]
    )
    return (
        "\n      <tr>\n"
        '        <td data-label="Countersign"><input class="form-check-input'
        f'{" is-invalid" if invalid else ""}" type="checkbox" name="decisions" value="{pk}" '
        f'id="d-{pk}" aria-label="Countersign {item} for {learner}"'
        f"{INVALID if invalid else ''}></td>\n"
        f'        <td data-label="Learner">{learner}</td>\n'
        f'        <td><span class="fw-semibold">{item}</span> {escape(line["item_text"])}</td>\n'
        f'        <td data-label="Decision">{escape(line["outcome"])} by '
        f'{escape(line["decided_by"])}<div class="small text-body-secondary">'
        f"{escape(line['method'])}, {escape(line['assessed_on'])}{feedback}</div></td>\n"
        f'        <td data-label="Decided">{escape(line["decided_at"])}</td>\n'
        f'        <td data-label="Evidence">{evidence}\n'
        f'          <div class="small mt-1"><a href="{return_link}">Return with a reason'
        f'<span class="visually-hidden">: {item} for {learner}</span></a></div></td>\n'
        "      </tr>\n    "
    )
