from typing import Any

from django import forms

from portal.models import Centre
from portfolios.forms import RegistrationStaffForm
from portfolios.models import Registration


class ReasonForm(forms.Form):
    """Why a certificate is replaced or revoked: kept with it, and shown when it is checked."""

    reason = forms.CharField(
        label="Reason (for a replacement or a revocation)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        error_messages={"required": "Give the reason: it is kept with the certificate."},
    )


class CentreChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        number = f" (AO centre number {obj.ao_centre_number})" if obj.ao_centre_number else ""
        return f"{obj.name}{number}"


class TransferStartForm(forms.Form):
    """Where the learner moves and why: the receiving centre's admin reads the reason."""

    to_centre = CentreChoice(
        queryset=Centre.objects.none(),
        label="Receiving centre",
        empty_label="Choose the centre",
        error_messages={"required": "Choose the centre the learner moves to."},
    )
    reason = forms.CharField(
        label="Reason for the transfer",
        help_text="For example: moved to Leeds and will carry on at the new employer's centre.",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        error_messages={
            "required": "Give the reason for the transfer: it is kept with the registration's "
            "history."
        },
    )

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Centre.objects.exclude(pk=registration.centre_id).order_by("name")
        self.fields["to_centre"].queryset = others  # type: ignore[attr-defined]


class TransferAcceptForm(RegistrationStaffForm):
    """The learner's assessor and IQA at the receiving centre, chosen as the learner is taken in."""


class TransferDeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why you decline",
        help_text="The sending centre is told.",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        error_messages={"required": "Say why you decline: the sending centre is told."},
    )
