"""Every form is drawn one way (decision 41): its fields by crispy or by portal/fields.py's
`bootstrap_field`, its form-level errors at its top by partials/form_errors.html. Read from the
templates, as a linter would: a field drawn raw (`{{ form }}`, `{{ form.as_p }}`,
`{{ form.title }}`, `{{ field }}`), a control written by hand that is not in BESPOKE, or a
drawn form whose page does not include form_errors.html for it fails here, saying where.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted(
    path
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]
    if ".venv" not in folder.parts and "node_modules" not in folder.parts
    for path in folder.rglob("*.html")
)

# Controls written by hand, by template and name (or id, for those that send nothing), and why
# each is not a form's field drawn by crispy or bootstrap_field. Those a refusal can be about
# show it beside themselves (aria-describedby and aria-invalid, partials/control_errors.html).
BESPOKE: dict[tuple[str, str], str] = {
    # Tables and lists of checkboxes, one a row, drawn with the row they choose. (The table of
    # decisions to countersign and the claims page's lists draw theirs in Python, decision 23:
    # assessment/countersign_rows.py, choosing none said under the table, control_errors.html;
    # certification/claim_rows.py, ticking none said at the top of the page; the IQA's sample
    # form's decisions and evidence, iqa/sample_drawn.py, "none to sample" said beside the
    # list, control_errors.html, the evidence optional.)
    ("assessment/partials/countersign_by_evidence.html", "decisions"): "a checkbox a decision "
    "under each piece of evidence; choosing none is said under the list (control_errors.html)",
    ("portfolios/evidence_map.html", "criteria"): "the learner's chosen criteria above the "
    "picker (drawn in Python, decision 23), kept in step with it by script",
    ("portfolios/partials/unit_checkboxes.html", "optional_units"): "a form field's choices "
    "grouped under headings crispy cannot draw; its errors under the list (control_errors.html)",
    # Filters and searches sent by GET: nothing is refused, an unknown value shows everything.
    ("certification/certificate_list.html", "q"): "the list's search (listing.py)",
    ("certification/certificate_list.html", "kind"): "the list's filter (listing.py)",
    ("certification/certificate_list.html", "state"): "the list's filter (listing.py)",
    ("certification/claims.html", "qualification"): "the page's filter",
    ("certification/verify.html", "number"): "the public verification search: a number not "
    "found is the page's answer, not an error",
    ("home/centre_admin.html", "q"): "the people search",
    ("portfolios/registration_list.html", "q"): "the list's search (listing.py)",
    ("portfolios/registration_list.html", "qualification"): "the list's filter (listing.py)",
    ("portfolios/registration_list.html", "status"): "the list's filter (listing.py)",
    ("portfolios/registration_list.html", "staff"): "the list's filter (listing.py): who has left",
    ("qualifications/partials/search_form.html", "q"): "the catalogue's search",
    # Controls that send nothing: they filter a list in the browser.
    ("assessment/evidence_review.html", "picker-filter"): "filters the picker in the browser",
    ("portfolios/evidence_map.html", "picker-filter"): "filters the picker in the browser",
    # One a row, in htmx forms that answer with the row.
    ("assessment/evidence_review.html", "feedback"): "the reason to reject one mapping, in the "
    "mapping's own card (labelled for screen readers); optional",
    # One select a person, on a page whose form is drawn by crispy.
    ("iqa/strategy_form.html", "risk-{{ assessor.pk }}"): "one select an assessor of the "
    "centre, not a field of the form; any other value keeps the risk as it was",
    # The confirmed CSV file, sent again with the confirmation.
    ("portfolios/registration_bulk.html", "content"): "hidden: the file being confirmed",
}

CONTROL = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.S)
# A form or field printed with no renderer: {{ form }}, {{ form.as_p }}, {{ form.title }},
# {{ row.response_form.response }}, {{ field }}.
RAW = re.compile(
    r"\{\{\s*((?:[\w.]*_)?form(?:\.\w+)?|field(?:\.\w+)?"
    r"|[\w.]+\.(?:as_widget|as_p|as_table|as_ul|as_div|as_field_group))\s*\}\}"
)
# What a form drawn by crispy or bootstrap_field is called: the name before `|crispy`, or
# before the field's name for a field drawn alone.
DRAWN_FORM = re.compile(r"\{\{\s*([\w.]+?)(?:\.\w+)?\|(?:crispy|as_crispy_field)\s*\}\}")
DRAWN_FIELD = re.compile(r"\{\{\s*([\w.]+)\.\w+\|bootstrap_field\s*\}\}")
ERRORS_SHOWN = re.compile(
    r'\{%\s*include\s+"partials/form_errors\.html"(?:\s+with\s+form=([\w.]+))?\s*%\}'
)
# Printed raw on purpose, and why.
RAW_ALLOWED = {
    "form.form_token": "a hidden input: the form's one-time token (iqa.forms.SentOnceForm)",
}


COMMENTS = re.compile(r"\{% comment %\}.*?\{% endcomment %\}|\{#.*?#\}", re.S)


def text_of(path: Path) -> str:
    """The template without its comments (which may name what they do not draw)."""
    return COMMENTS.sub("", path.read_text())


def name_of(path: Path) -> str:
    """The template's name, as Django loads it."""
    last = len(path.parts) - 1 - path.parts[::-1].index("templates")
    return "/".join(path.parts[last + 1 :])


