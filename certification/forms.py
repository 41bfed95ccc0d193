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


CREDENTIAL_LIMIT = 64 * 1024  # a credential is a few kilobytes; anything larger is not one


class CredentialForm(forms.Form):
    """A credential to verify (decision 56): pasted, or the downloaded file uploaded."""

    credential = forms.CharField(
        label="Paste the credential",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        max_length=CREDENTIAL_LIMIT,
        help_text="The contents of the credential file (JSON), or the signed credential itself.",
    )
    upload = forms.FileField(label="Or upload the credential file", required=False)

    def clean_upload(self) -> str:
        upload = self.cleaned_data.get("upload")
        if not upload:
            return ""
        if upload.size > CREDENTIAL_LIMIT:
            raise forms.ValidationError("That file is too large to be a credential.")
        try:
            return str(upload.read().decode("utf-8"))
        except UnicodeDecodeError as error:
            raise forms.ValidationError("That file is not a credential: it is not text.") from error

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        empty = not cleaned.get("credential", "").strip() and not cleaned.get("upload")
        if empty and not self.errors:
            self.add_error("credential", "Paste a credential or upload its file.")
        return cleaned

    @property
    def text(self) -> str:
        return str(self.cleaned_data.get("upload") or self.cleaned_data.get("credential") or "")
