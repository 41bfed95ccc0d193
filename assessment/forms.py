from collections.abc import Sequence
from typing import Any

from django import forms

from assessment.caseload import Rag
from assessment.models import Outcome
from assessment.services import (
    ASSESSOR_METHODS,
    CITE_EVIDENCE,
    DECLARATION_NEEDED,
    DESCRIPTION_MAX,
    JUDGEMENT_MAX,
    REASON_NEEDED,
    RETURN_REASON_NEEDED,
    WITHDRAW_REASON_NEEDED,
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
    # The unit's conditions on the evidence, each to be ticked (decision 52): given by the view.
    conditions = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="The conditions on the evidence, in the specification's words: tick each you "
        "have checked",
    )
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

    def __init__(self, *args: Any, conditions: Sequence[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["conditions"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = list(conditions)
        if not conditions:
            del self.fields["conditions"]


# Evidence cited that is not among the learner's evidence for the unit (decision 52).
NOT_AMONG = "Choose among the learner's evidence for this unit."


class RequirementShownForm(forms.Form):
    """An evidence requirement item recorded as shown, by the evidence cited (decision 52)."""

    reference = forms.ChoiceField(label="Evidence requirement item")
    evidence = forms.TypedMultipleChoiceField(
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Shown by",
        error_messages={"required": CITE_EVIDENCE, "invalid_choice": NOT_AMONG},
    )

    def __init__(
        self,
        *args: Any,
        items: Sequence[tuple[str, str]] = (),
        evidence: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        reference = self.fields["reference"]
        assert isinstance(reference, forms.ChoiceField)
        reference.choices = list(items)
        cited = self.fields["evidence"]
        assert isinstance(cited, forms.TypedMultipleChoiceField)
        cited.choices = list(evidence)


class SufficiencyForm(forms.Form):
    """An occasion or a customer toward a sufficiency rule, or the assessor's judgement of a
    sufficient period (decision 52)."""

    measure = forms.ChoiceField(label="Toward")
    evidence = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label="Real-work evidence",
        help_text="For a customer or an occasion; none for your judgement of the period.",
        error_messages={"invalid_choice": NOT_AMONG},
    )
    description = forms.CharField(
        label="Which customer or occasion (or, for the period, your judgement)",
        max_length=JUDGEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"A customer or an occasion in up to {DESCRIPTION_MAX} characters.",
    )

    def __init__(
        self,
        *args: Any,
        measures: Sequence[tuple[str, str]] = (),
        evidence: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        measure = self.fields["measure"]
        assert isinstance(measure, forms.ChoiceField)
        measure.choices = list(measures)
        cited = self.fields["evidence"]
        assert isinstance(cited, forms.TypedChoiceField)
        cited.choices = [("", "None: my judgement of the period"), *evidence]
        if not evidence:
            # Nothing to cite: no select with a single "none" in it (the page says why).
            del self.fields["evidence"]


class RequirementWithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why withdraw it",
        max_length=2000,
        error_messages={"required": WITHDRAW_REASON_NEEDED},
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
