"""The unit progress page's rows, drawn in Python: a unit has up to a hundred criteria, range
and knowledge items, each with its history link, its state and the evidence behind it. Drawn by
template loops ({% url %} for every row and every piece of evidence) they took most of the
page's time. Every value is escaped here."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from django.utils.safestring import SafeString, mark_safe

from assessment.progress import CriterionProgress, CriterionState, ItemProgress, Rejected
from portal.links import links_to
from portfolios.models import Registration
from portfolios.picker import lines
from qualifications.kept_units import OutcomeRow

BADGES = {
    CriterionState.MET: "text-bg-success",
    CriterionState.NOT_YET: "text-bg-danger",
    CriterionState.PENDING: "text-bg-warning",
    CriterionState.RPL: "text-bg-success",
}


def badge(state: str, evidenced: bool = False) -> str:
    colour = BADGES.get(state) or ("text-bg-info" if evidenced else "text-bg-light border")
    return (
        f'<td class="text-nowrap" data-label="State">'
        f'<span class="badge {colour}">{escape(state)}</span></td>'
    )


def label_cell(label: str, text: str, history: str) -> str:
    """The item's label in bold, its (escaped) text and the link to its history."""
    return (
        f'<td><span class="fw-semibold">{escape(label)}</span> {text}\n'
        f'<a class="small d-block" href="{history}">History'
        f'<span class="visually-hidden"> of {escape(label)}</span></a></td>'
    )


def feedback_note(feedback: str) -> str:
    """The current decision's feedback to the learner, under the item's text."""
    if not feedback:
        return ""
    return f'<div class="small mt-1">Assessor\'s feedback: {lines(feedback)}</div>'


def rejected_notes(rejected: list[Rejected], evidence: Callable[[object], str]) -> str:
    """Evidence the assessor did not accept for the item, each with the reason they gave."""
    return "".join(
        f'<div class="small mt-1 text-danger-emphasis">Not accepted for this: '
        f'<a href="{evidence(r.evidence.pk)}">{escape(r.evidence.title)}</a>'
        + (f" ({lines(r.feedback)})" if r.feedback else "")
        + "</div>"
        for r in rejected
    )


def criteria_rows(
    registration: Registration, outcomes: list[tuple[OutcomeRow, list[CriterionProgress]]]
) -> list[tuple[OutcomeRow, SafeString]]:
    """Each outcome with its criteria's rows (label, state, evidence) as one piece of HTML."""
    history = links_to("assessment:item-history", registration.pk, "criterion")
    evidence = links_to("portfolios:evidence-detail")
    drawn = []
    for outcome, rows in outcomes:
        cells = []
        for row in rows:
            c = row.criterion
            links = "<br>".join(
                f'<a href="{evidence(e.pk)}">{escape(e.title)}</a>' for e in row.evidence
            )
            text = lines(c.text) + feedback_note(row.feedback)
            cells.append(
                "<tr>"
                + label_cell(c.number, text, history(c.pk))
                + badge(row.state, bool(row.evidence))
                + f'<td data-label="Evidence">{links or "—"}'
                + f"{rejected_notes(row.rejected, evidence)}</td></tr>\n"
            )
        drawn.append((outcome, mark_safe("".join(cells))))
    return drawn


def other_rows(registration: Registration, items: list[ItemProgress]) -> SafeString:
    """A CVQ unit's range and knowledge items' rows (label, state)."""
    history = {
        kind: links_to("assessment:item-history", registration.pk, kind)
        for kind in ("range_item", "knowledge_item")
    }
    evidence = links_to("portfolios:evidence-detail")
    cells = []
    for row in items:
        heading = getattr(row.item, "heading", "")
        text = (f"{escape(heading)}: " if heading else "") + lines(row.item.text)
        text += feedback_note(row.feedback) + rejected_notes(row.rejected, evidence)
        cells.append(
            "<tr>"
            + label_cell(row.label, text, history[row.kind](row.item.pk))
            + badge(row.state)
            + "</tr>\n"
        )
    return mark_safe("".join(cells))
