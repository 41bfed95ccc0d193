from django.contrib import admin

from iqa.models import Action, AssessorRisk, PlanItem, Sample, SamplingPlan, SamplingStrategy


@admin.register(SamplingStrategy)
class SamplingStrategyAdmin(admin.ModelAdmin):
    list_display = [
        "centre",
        "qualification",
        "trainee_percent",
        "new_percent",
        "standard_percent",
        "experienced_percent",
        "interim_required",
        "summative_required",
    ]
    list_filter = ["centre"]


@admin.register(AssessorRisk)
class AssessorRiskAdmin(admin.ModelAdmin):
    list_display = ["assessor", "centre", "risk"]
    list_filter = ["centre", "risk"]


class PlanItemInline(admin.TabularInline):
    model = PlanItem
    extra = 0
    readonly_fields = ["registration", "unit", "assessor", "methods", "stage", "by_hand"]


@admin.register(SamplingPlan)
class SamplingPlanAdmin(admin.ModelAdmin):
    list_display = ["qualification", "centre", "iqa", "starts_on", "ends_on"]
    inlines = [PlanItemInline]


# Samples and actions are records: the admin shows them and changes nothing.
@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
    list_display = ["unit", "registration", "assessor", "sampled_by", "verdict", "sampled_at"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Action)
class ActionAdmin(SampleAdmin):
    list_display = ["text", "sample", "due_on", "status"]
