"""A qualification as plain data: the JSON that export_qualification prints (docs/export.md)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from qualifications.claim_policy import policy_of
from qualifications.models import (
    AwardingOrganisation,
    Criterion,
    EnvironmentRule,
    LearningOutcome,
    LevelRule,
    Qualification,
    QualificationUnit,
    Unit,
)

# What a unit's page and its export read besides its outcomes (`Unit.assessment_rules`).
UNIT_RELATIONS = (
    "range_items",
    "knowledge_items",
    "evidence_requirements",
    "simulation_rules",
    "evidence_kind_rules",
    "method_rules",
    "sufficiency_rules",
    "environment_rule",
    "corrections",
)


def qualifications_for_export() -> QuerySet[Qualification]:
    outcomes = LearningOutcome.objects.prefetch_related(
        Prefetch("criteria", queryset=Criterion.objects.order_by("position"))
    )
    return Qualification.objects.select_related("awarding_organisation").prefetch_related(
        "groups",
        "level_rules",
        "barred_combinations__units",
        "equivalences__unit",
        "equivalences__satisfied_by",
        "corrections",
        Prefetch(
            "memberships",
            queryset=QualificationUnit.objects.select_related("unit", "group").prefetch_related(
                Prefetch("unit__outcomes", queryset=outcomes),
                *(f"unit__{relation}" for relation in UNIT_RELATIONS),
            ),
        ),
    )


def qualification_as_dict(qualification: Qualification) -> dict[str, Any]:
    organisation = qualification.awarding_organisation
    return {
        "code": qualification.code,
        "number": qualification.number or None,
        "ao_number": qualification.ao_number or None,
        "title": qualification.title,
        "awarding_organisation": organisation.name if organisation else None,
        "level": qualification.level,
        "min_credits": qualification.min_credits,
        "glh": qualification.glh,
        "tqt": qualification.tqt,
        "grading": qualification.grading,
        "status": qualification.status,
        "status_note": qualification.status_note or None,
        "operational_start": iso(qualification.operational_start),
        "last_registration": iso(qualification.last_registration),
        "certification_end": iso(qualification.certification_end),
        "lifecycle_note": qualification.lifecycle_note or None,
        "claim_policy": own_policy_as_dict(qualification),
        "awarding_organisation_claim_policy": ao_policy_as_dict(organisation),
        "claim_policy_in_force": policy_in_force(qualification),
        "aim": qualification.aim or None,
        "source": qualification.source or None,
        "rules": rules_as_dict(qualification),
        "units": [unit_as_dict(m) for m in qualification.memberships.all()],
        "corrections": corrections_as_list(qualification.corrections.all()),
    }


def own_policy_as_dict(qualification: Qualification) -> dict[str, Any]:
    """The qualification's own claim policy, as its file says it (null: as its AO says)."""
    return {
        "min_weeks_before_claim": qualification.min_weeks_before_claim,
        "registration_number_required": qualification.registration_number_required,
        "min_age": qualification.min_age,
        "note": qualification.claim_policy_note or None,
    }


def ao_policy_as_dict(organisation: AwardingOrganisation | None) -> dict[str, Any] | None:
    """The AO's claim policy, as the file's `awarding_organisations` says it."""
    if organisation is None:
        return None
    return {
        "min_weeks_before_claim": organisation.min_weeks_before_claim,
        "registration_number_required": organisation.registration_number_required,
        "registration_number_pattern": organisation.registration_number_pattern or None,
        "registration_number_format": organisation.registration_number_format or None,
        "min_age": organisation.min_age,
        "note": organisation.claim_policy_note or None,
    }


def policy_in_force(qualification: Qualification) -> dict[str, Any]:
    """What the claim gate applies: the qualification's own values over its AO's."""
    policy = policy_of(qualification)
    return {
        "min_weeks_before_claim": policy.min_weeks,
        "registration_number_required": policy.number_required,
        "registration_number_pattern": policy.number_pattern or None,
        "min_age": policy.min_age,
    }


def iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def rules_as_dict(qualification: Qualification) -> dict[str, Any] | None:
    if not qualification.rules_published:
        return None
    level_rules = list(qualification.level_rules.all())
    return {
        "version": qualification.rules_version,
        "min_credits": qualification.min_credits,
        "min_units": qualification.min_units,
        "min_glh": qualification.min_glh,
        "credit_caps_by_level": [
            {"level": r.level, "max_credits": r.credits, "or_above": r.or_above}
            for r in level_rules
            if r.kind == LevelRule.Kind.CAP
        ],
        "credit_minimums_by_level": [
            {"level": r.level, "min_credits": r.credits}
            for r in level_rules
            if r.kind == LevelRule.Kind.MINIMUM
        ],
        "groups": [
            {
                "code": g.code,
                "title": g.title,
                "mandatory": g.mandatory,
                "stated_credits": g.stated_credits,
                "min_credits": g.min_credits,
                "max_credits": g.max_credits,
                "min_units": g.min_units,
                "max_units": g.max_units,
            }
            for g in qualification.groups.all()
        ],
        "barred": [
            sorted(u.code for u in b.units.all()) for b in qualification.barred_combinations.all()
        ],
        "equivalences": [
            {
                "unit": e.unit.code,
                "satisfied_by": sorted(u.code for u in e.satisfied_by.all()),
                "note": e.note,
            }
            for e in qualification.equivalences.all()
        ],
    }


def unit_as_dict(membership: QualificationUnit) -> dict[str, Any]:
    unit = membership.unit
    return {
        "code": unit.code,
        "reference": unit.reference or None,
        "reference_type": unit.reference_type,
        "ao_unit_number": unit.ao_unit_number or None,
        "title": unit.title,
        "level": unit.level,
        "credits": unit.credits,
        "glh": unit.glh,
        "aim": unit.aim or None,
        "terminology": unit.terminology,
        "group": membership.group.code if membership.group else None,
        "outcomes": [
            {
                "number": o.number,
                "text": o.text,
                "criteria": [{"number": c.number, "text": c.text} for c in o.criteria.all()],
            }
            for o in unit.outcomes.all()
        ],
        "range": [
            {
                "reference": r.reference,
                "element": r.element,
                "applies_to": r.applies_to.split(",") if r.applies_to else [],
                "heading": r.heading,
                "text": r.text,
            }
            for r in unit.range_items.all()
        ],
        "knowledge": [
            {"number": k.number, "topic": k.topic or None, "text": k.text}
            for k in unit.knowledge_items.all()
        ],
        "evidence_requirements": [
            {
                "number": e.number,
                "text": e.text,
                "kind": e.kind,
                "element": e.element or None,
                "items": [{"reference": i.reference, "text": i.text} for i in e.items],
            }
            for e in unit.evidence_requirements.all()
        ],
        "evidence_guide": evidence_guide_as_dict(unit),
        "assessment": assessment_as_dict(unit),
        "source": unit.source or None,
        "corrections": corrections_as_list(unit.corrections.all()),
    }


def evidence_guide_as_dict(unit: Unit) -> dict[str, Any] | None:
    """The CVQ evidence guide as printed (null for units without one)."""
    if not unit.has_evidence_guide:
        return None
    return {
        "critical_aspects": unit.critical_aspects or None,
        "methods": unit.assessment_methods or None,
        "context": unit.assessment_context or None,
    }


def assessment_as_dict(unit: Unit) -> dict[str, Any]:
    """How the unit must be assessed, in the shape of the catalogue file's `assessment`."""
    return {
        "statement": unit.assessment_statement or None,
        "simulation": [
            {"element": r.element or None, "allowed": r.allowed, "quote": r.quote}
            for r in unit.simulation_rules.all()
        ],
        "evidence_kinds": [
            {"kind": r.kind, "need": r.need, "criteria": r.criterion_numbers, "quote": r.quote}
            for r in unit.evidence_kind_rules.all()
        ],
        "methods": [
            {
                "method": r.method,
                "evidence_kind": r.evidence_kind or None,
                "need": r.need,
                "quote": r.quote,
            }
            for r in unit.method_rules.all()
        ],
        "sufficiency": [
            {"measure": r.measure, "minimum": r.minimum, "quote": r.quote}
            for r in unit.sufficiency_rules.all()
        ],
        "realistic_environment": [{"quote": r.quote} for r in environment_rules(unit)],
    }


def environment_rules(unit: Unit) -> list[EnvironmentRule]:
    """The unit's rule accepting a realistic working environment, as a list of none or one."""
    try:
        return [unit.environment_rule]
    except EnvironmentRule.DoesNotExist:
        return []


def corrections_as_list(corrections: Any) -> list[dict[str, Any]]:
    return [
        {"where": c.where, "source_said": c.source_said, "chosen": c.chosen, "why": c.why}
        for c in corrections
    ]
