"""Form fields drawn in Python, in the markup crispy-forms' Bootstrap 5 templates give them.

Crispy draws a field through a dozen nested templates and Django's widget templates, about a
millisecond a field: a few milliseconds of a busy page for a short form. `bootstrap_field`
draws the same markup (labels, the required asterisk, the classes, `aria-invalid` and
`aria-describedby` naming the errors and help, the errors) from the bound field's own data,
for the kinds of input it knows: radio buttons, single checkboxes, selects, text-like inputs
(dates, numbers, e-mail addresses) and text areas. It is the one way a field is drawn without
crispy (decision 41). The tests hold it to crispy's output, whitespace aside, for each kind,
with and without errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django import forms
from django.forms.widgets import ChoiceWidget, Input
from django.utils.safestring import SafeString, mark_safe

# The classes crispy gives each kind of input (subclasses before their bases).
CLASSES: tuple[tuple[type[forms.Widget], str], ...] = (
    (forms.CheckboxInput, "checkboxinput form-check-input"),
    (forms.DateInput, "dateinput form-control"),
    (forms.EmailInput, "emailinput form-control"),
    (forms.NumberInput, "numberinput form-control"),
    (forms.TextInput, "textinput form-control"),
    (forms.Textarea, "textarea form-control"),
    (forms.Select, "select form-select"),
)


def bootstrap_field(field: forms.BoundField) -> SafeString:
    """The field as `{{ field|as_crispy_field }}` draws it with the Bootstrap 5 pack."""
    widget = field.field.widget
    if field.is_hidden:
        return mark_safe(str(field))
    if not field.label:
        raise TypeError("fields without a label are not drawn here; use crispy")
    # Checked first: Django's CheckboxSelectMultiple is a kind of RadioSelect.
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.FileInput):
        raise TypeError(f"{type(widget).__name__} is not drawn here; use crispy")
    if isinstance(widget, forms.RadioSelect):
        return mark_safe(f"\n{radios(field, widget)}\n")
    attrs = input_attrs(field, widget)
    if isinstance(widget, forms.CheckboxInput):
        return mark_safe(f"\n{checkbox(field, widget, attrs)}\n")
    if isinstance(widget, forms.Select):
        shown = control_select(field, widget, attrs)
    elif isinstance(widget, forms.Textarea):
        text = escape(widget.format_value(field.value()) or "")
        shown = f'<textarea name="{escape(field.html_name)}"{flat(attrs)}>\n{text}</textarea>'
    elif isinstance(widget, Input):
        value = widget.format_value(field.value())
        given = "" if value is None else f' value="{escape(str(value))}"'
        name = escape(field.html_name)
        shown = f'<input type="{widget.input_type}" name="{name}"{given}{flat(attrs)}>'
    else:
        raise TypeError(f"{type(widget).__name__} is not drawn here; use crispy")
    # Set apart by line breaks, as crispy's are, so that pages read the same as before.
    return mark_safe(
        f'\n<div id="div_{field.auto_id}" class="{wrapper(field)}"> {label(field)} {shown} '
        f"{errors(field)}{help_text(field)}</div>\n"
    )


def wrapper(field: forms.BoundField) -> str:
    extra = field.css_classes()
    return f"mb-3 {extra}" if extra else "mb-3"


def input_attrs(field: forms.BoundField, widget: forms.Widget) -> dict[str, Any]:
    """The input's attributes in the order crispy's render gives them: the widget's own, its
    class, then Django's (required, aria-invalid, aria-describedby) and the id."""
    own = next((css for kind, css in CLASSES if isinstance(widget, kind)), "")
    css = " ".join(c for c in (widget.attrs.get("class", ""), own) if c)
    attrs = {**widget.attrs, "class": css + (" is-invalid" if field.errors else "")}
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    return attrs


def flat(attrs: dict[str, Any]) -> str:
    """Attributes as Django's widget template attrs.html writes them."""
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def label(field: forms.BoundField, tag: str = "label") -> str:
    required = field.field.required
    css = "form-label requiredField" if required else "form-label"
    star = '<span class="asteriskField">*</span>' if required else ""
    text = escape(str(field.label))
    return f'<label for="{field.id_for_label}" class="{css}"> {text}{star} </label>'


