"""The catalogue in the Django admin, with inlines, so a centre can correct data without SQL.

Every save and delete here gives the qualifications it touches a new revision, in the admin's
own transaction, so that no process goes on using rules built before the edit
(`qualifications.revisions`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from qualifications.models import (
    AwardingOrganisation,
    BarredCombination,
    Correction,
    Criterion,
    EnvironmentRule,
    Equivalence,
    EvidenceKindRule,
    EvidenceRequirement,
    KnowledgeItem,
    LearningOutcome,
    LevelRule,
    MethodRule,
    Qualification,
    QualificationUnit,
    RangeItem,
    RuleGroup,
    SimulationRule,
    SufficiencyRule,
    Unit,
)
from qualifications.revisions import revise, touched
from qualifications.rules.versions import record_versions


class RevisesRules(admin.ModelAdmin):
    """A catalogue admin whose edits may change rules of combination. `touches` says which
    qualifications (ids) and units (ids) one object concerns."""

    def touches(self, obj: Any) -> tuple[set[int | None], set[int | None]]:
        raise NotImplementedError

    def save_related(
        self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)  # inlines saved: the edit is whole
        qualifications, units = self.touches(form.instance)
        # A row moved to another qualification changes the rules of the one it left as well.
        qualifications.add(_pk(form.initial.get("qualification")))
        revise(qualifications=qualifications, units=units)
        # Their rules as edited become a new version, for registrations made from now on.
        record_versions(touched(qualifications=qualifications, units=units))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        concerned = self.revise_before_delete(obj)
        super().delete_model(request, obj)
        record_versions(Qualification.objects.filter(pk__in=concerned))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        concerned = {pk for obj in queryset for pk in self.revise_before_delete(obj)}
        super().delete_queryset(request, queryset)
        record_versions(Qualification.objects.filter(pk__in=concerned))

    def revise_before_delete(self, obj: Any) -> list[int]:
        """Renew the revisions an object's delete concerns, and say whose: before the delete,
        as the rows that say which qualifications use it go with it."""
        qualifications, units = self.touches(obj)
        revise(qualifications=qualifications, units=units)
        concerned = touched(qualifications=qualifications, units=units)
        return list(concerned.values_list("pk", flat=True))


def _pk(value: object) -> int | None:
    if isinstance(value, Model):
        return value.pk
    return value if isinstance(value, int) else None


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
class QualificationAdmin(RevisesRules):
    list_display = ["title", "code", "awarding_organisation", "level", "min_credits", "status"]
    list_filter = ["awarding_organisation", "status", "level", "rules_published"]
    search_fields = ["title", "code", "number"]
    inlines = [RuleGroupInline, LevelRuleInline, QualificationUnitInline, CorrectionInline]

    def touches(self, obj: Qualification) -> tuple[set[int | None], set[int | None]]:
        return {obj.pk}, set()


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
    fields = ["position", "number", "text", "kind", "element"]


# How the unit must be assessed (decision 48): each rule with the specification's own words.
class SimulationRuleInline(admin.TabularInline):
    model = SimulationRule
    extra = 0
    fields = ["position", "element", "allowed", "quote"]


class EvidenceKindRuleInline(admin.TabularInline):
    model = EvidenceKindRule
    extra = 0
    fields = ["position", "kind", "need", "criteria", "quote"]


class MethodRuleInline(admin.TabularInline):
    model = MethodRule
    extra = 0
    fields = ["position", "method", "evidence_kind", "need", "quote"]


class EnvironmentRuleInline(admin.StackedInline):
    model = EnvironmentRule
    extra = 0
    fields = ["quote"]


class SufficiencyRuleInline(admin.TabularInline):
    model = SufficiencyRule
    extra = 0
    fields = ["position", "measure", "minimum", "quote"]


@admin.register(Unit)
class UnitAdmin(RevisesRules):
    list_display = ["code", "title", "level", "credits", "glh", "terminology"]
    list_filter = ["terminology", "level", "reference_type"]
    search_fields = ["code", "reference", "title"]
    inlines = [
        LearningOutcomeInline,
        CriterionInline,
        RangeItemInline,
        KnowledgeItemInline,
        EvidenceRequirementInline,
        SimulationRuleInline,
        EvidenceKindRuleInline,
        MethodRuleInline,
        SufficiencyRuleInline,
        EnvironmentRuleInline,
        CorrectionInline,
    ]

    def touches(self, obj: Unit) -> tuple[set[int | None], set[int | None]]:
        return set(), {obj.pk}


@admin.register(AwardingOrganisation)
class AwardingOrganisationAdmin(admin.ModelAdmin):
    """An AO and its claim policy (docs/claim-policy.md): a save renews the revision of its
    qualifications (a model signal, `qualifications.revisions`), so readiness kept under the
    policy before goes out of date."""

    list_display = ["name", "code", "min_weeks_before_claim", "registration_number_required"]
    search_fields = ["name", "code"]
    fieldsets = [
        (None, {"fields": ["code", "name"]}),
        (
            "Claim policy",
            {
                "fields": [
                    "min_weeks_before_claim",
                    "registration_number_required",
                    "registration_number_pattern",
                    "registration_number_format",
                    "min_age",
                    "claim_policy_note",
                ]
            },
        ),
    ]


@admin.register(BarredCombination)
class BarredCombinationAdmin(RevisesRules):
    list_display = ["qualification", "note"]
    list_filter = ["qualification"]
    filter_horizontal = ["units"]

    def touches(self, obj: BarredCombination) -> tuple[set[int | None], set[int | None]]:
        return {obj.qualification_id}, set()


@admin.register(Equivalence)
class EquivalenceAdmin(RevisesRules):
    list_display = ["qualification", "unit", "note"]
    list_filter = ["qualification"]
    autocomplete_fields = ["unit"]
    filter_horizontal = ["satisfied_by"]

    def touches(self, obj: Equivalence) -> tuple[set[int | None], set[int | None]]:
        return {obj.qualification_id}, set()
