from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils import timezone

from portal import identity
from portal.forms import AdminLoginForm
from portal.models import Centre, Role, User

admin.site.login_form = AdminLoginForm


class RoleInline(admin.TabularInline):
    model = Role
    extra = 1
    autocomplete_fields = ["user", "centre"]


class PortalUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class PortalUserChangeForm(UserChangeForm):
    """The learner's identity is checked here as on the centre admin's pages (portal.identity):
    the same limits, the ULN's check digit and the postcode's shape, with the same words."""

    # Room for a ULN written in groups ("92763 08686"); it is kept without the spaces.
    uln = forms.CharField(
        label="ULN", max_length=14, required=False, help_text=User._meta.get_field("uln").help_text
    )

    class Meta:
        model = User
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        today = timezone.localdate()
        checks: dict[str, Callable[[Any], str]] = {
            "legal_first_names": identity.first_names_problem,
            "legal_last_name": identity.last_name_problem,
            "uln": identity.uln_problem,
            "postcode": identity.postcode_problem,
            "date_of_birth": lambda born: identity.date_of_birth_problem(born, today=today),
        }
        if data.get("uln"):
            data["uln"] = identity.normalise_uln(data["uln"])
        if data.get("postcode"):
            data["postcode"] = identity.normalise_postcode(data["postcode"])
        for name, check in checks.items():
            value = data.get(name)
            if value and (problem := check(value)):
                self.add_error(name, problem)
        return data


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    list_display = ["full_name", "email", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "roles__kind", "roles__centre"]
    search_fields = ["full_name", "email"]
    ordering = ["full_name"]
    inlines = [RoleInline]
    fieldsets = (
        (None, {"fields": ("email", "full_name", "password")}),
        (
            "Identity, as awarding organisations register it",
            {
                "fields": (
                    "legal_first_names",
                    "legal_last_name",
                    "date_of_birth",
                    "sex",
                    "postcode",
                    "uln",
                )
            },
        ),
        (
            "Access",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "ao_centre_number", "created_at"]
    search_fields = ["name", "ao_centre_number"]
    inlines = [RoleInline]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["user", "centre", "kind", "is_trainee"]
    list_filter = ["kind", "is_trainee", "centre"]
    search_fields = ["user__full_name", "user__email", "centre__name"]
    autocomplete_fields = ["user", "centre"]
