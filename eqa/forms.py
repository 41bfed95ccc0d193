import datetime

from django import forms

from eqa.services import HOLD_REASON_NEEDED
from iqa.forms import SentOnceForm
from portfolios.forms import date_input

ACTIONS_NEED_A_DATE = "Give the date by which the centre must complete the actions."
ACTION_LINES = 20


class EqaSampleForm(SentOnceForm):
    """What the external quality assurer chose to look at, and what they found there."""

    registration = forms.TypedChoiceField(label="Learner", coerce=int)
    unit = forms.TypedChoiceField(
        label="Unit",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Or none: the whole portfolio.",
    )
    looked_at = forms.CharField(
        label="What you looked at",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="The evidence, assessment decisions and IQA records you sampled.",
    )
    finding = forms.CharField(
        label="What you found", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def __init__(
        self,
        *args: object,
        registrations: list[tuple[int, str]],
        units: list[tuple[int, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registration"].choices = registrations  # type: ignore[attr-defined]
        self.fields["unit"].choices = [("", "The whole portfolio"), *units]  # type: ignore[attr-defined]


class EqaReportForm(forms.Form):
    """The report on the visit, and the actions the centre must take (one a line)."""

    summary = forms.CharField(
        label="Report", widget=forms.Textarea(attrs={"rows": 8}), max_length=20000
    )
    actions = forms.CharField(
        label="Actions for the centre (one a line)",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=8000,
    )
    due_on = forms.DateField(
        label="Actions to be completed by", required=False, widget=date_input()
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if self.action_lines(data) and not data.get("due_on"):
            self.add_error("due_on", ACTIONS_NEED_A_DATE)
        return data

    @staticmethod
    def action_lines(data: dict[str, object]) -> list[str]:
        lines = [line.strip() for line in str(data.get("actions") or "").splitlines()]
        return [line for line in lines if line][:ACTION_LINES]

    def actions_due(self) -> list[tuple[str, datetime.date]]:
        due = self.cleaned_data.get("due_on")
        lines = self.action_lines(self.cleaned_data)
        return [(line, due) for line in lines] if due else []


class HoldForm(forms.Form):
    """Why a claim is held: the centre is shown it."""

    reason = forms.CharField(
        label="Reason for holding",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        error_messages={"required": HOLD_REASON_NEEDED},
    )
