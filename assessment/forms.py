from typing import Any

from django import forms

from assessment.caseload import Rag
from assessment.models import Outcome
from assessment.services import (
    ASSESSOR_METHODS,
    DECLARATION_NEEDED,
    REASON_NEEDED,
    RETURN_REASON_NEEDED,
)
from portfolios.forms import MultipleFileField, date_input, kind_field, setting_field
from portfolios.models import EvidenceMethod


class DecisionForm(forms.Form):
    """One judgement for every item ticked on the review page."""

    outcome = forms.ChoiceField(
        choices=Outcome.choices, widget=forms.RadioSelect, label="Your decision"
    )
    method = forms.ChoiceField(choices=EvidenceMethod.choices, label="Assessment method")
    assessed_on = forms.DateField(label="Date assessed", widget=date_input())
    feedback = forms.CharField(
        required=False,
        label="Feedback to the learner",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RecordForm(forms.Form):
    title = forms.CharField(max_length=200)
    occurred_on = forms.DateField(label="Date", widget=date_input())
    method = forms.ChoiceField(
        label="Kind of record",
        choices=[(m.value, m.label) for m in ASSESSOR_METHODS],
    )
    setting = setting_field()
    kind = kind_field()
    description = forms.CharField(
        label="Record",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What you saw or discussed, the questions asked and the learner's answers.",
    )
    evidence_files = MultipleFileField(
        label="Files (optional)",
        required=False,
        help_text="A recording of the discussion, photos or a scanned record sheet.",
    )


class ClassifyForm(forms.Form):
    """Real work or simulated, and the kind of evidence: the assessor's to correct until the
    evidence is judged (decision 51)."""

    setting = setting_field(required=True)
    kind = kind_field()


class SignOffForm(forms.Form):
    declared = forms.BooleanField(
        required=False,
        label=(
            "I declare that I have assessed this learner's evidence for this unit, that it is "
            "valid, authentic, current and sufficient, and that every requirement of the unit "
            "is met."
        ),
    )
    signature = forms.CharField(max_length=200, label="Signature (type your full name)")
    password = forms.CharField(
        label="Your password", widget=forms.PasswordInput, help_text="To confirm it is you."
    )


class LearnerCountersignForm(forms.Form):
    declared = forms.BooleanField(
        required=False,
        label="I declare that the evidence for this unit is my own work.",
    )
    signature = forms.CharField(
        max_length=200,
        label="Signature (type your full name)",
        error_messages={"required": DECLARATION_NEEDED},
    )


class UnlockForm(forms.Form):
    reason = forms.CharField(
        label="Why unlock this unit",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": REASON_NEEDED},
    )


class CaseloadFilterForm(forms.Form):
    """The caseload's filters, drawn by bootstrap_field (a busy page: decision 41); a stale or
    edited choice is shown under its select."""

    qualification = forms.TypedChoiceField(
        label="Qualification", coerce=int, required=False, empty_value=None
    )
    status = forms.ChoiceField(label="Status", required=False)

    def __init__(self, *args: Any, qualifications: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qualification = self.fields["qualification"]
        assert isinstance(qualification, forms.TypedChoiceField)
        qualification.choices = [("", "All qualifications"), *qualifications]
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [("", "Any status"), *Rag.LABELS.items()]


class ReturnForm(forms.Form):
    """Why a qualified assessor returns a trainee's decision: the trainee reads it."""

    reason = forms.CharField(
        label="Why you return it (the trainee sees this)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": RETURN_REASON_NEEDED},
    )