def options(field: forms.BoundField, widget: ChoiceWidget) -> Iterable[tuple[str, str, bool]]:
    """(value, label, chosen) of every choice."""
    chosen = set(widget.format_value(field.value()))
    for value, text in field.field.choices:  # type: ignore[attr-defined]
        if isinstance(text, list | tuple):
            raise TypeError("grouped choices are not drawn here; use crispy")
        shown = "" if value is None else str(value)
        yield shown, str(text), shown in chosen


def control_select(field: forms.BoundField, widget: forms.Select, attrs: dict[str, Any]) -> str:
    if widget.allow_multiple_selected:
        raise TypeError("multiple selects are not drawn here; use crispy")
    drawn = "".join(
        f' <option value="{escape(value)}"{" selected" if chosen else ""}>{escape(text)}</option>'
        for value, text, chosen in options(field, widget)
    )
    return f'<select name="{escape(field.html_name)}"{flat(attrs)}>{drawn} </select>'


def checkbox(field: forms.BoundField, widget: forms.CheckboxInput, attrs: dict[str, Any]) -> str:
    """A single checkbox, its label after it, in a form-check inside a margin, as crispy's."""
    if widget.check_test(field.value()):
        attrs = {**attrs, "checked": True}
    required = " requiredField" if field.field.required else ""
    star = '<span class="asteriskField">*</span>' if field.field.required else ""
    extra = field.css_classes()
    css = f"form-check {extra}" if extra else "form-check"
    name = escape(field.html_name)
    value = widget.format_value(field.value())
    given = "" if value is None else f' value="{escape(value)}"'
    return (
        f'<div class="mb-3"> <div id="div_{field.auto_id}" class="{css}"> '
        f'<input type="checkbox" name="{name}"{given}{flat(attrs)}> '
        f'<label for="{field.id_for_label}" class="form-check-label{required}"> '
        f"{escape(str(field.label))}{star} </label> {errors(field)}{help_text(field)}</div> </div>"
    )


def radios(field: forms.BoundField, widget: forms.RadioSelect) -> str:
    """Radio buttons in a fieldset, its legend the label, the errors after the last button."""
    required = field.field.required
    ids = field.aria_describedby
    described = f' aria-describedby="{ids}"' if ids else ""
    legend_css = "form-label requiredField fs-6" if required else "form-label fs-6"
    star = '<span class="asteriskField">*</span>' if required else ""
    invalid = " is-invalid" if field.errors else ""
    common = " required" if required and field.form.use_required_attribute else ""
    common += ' aria-invalid="true"' if field.errors else ""
    choices = list(options(field, widget))
    drawn = []
    for i, (value, text, chosen) in enumerate(choices):
        box = f"{field.auto_id}_{i}"
        tick = " checked" if chosen else ""
        last = errors(field) if i == len(choices) - 1 else ""
        drawn.append(
            f'<div class="form-check"> <input type="radio" class="form-check-input{invalid}" '
            f'name="{escape(field.html_name)}" value="{escape(value)}" id="{box}"{common}{tick}> '
            f'<label for="{box}" class="form-check-label"> {escape(text)} </label> {last}</div> '
        )
    return (
        f'<div id="div_{field.auto_id}" class="{wrapper(field)}"> <fieldset{described}> '
        f'<legend class="{legend_css}"> {escape(str(field.label))}{star} </legend> '
        f"<div > {''.join(drawn)}</div> {help_text(field)}</fieldset> </div>"
    )


def errors(field: forms.BoundField) -> str:
    if not field.errors:
        return ""
    each = "".join(
        f'<p id="error_{n}_{field.auto_id}"><strong>{escape(str(e))}</strong></p> '
        for n, e in enumerate(field.errors, 1)
    )
    return f'<div id="{field.auto_id}_error" class="invalid-feedback"> {each}</div> '


def help_text(field: forms.BoundField) -> str:
    if not field.help_text:
        return ""
    # Help text is the form's own, marked safe as crispy's template marks it.
    return f'<div id="{field.auto_id}_helptext" class="form-text">{field.help_text}</div> '
