from django import forms


class ReasonForm(forms.Form):
    """Why a certificate is replaced or revoked: kept with it, and shown when it is checked."""

    reason = forms.CharField(
        label="Reason (for a replacement or a revocation)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        error_messages={"required": "Give the reason: it is kept with the certificate."},
    )
