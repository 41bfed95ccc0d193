"""No drop-down on the portal's forms offers Django's bare "---------": an empty choice says what
choosing nothing means ("Not allocated yet", "Choose a learner")."""

from django import forms
from django.db.models.fields import BLANK_CHOICE_DASH

from tests.urlmap import URLS

DASHES = BLANK_CHOICE_DASH[0][1]


def form_classes() -> set[type[forms.Form]]:
    return {form for entry in URLS.values() for form in entry.forms}  # type: ignore[misc]


def test_every_form_of_the_url_map_is_looked_at():
    names = {form.__name__ for form in form_classes()}
    assert {"RegistrationForm", "EvidenceForm", "PlanForm", "NotAcceptedForm"} <= names


def test_no_drop_down_offers_a_row_of_dashes():
    found = []
    for form in form_classes():
        for name, field in form.base_fields.items():
            if isinstance(field, forms.ModelChoiceField):
                bad = field.empty_label == DASHES
            elif isinstance(field, forms.ChoiceField):
                bad = any(label == DASHES for _, label in list(field.choices))  # type: ignore[arg-type]
            else:
                continue
            if bad:
                found.append(f"{form.__name__}.{name}")
    assert found == []
