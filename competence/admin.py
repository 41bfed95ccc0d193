"""The register in Django's admin: read only. Entries are recorded, changed and ended through
the centre admin's pages (`competence.services`), each audited in the centre's chain; the admin
shows them and changes nothing."""

from django.contrib import admin

from competence.models import CompetenceEntry, RegisterEnforced


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(CompetenceEntry)
class CompetenceEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "person",
        "centre",
        "award",
        "status",
        "achieved_on",
        "expires_on",
        "deadline",
        "ended_on",
    ]
    list_filter = ["centre", "award", "status"]
    list_select_related = ["person", "centre"]
    search_fields = ["person__full_name", "person__email", "certificate_reference"]


@admin.register(RegisterEnforced)
class RegisterEnforcedAdmin(ReadOnlyAdmin):
    list_display = ["centre", "since", "turned_on_by"]
    list_select_related = ["centre", "turned_on_by"]
