import uuid

from django import forms

from iqa.models import SamplingStrategy, Verdict
from iqa.services import (
    AGREED_AGAINST_THE_RULES,
    COMMENT_NEEDED,
    REASON_NEEDED,
    RESPONSE_NEEDED,
    agreed_against_the_rules,
)
from portfolios.forms import date_input

ACTION_ROWS = 3
FORM_OUT_OF_DATE = "This form is out of date: open the page again and fill it in there."


class SentOnceForm(forms.Form):
    """A form that makes something new each time it is sent (a plan, a sample): it carries a
    one-time token, which the service keeps with what it made, so the same form sent twice (a
    double click, the page sent again) makes one thing, not two."""

    form_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not self.is_bound:
            self.initial["form_token"] = str(uuid.uuid4())

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        try:
            data["form_token"] = uuid.UUID(str(data.get("form_token") or ""))
        except ValueError:
            self.add_error(None, FORM_OUT_OF_DATE)
        return data


class PlanForm(SentOnceForm):
    qualification = forms.TypedChoiceField(coerce=int)
    starts_on = forms.DateField(label="From", widget=date_input())
    ends_on = forms.DateField(label="To", widget=date_input())

    def __init__(self, *args: object, qualifications: list[tuple[int, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["qualification"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = qualifications

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:  # type: ignore[operator]
            raise forms.ValidationError("The plan ends before it starts.")
        return data


class SampleForm(SentOnceForm):
    """Drawn with portal/fields.py's bootstrap_field, not crispy: a busy page (decision 41)."""

    valid = forms.BooleanField(required=False, label="Valid: it shows the criteria it is mapped to")
    authentic = forms.BooleanField(required=False, label="Authentic: the learner's own work")
    current = forms.BooleanField(required=False, label="Current: recent enough to count")
    sufficient = forms.BooleanField(
        required=False, label="Sufficient: enough to judge every criterion"
    )
    reliable = forms.BooleanField(
        required=False, label="Reliable: another assessor would decide the same"
    )
    verdict = forms.ChoiceField(choices=Verdict.choices, widget=forms.RadioSelect)
    feedback = forms.CharField(
        label="Feedback to the assessor", widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for n in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{n}"] = forms.CharField(
                required=False, label=f"Action {n}", max_length=500
            )
            self.fields[f"due_{n}"] = forms.DateField(
                required=False, label=f"Target date for action {n}", widget=date_input()
            )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        for n in range(1, ACTION_ROWS + 1):
            if data.get(f"action_{n}") and not data.get(f"due_{n}"):
                self.add_error(f"due_{n}", "Give the action a target date.")
        # Said with the form's other errors, not only once they are put right (the service
        # refuses it too, for every other way a sample is recorded).
        if agreed_against_the_rules(data.get("verdict"), data):
            self.add_error("verdict", AGREED_AGAINST_THE_RULES)
        return data

    def actions(self) -> list[tuple[str, object]]:
        data = self.cleaned_data
        return [
            (data[f"action_{n}"], data[f"due_{n}"])
            for n in range(1, ACTION_ROWS + 1)
            if data.get(f"action_{n}")
        ]


class ResponseForm(forms.Form):
    response = forms.CharField(
        label="Your response",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": RESPONSE_NEEDED},
    )


class NotAcceptedForm(forms.Form):
    comment = forms.CharField(
        label="Not accepted? What is still missing",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": COMMENT_NEEDED},
    )
    due_on = forms.DateField(
        required=False, label="New target date (leave empty to keep it)", widget=date_input()
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        label="Why lift the lock on the sampled decisions",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": REASON_NEEDED},
    )


class StrategyForm(forms.ModelForm):
    class Meta:
        model = SamplingStrategy
        fields = [
            "trainee_percent",
            "new_percent",
            "standard_percent",
            "experienced_percent",
            "interim_required",
            "summative_required",
        ]
        labels = {
            "trainee_percent": "Trainee assessors (%)",
            "new_percent": "New assessors (%)",
            "standard_percent": "Standard assessors (%)",
            "experienced_percent": "Experienced assessors (%)",
            "interim_required": "Interim sampling required",
            "summative_required": "Summative sampling required",
        }

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        for name in self.Meta.fields[:4]:
            value = data.get(name)
            if isinstance(value, int) and value > 100:
                self.add_error(name, "A share is at most 100 per cent.")
        return data


class SampleCountersignForm(forms.Form):
    """A qualified IQA's note on a sample they countersign (decision 49)."""

    note = forms.CharField(
        label="Your note (what you checked, and that you agree)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
