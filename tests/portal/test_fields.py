"""Fields drawn in Python are the fields crispy-forms draws, whitespace aside."""

import datetime
import re

import pytest
from django import forms
from django.template import engines

from assessment.forms import DecisionForm
from iqa.forms import SampleForm
from portal.fields import bootstrap_field
from portfolios.forms import date_input


def crispy(field: forms.BoundField) -> str:
    template = engines["django"].from_string("{% load crispy_forms_tags %}{{ f|as_crispy_field }}")
    return template.render({"f": field})


def squeezed(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


class EveryKind(forms.Form):
    """The kinds of field bootstrap_field draws, optional and with help, and text to escape."""

    choice = forms.ChoiceField(
        choices=[("a", "A & <b>"), ("b", 'B "quoted"')],
        widget=forms.RadioSelect,
        required=False,
        label="Pick <one>",
        help_text="Only <em>one</em>.",
    )
    pick = forms.ChoiceField(choices=[("", "---"), ("x", "X<"), ("y", "Y")], label="Pick")
    name = forms.CharField(max_length=5, help_text="Five at most.", label="Name & title")
    email = forms.EmailField(required=False)
    count = forms.IntegerField(min_value=1)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Note")
    tick = forms.BooleanField(required=False, label="Tick <me>", help_text="If you <em>must</em>.")
    agreed = forms.BooleanField(label="I agree")
    due = forms.DateField(required=False, widget=date_input(), label="Due")


DECISION_FORMS: list[forms.Form] = [
    DecisionForm(initial={"method": "product", "assessed_on": datetime.date(2026, 1, 2)}),
    DecisionForm({"method": "bogus", "assessed_on": "x", "feedback": 'a <b>\n&c "d"'}),
    DecisionForm({"outcome": "met", "method": "product", "assessed_on": "2026-01-02"}),
    DecisionForm({"outcome": "nope", "method": "rpl", "assessed_on": "2026-02-31"}),
    DecisionForm({"outcome": "not_yet", "assessed_on": ""}),
]

EVERY_KIND_FORMS: list[forms.Form] = [
    EveryKind(),
    EveryKind({"choice": "b", "pick": "y", "name": "toolong<", "count": "0", "note": "n"}),
    EveryKind({"choice": "c", "email": "not an address", "count": "x", "tick": "on", "due": "x"}),
    EveryKind({"agreed": "on", "due": "2026-02-03"}),
]

# The IQA's sample form: ticks, radio buttons, a text area, actions and their dates.
SAMPLE_FORMS: list[forms.Form] = [
    SampleForm(),
    SampleForm({"valid": "on", "verdict": "agree", "feedback": "Sound."}),
    SampleForm({"verdict": "maybe", "action_1": "Do <this>", "due_2": "soon", "current": "on"}),
]


@pytest.mark.parametrize("form", DECISION_FORMS + EVERY_KIND_FORMS + SAMPLE_FORMS)
def test_each_field_is_drawn_as_crispy_draws_it(form):
    form.is_valid()
    for field in form:
        assert squeezed(bootstrap_field(field)) == squeezed(crispy(field)), field.name


def test_what_is_typed_in_a_text_area_is_kept_to_the_character():
    form = DecisionForm({"feedback": "  two\n\nlines <ok> "})
    assert '">\n  two\n\nlines &lt;ok&gt; </textarea>' in bootstrap_field(form["feedback"])


def test_a_kind_of_field_it_does_not_know_is_refused_not_drawn_wrongly():
    class Ticks(forms.Form):
        agreed = forms.MultipleChoiceField(
            choices=[("a", "A")], widget=forms.CheckboxSelectMultiple
        )
        upload = forms.FileField()

    for name in ("agreed", "upload"):
        with pytest.raises(TypeError):
            bootstrap_field(Ticks()[name])
