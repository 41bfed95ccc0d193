from django import forms
from django.contrib.auth.forms import AuthenticationForm

# Said when the e-mail or password is wrong, without telling which (that would reveal accounts).
LOGIN_FAILED = (
    "That e-mail address and password do not match an account. "
    "Check both and try again; the password is case-sensitive."
)


class EmailAuthenticationForm(AuthenticationForm):
    """Log in with an e-mail address; the error messages say what to do next."""

    username = forms.EmailField(
        label="E-mail address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    # A closed account is refused with the same message: Django's backend will not say whether
    # an inactive account exists, and neither do we.
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": LOGIN_FAILED}
