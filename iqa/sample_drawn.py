"""The sample form's two lists, drawn in Python: the unit's decisions (a unit has a dozen or
two) and the evidence they cite. Drawn by the template, each row's variables, conditions, the
address and the date filter cost some 300 Python calls (about 7,000 of the page's 33,000 at
the big centre, issue 17, seventh round). Every value is escaped as the template escaped it
(`portal.markup.ESCAPES`); `tests/iqa/test_sample_drawn.py` holds them to what the template
drew."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe

from portal.markup import ESCAPES
from portfolios.models import Evidence

NO_DECISIONS = "<p>No decisions on this unit yet.</p>"
# Where a refusal about the decisions ticked marks each box (the template's conditions).
INVALID = " is-invalid"
DESCRIBED = ' aria-invalid="true" aria-describedby="decisions_error"'
# An id no piece of evidence has, reversed in the address in place of each piece's.
STAND_IN = 987_654_321_987


def ticked(pk: int, sent: Collection[int] | None) -> str:
    """A box's `checked`: every box on a form shown afresh (`sent` None), and on a form sent
    back after a refusal, the boxes the IQA had ticked (their choice is not lost)."""
    return " checked" if sent is None or pk in sent else ""


def decision_rows_html(
    rows: Iterable[object], invalid: bool, sent: Collection[int] | None = None
) -> SafeString:
    """Each decision (`iqa.pages.DecisionRow`) with its box, ticked (or as sent: `ticked`);
    marked invalid when the decisions ticked were refused (`invalid`); a line saying there
    are none, if none."""
    t = ESCAPES
    mark, described = (INVALID, DESCRIBED) if invalid else ("", "")
    drawn = "".join(
        '\n      <div class="form-check border-bottom py-2">\n'
        f'        <input class="form-check-input{mark}" type="checkbox" name="decisions" '
        f'value="{d.pk}" id="d-{d.pk}"{described}{ticked(d.pk, sent)}>\n'  # type: ignore[attr-defined]
        f'        <label class="form-check-label" for="d-{d.pk}"><span class="fw-semibold">'  # type: ignore[attr-defined]
        f"{str(d.label).translate(t)}</span> {str(d.text).translate(t)}</label>\n"  # type: ignore[attr-defined]
        f'        <div class="small">{str(d.summary).translate(t)}</div>\n'  # type: ignore[attr-defined]
        "      </div>\n      "
        for d in rows
    )
    return mark_safe(drawn or NO_DECISIONS)


def evidence_html(evidence: Iterable[Evidence], sent: Collection[int] | None = None) -> SafeString:
    """Each piece of evidence the decisions cite, ticked (or as sent: `ticked`), with its
    link, how it was gathered (`method_label`), when, and its files' names (`file_names`, made
    by `unit_under_sample`)."""
    t = ESCAPES
    dates: dict[object, str] = {}
    lines = []
    # The address reversed once, each piece's id put in its place.
    before, after = reverse("portfolios:evidence-detail", args=[STAND_IN]).rsplit(str(STAND_IN), 1)
    for e in evidence:
        on = e.occurred_on
        if on not in dates:
            dates[on] = date_format(on, "j M Y") if on else ""
        link = f"{before}{e.pk}{after}"
        files = e.file_names or "no files"  # type: ignore[attr-defined]
        lines.append(
            '\n      <div class="form-check py-1">\n'
            f'        <input class="form-check-input" type="checkbox" name="evidence" '
            f'value="{e.pk}" id="e-{e.pk}"{ticked(e.pk, sent)}>\n'
            f'        <label class="form-check-label" for="e-{e.pk}">{str(e.title).translate(t)}'
            "</label>\n"
            f'        <a class="small ms-2" href="{link.translate(t)}" target="_blank" '
            'rel="noopener">open</a>\n'
            f'        <div class="small text-body-secondary">{str(e.method_label).translate(t)} · '  # type: ignore[attr-defined]
            f"{dates[on].translate(t)} · {str(files).translate(t)}</div>\n"
            "      </div>\n      "
        )
    return mark_safe("".join(lines))