def hand_written_controls(text: str) -> list[str]:
    """The name (or id, for a control that sends nothing) of each visible control written by
    hand in the template."""
    found = []
    for _, attrs in CONTROL.findall(text):
        if 'type="hidden"' in attrs:
            continue
        name = re.search(r'\bname="([^"]*)"', attrs) or re.search(r'\bid="([^"]*)"', attrs)
        found.append(name.group(1) if name else attrs.strip())
    return found


def loops(text: str) -> dict[str, str]:
    """What each {% for x in y %} names: a loop over a form's fields, or over forms."""
    return dict(re.findall(r"\{%\s*for\s+(\w+)\s+in\s+([\w.]+)\s*%\}", text))


def forms_drawn(text: str) -> set[str]:
    drawn = {m for m in DRAWN_FORM.findall(text)} | set(DRAWN_FIELD.findall(text))
    named = loops(text)
    return {named.get(name, name) for name in drawn}


def test_the_scan_finds_the_templates():
    names = {name_of(p) for p in TEMPLATES}
    assert {"iqa/sample_form.html", "portfolios/evidence_form.html"} <= names


@pytest.mark.parametrize("path", TEMPLATES, ids=name_of)
def test_no_form_or_field_is_printed_without_a_renderer(path):
    raw = [m for m in RAW.findall(text_of(path)) if m not in RAW_ALLOWED]
    assert not raw, f"{name_of(path)} prints {raw} raw: draw with |crispy or |bootstrap_field"


@pytest.mark.parametrize("path", TEMPLATES, ids=name_of)
def test_every_control_written_by_hand_is_one_said_to_be_bespoke(path):
    name = name_of(path)
    unknown = [c for c in hand_written_controls(text_of(path)) if (name, c) not in BESPOKE]
    assert not unknown, (
        f"{name} writes the controls {unknown} by hand: draw them with crispy or "
        "bootstrap_field, or add them to BESPOKE saying why and where their errors show"
    )


@pytest.mark.parametrize("path", TEMPLATES, ids=name_of)
def test_every_form_drawn_shows_its_form_level_errors_at_its_top(path):
    text = text_of(path)
    named = loops(text)
    shown = {named.get(form, form) or "form" for form in ERRORS_SHOWN.findall(text)}
    missing = forms_drawn(text) - shown
    assert not missing, (
        f'{name_of(path)} draws {sorted(missing)} without {{% include "partials/form_errors.html"'
        f" with form=... %}}: its form-level errors would not be shown"
    )


def test_each_bespoke_control_is_still_there():
    found = {(name_of(p), c) for p in TEMPLATES for c in hand_written_controls(text_of(p))}
    gone = sorted(set(BESPOKE) - found)
    assert not gone, f"BESPOKE lists controls no template writes any more: {gone}"


def test_the_scan_catches_what_it_is_for():
    page = (
        "{{ form.as_p }} {{ form }} {{ field }} {{ row.response_form.reason }} {{ f.as_widget }}"
        '<input type="text" name="note"> <input type="hidden" name="kept">'
        "{{ lift_form|crispy }}{{ form.reason|bootstrap_field }}"
    )
    assert RAW.findall(page) == [
        "form.as_p",
        "form",
        "field",
        "row.response_form.reason",
        "f.as_widget",
    ]
    assert hand_written_controls(page) == ["note"]
    assert forms_drawn(page) == {"lift_form", "form"}
    assert not {"lift_form"} - {
        f or "form"
        for f in ERRORS_SHOWN.findall(
            '{% include "partials/form_errors.html" with form=lift_form %}'
        )
    }
