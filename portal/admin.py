from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

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
    class Meta:
        model = User
        fields = "__all__"


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
