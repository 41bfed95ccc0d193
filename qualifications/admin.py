"""The catalogue in the Django admin, with inlines, so a centre can correct data without SQL."""

from django.contrib import admin

from qualifications.models import (
    AwardingOrganisation,
    BarredCombination,
    Correction,
    Criterion,
    Equivalence,
    EvidenceRequirement,
    KnowledgeItem,
    LearningOutcome,
    LevelRule,
    Qualification,
    QualificationUnit,
    RangeItem,
    RuleGroup,
    Unit,
)


class CorrectionInline(admin.StackedInline):
    model = Correction
    extra = 0
    fields = ["where", "source_said", "chosen", "why", "source"]


class RuleGroupInline(admin.TabularInline):
    model = RuleGroup
    extra = 0
    fields = [
        "position",
        "code",
        "title",
        "mandatory",
        "stated_credits",
        "min_credits",
        "max_credits",
        "min_units",
        "max_units",
    ]


class QualificationUnitInline(admin.TabularInline):
    model = QualificationUnit
    extra = 0
    autocomplete_fields = ["unit"]
    fields = ["position", "unit", "group"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        # Offer only the groups of the qualification being edited.
        if db_field.name == "group" and request.resolver_match.kwargs.get("object_id"):
            kwargs["queryset"] = RuleGroup.objects.filter(
                qualification_id=request.resolver_match.kwargs["object_id"]
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class LevelRuleInline(admin.TabularInline):
    model = LevelRule
    extra = 0


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "awarding_organisation", "level", "min_credits", "status"]
    list_filter = ["awarding_organisation", "status", "level", "rules_published"]
    search_fields = ["title", "code", "number"]
    inlines = [RuleGroupInline, LevelRuleInline, QualificationUnitInline, CorrectionInline]


class LearningOutcomeInline(admin.TabularInline):
    model = LearningOutcome
    extra = 0
    fields = ["position", "number", "text"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["position", "outcome", "number", "text"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "outcome" and request.resolver_match.kwargs.get("object_id"):
            kwargs["queryset"] = LearningOutcome.objects.filter(
                unit_id=request.resolver_match.kwargs["object_id"]
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RangeItemInline(admin.TabularInline):
    model = RangeItem
    extra = 0
    fields = ["position", "element", "applies_to", "category", "heading", "number", "text"]


class KnowledgeItemInline(admin.TabularInline):
    model = KnowledgeItem
    extra = 0
    fields = ["position", "number", "topic", "text"]


class EvidenceRequirementInline(admin.TabularInline):
    model = EvidenceRequirement
    extra = 0
    fields = ["position", "number", "text"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "level", "credits", "glh", "terminology"]
    list_filter = ["terminology", "level", "reference_type"]
    search_fields = ["code", "reference", "title"]
    inlines = [
        LearningOutcomeInline,
        CriterionInline,
        RangeItemInline,
        KnowledgeItemInline,
        EvidenceRequirementInline,
        CorrectionInline,
    ]


@admin.register(AwardingOrganisation)
class AwardingOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(BarredCombination)
class BarredCombinationAdmin(admin.ModelAdmin):
    list_display = ["qualification", "note"]
    list_filter = ["qualification"]
    filter_horizontal = ["units"]


@admin.register(Equivalence)
class EquivalenceAdmin(admin.ModelAdmin):
    list_display = ["qualification", "unit", "note"]
    list_filter = ["qualification"]
    autocomplete_fields = ["unit"]
    filter_horizontal = ["satisfied_by"]
