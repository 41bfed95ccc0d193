"""The criteria picker's items, as the learner's mapping page and the assessor's review page
show them: read as plain rows and drawn here, one short string an item.

A learner's units hold several hundred criteria, range and knowledge items. Drawn by template
loops (a dozen variables, a filter and a partial an item) they took 30-40 ms of each page;
drawn here, under a millisecond. The template keeps the page's structure (units, outcomes);
only the repeated item is made in Python, with every value escaped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.text import normalize_newlines

from qualifications.kept_units import UnitRows

NOTHING = SafeString("")

# The form's field for each kind of item, and the prefix of its checkbox's id.
KINDS = {"criteria": "c", "range_items": "r", "knowledge_items": "k"}

# The colour of a decision's state, as assessment/partials/state_badge.html draws it.
BADGES = {"Met": "text-bg-success", "Not yet met": "text-bg-danger"}


def lines(text: str) -> str:
    """The text escaped, its line breaks kept: what the template filter `linebreaksbr` does."""
    return escape(normalize_newlines(text)).replace("\n", "<br>")


def badge(state: str) -> str:
    """A decision's state, as assessment/partials/state_badge.html draws it."""
    if not state:
        return ""
    colour = BADGES.get(state, "text-bg-warning")
    return f'<span class="badge {colour}">{escape(state)}</span>'


@dataclass(frozen=True)
class Item:
    kind: str  # "criteria", "range_items" or "knowledge_items", the form's field
    pk: int
    number: str  # printed in bold before the text: "1.2", "1a(ii)", "K3"
    label: str  # the rest, already escaped

    def html(self, checked: bool, state: str = "", disabled: bool = False) -> str:
        box = f"{KINDS[self.kind]}-{self.pk}"
        # An item not to be decided here (met through RPL, decision 54 amended) is shown
        # greyed out, never ticked: a browser sends no disabled box.
        tick = " disabled" if disabled else " checked" if checked else ""
        return (
            f'<div class="form-check picker-item">'
            f'<input class="form-check-input" type="checkbox" name="{self.kind}" '
            f'value="{self.pk}" id="{box}"{tick}>'
            f'<label class="form-check-label" for="{box}"><span class="fw-semibold">'
            f"{escape(self.number)}</span> {self.label}</label>{badge(state)}</div>\n"
        )


@dataclass
class Outcome:
    number: str
    text: str
    items: list[Item] = field(default_factory=list)
    html: SafeString = NOTHING


@dataclass
class PickerUnit:
    pk: int
    code: str
    title: str
    uses_elements: bool
    outcomes: list[Outcome] = field(default_factory=list)
    range_items: list[Item] = field(default_factory=list)
    knowledge_items: list[Item] = field(default_factory=list)
    range_html: SafeString = NOTHING
    knowledge_html: SafeString = NOTHING
    # Everything above drawn: the unit's items as portfolios/partials/picker_items.html shows
    # them (its outcomes, then its range and knowledge items, each in a fieldset).
    html: SafeString = NOTHING
    # On the review page: the unit is another assessor's to decide (decision 39), and the
    # address of its sign-off page.
    elsewhere: bool = False
    sign_off: str = ""


def picker_units(rows: Iterable[UnitRows]) -> list[PickerUnit]:
    """The units (as given: by code), each with its outcomes and their criteria, its range and
    its knowledge items (each in the specification's order), from the catalogue's rows kept per
    revision (`qualifications.kept_units.units_rows`)."""
    units = []
    for u in rows:
        unit = PickerUnit(u.pk, u.code, u.title, u.uses_elements)
        outcomes = {o.pk: Outcome(o.number, o.text) for o in u.outcomes}
        unit.outcomes = list(outcomes.values())
        for c in u.criteria:
            outcomes[c.outcome].items.append(Item("criteria", c.pk, c.number, lines(c.text)))
        unit.range_items = [
            Item("range_items", r.pk, r.reference, f"{escape(r.heading)}: {escape(r.text)}")
            for r in u.range_items
        ]
        unit.knowledge_items = [
            Item("knowledge_items", k.pk, f"K{k.number}", lines(k.text)) for k in u.knowledge_items
        ]
        units.append(unit)
    return units


def draw(
    units: list[PickerUnit],
    chosen: Mapping[str, set[int]],
    states: Mapping[str, Mapping[int, str]] | None = None,
    disabled: Mapping[str, set[int]] | None = None,
) -> list[PickerUnit]:
    """Draw every item, ticked where `chosen` says, with its decision's state where `states`
    has one (the review page), and greyed out where `disabled` says (met through RPL)."""

    def drawn(items: list[Item]) -> SafeString:
        return mark_safe(
            "".join(
                item.html(
                    item.pk in chosen[item.kind],
                    states[item.kind].get(item.pk, "") if states else "",
                    disabled is not None and item.pk in disabled[item.kind],
                )
                for item in items
            )
        )

    for unit in units:
        for outcome in unit.outcomes:
            outcome.html = drawn(outcome.items)
        unit.range_html = drawn(unit.range_items)
        unit.knowledge_html = drawn(unit.knowledge_items)
        unit.html = fieldsets(unit)
    return units


def fieldsets(unit: PickerUnit) -> SafeString:
    """A drawn unit's items in their fieldsets: an outcome's (or a CVQ element's) criteria,
    then the range and the underpinning knowledge where the unit has them. Drawn here rather
    than by a template loop per unit: a unit has up to a dozen outcomes, and a plan 15 units."""
    heading = "Element" if unit.uses_elements else "Outcome"
    parts = [
        f'<fieldset class="mb-3 picker-outcome">\n'
        f'<legend class="h6">{heading} {escape(o.number)}: {escape(o.text)}</legend>\n'
        f"{o.html}</fieldset>\n"
        for o in unit.outcomes
    ]
    if unit.range_items:
        parts.append(
            '<fieldset class="mb-3 picker-outcome"><legend class="h6">Range</legend>\n'
            f"{unit.range_html}</fieldset>\n"
        )
    if unit.knowledge_items:
        parts.append(
            '<fieldset class="mb-3 picker-outcome">'
            '<legend class="h6">Underpinning knowledge</legend>\n'
            f"{unit.knowledge_html}</fieldset>\n"
        )
    return mark_safe("".join(parts))
