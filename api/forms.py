from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms

from api.models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What it is for, e.g. “MIS nightly sync”.", strip=True
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        help_text="Give a system only what it needs.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = FormHelper()
        self.helper.form_tag = False
