from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordResetForm,
    SetPasswordForm,
    SetPasswordMixin,
)
from django.core.mail import EmailMessage
from django.core.validators import MaxLengthValidator
from django.template.loader import render_to_string

from portal.mail import emails_send
from portal.models import Invitation, NotificationEmail, RoleKind, User, normalise_email
from portal.services import Invitee, access_ended, access_ended_message, account_password_reset

# Said when the e-mail or password is wrong, without telling which (that would reveal accounts).
LOGIN_FAILED = (
    "That e-mail address and password do not match an account. "
    "Check both and try again; the password is case-sensitive."
)


class LoginNameLength(AuthenticationForm):
    """Django's login form gives the login name the account column's length (254) but no
    validator for it, so a longer name went on to the login throttle, whose column is 255
    long: on PostgreSQL, a 500. No account has a longer name: such a name is refused here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        assert isinstance(field, forms.CharField) and field.max_length
        field.validators.append(MaxLengthValidator(field.max_length))


class AdminLoginForm(LoginNameLength, AdminAuthenticationForm):
    """The Django admin's login form, with the login name's length checked."""


class EmailAuthenticationForm(LoginNameLength):
    """Log in with an e-mail address; the error messages say what to do next."""

    username = forms.EmailField(
        label="E-mail address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    # A closed account is refused with the same message: Django's backend will not say whether
    # an inactive account exists, and neither do we.
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": LOGIN_FAILED}

    def confirm_login_allowed(self, user: User) -> None:
        """A leaver whose every centre ended their access is told so (only once the password
        is right, so it says nothing about an address to whoever does not know it)."""
        super().confirm_login_allowed(user)
        if ended := access_ended(user):
            raise forms.ValidationError(access_ended_message(ended), code="access_ended")


class InvitationForm(forms.Form):
    """Invite a person to the centre: who, and as what."""

    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        help_text="As it should appear on certificates; the person cannot change it.",
    )
    email = forms.EmailField(label="E-mail address")
    kind = forms.ChoiceField(label="Role", choices=RoleKind.choices)
    is_trainee = forms.BooleanField(
        label="Trainee (an assessor or IQA whose decisions a qualified colleague countersigns)",
        required=False,
    )

    def invitee(self) -> Invitee:
        data = self.cleaned_data
        return Invitee(data["email"], data["full_name"], RoleKind(data["kind"]), data["is_trainee"])


class NewcomerPasswordForm(SetPasswordMixin, forms.Form):
    """A newcomer chooses the password of the account an invitation creates."""

    password1, password2 = SetPasswordMixin.create_password_fields(
        label1="Choose a password", label2="The same password again"
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The validators compare the password with the name and address it will belong to.
        self.future_account = User(email=invitation.email, full_name=invitation.full_name)

    def clean(self) -> dict[str, Any] | None:
        self.validate_passwords()
        self.validate_password_for_user(self.future_account)
        return super().clean()


class PortalPasswordResetForm(PasswordResetForm):
    """Django's reset form, which also reaches accounts that have no password yet (learners
    added from a CSV file before invitations): Django's own silently skips them. (An address
    with no account but an open invitation is sent the invitation again: see the view.) Its
    e-mail goes through the portal's mail task, like every other."""

    def get_users(self, email: str) -> Iterable[User]:
        return User.objects.filter(email=normalise_email(email), is_active=True)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        emails_send([EmailMessage(subject, body, from_email, [to_email])])


class AuditedSetPasswordForm(SetPasswordForm):
    """The reset link's form: the new password is set through a service that audits it."""

    def save(self, commit: bool = True) -> User:
        assert isinstance(self.user, User)
        account_password_reset(account=self.user, password=self.cleaned_data["new_password1"])
        return self.user


class NotificationEmailForm(forms.Form):
    """How a person hears of their notifications by e-mail."""

    choice = forms.ChoiceField(
        label="E-mail me",
        choices=NotificationEmail.choices,
        widget=forms.RadioSelect,
        help_text="Every notification is in your inbox in the portal, whatever you choose here.",
    )


class DeactivateForm(forms.Form):
    """Why a person's access to the centre ends: kept in the audit log."""

    reason = forms.CharField(
        label="Reason",
        help_text="For example: left the company on 30 November. Kept in the centre's history.",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        error_messages={"required": "Give the reason: it is kept with the person's history."},
    )
