"""Checks that a qualification's data hangs together: what validate_qualifications reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from qualifications.lifecycle import day
from qualifications.models import Qualification, QualificationUnit, RuleGroup
from qualifications.rules import evaluate
from qualifications.rules.adapter import read_rules

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    severity: str
    qualification: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity.upper()} {self.qualification}: {self.message}"


def validate(qualification: Qualification) -> list[Finding]:
    """Every problem found in one qualification, errors and warnings, in a stable order."""
    memberships = list(
        qualification.memberships.select_related("unit", "group").prefetch_related(
            "unit__criteria__outcome", "unit__outcomes", *(f"unit__{r}" for r in RULES)
        )
    )
    messages = [
        *((ERROR, m) for m in unit_problems(memberships)),
        *((ERROR, m) for m in assessment_problems(memberships)),
        *((ERROR, m) for m in rule_problems(qualification, memberships)),
        *((WARNING, m) for m in content_warnings(memberships)),
        *((WARNING, m) for m in credit_warnings(qualification)),
        *((WARNING, m) for m in lifecycle_warnings(qualification)),
    ]
    return [Finding(severity, qualification.code, message) for severity, message in messages]


def unit_problems(memberships: list[QualificationUnit]) -> list[str]:
    problems = []
    for membership in memberships:
        unit = membership.unit
        numbers = Counter(c.number.strip() for c in unit.criteria.all())
        problems += [
            f"unit {unit.code}: criterion reference {n} is used {k} times"
            for n, k in numbers.items()
            if k > 1
        ]
        for criterion in unit.criteria.all():
            prefix = criterion.number.split(".")[0]
            if "." in criterion.number and prefix != criterion.outcome.number:
                problems.append(
                    f"unit {unit.code}: criterion {criterion.number} sits under "
                    f"outcome {criterion.outcome.number}"
                )
    return problems


# The rules of how a unit is assessed (`qualifications.requirements`), by their relation's name.
RULES = ("simulation_rules", "evidence_kind_rules", "method_rules", "sufficiency_rules")


def assessment_problems(memberships: list[QualificationUnit]) -> list[str]:
    """Rules of how a unit is assessed that name parts the unit does not have, or that do not
    quote the specification they come from."""
    problems = []
    for unit in (m.unit for m in memberships):
        elements = {o.number for o in unit.outcomes.all()}
        criteria = {c.number for c in unit.criteria.all()}
        problems += [
            f"unit {unit.code}: a simulation rule names element {r.element}, which the unit "
            "does not have"
            for r in unit.simulation_rules.all()
            if r.element and r.element not in elements
        ]
        problems += [
            f"unit {unit.code}: evidence requirement {r.number} names element {r.element}, "
            "which the unit does not have"
            for r in unit.evidence_requirements.all()
            if r.element and r.element not in elements
        ]
        for rule in unit.evidence_kind_rules.all():
            problems += [
                f"unit {unit.code}: the rule for {rule.get_kind_display().lower()} names "
                f"criterion {number}, which the unit does not have"
                for number in rule.criterion_numbers
                if number not in criteria
            ]
        problems += [
            f"unit {unit.code}: a sufficiency rule ({r.get_measure_display().lower()}) asks for "
            "at least 0"
            for r in unit.sufficiency_rules.all()
            if r.minimum == 0
        ]
        problems += [
            f'unit {unit.code}: the rule "{rule}" does not quote the specification\'s words'
            for relation in RULES
            for rule in getattr(unit, relation).all()
            if not rule.quote.strip()
        ]
    return problems


def lifecycle_warnings(qualification: Qualification) -> list[str]:
    # Dates out of order never reach the database (its constraints, the loader and the admin
    # refuse them); a date nobody can trace to its source can.
    dates = [
        (label, value)
        for label, value in (
            ("operational start date", qualification.operational_start),
            ("last registration date", qualification.last_registration),
            ("certification end date", qualification.certification_end),
        )
        if value is not None
    ]
    if not dates or qualification.lifecycle_note.strip():
        return []
    named = ", ".join(f"{label} {day(value)}" for label, value in dates)
    return [f"{named}: no lifecycle note says where it comes from"]


def content_warnings(memberships: list[QualificationUnit]) -> list[str]:
    # A unit whose content the source does not print can be chosen but not yet assessed.
    return [
        f"unit {m.unit.code} has no outcomes or elements in the catalogue"
        for m in memberships
        if not m.unit.outcomes.all()
    ]


def rule_problems(qualification: Qualification, memberships: list[QualificationUnit]) -> list[str]:
    if not qualification.rules_published:
        return []
    groups = list(qualification.groups.all())
    problems = [
        f"unit {m.unit.code} is in no group of the rules" for m in memberships if m.group is None
    ]
    for group in groups:
        problems += group_problems(group, [m for m in memberships if m.group_id == group.pk])
    problems += reachability_problems(qualification, memberships, groups)
    members = {m.unit_id for m in memberships}
    for barred in qualification.barred_combinations.all():
        problems += [
            f"barred combination names unit {u.code}, which is not in the qualification"
            for u in barred.units.all()
            if u.pk not in members
        ]
    for equivalence in qualification.equivalences.all():
        if equivalence.unit_id not in members:
            problems.append(f"equivalence names unit {equivalence.unit.code}, not in it")
    return problems


def group_problems(group: RuleGroup, memberships: list[QualificationUnit]) -> list[str]:
    name = f"group {group.code}"
    if not memberships:
        return [f"{name} has no units"]
    credits = [m.unit.credits for m in memberships]
    problems = [
        f"{name}: unit {m.unit.code} has no credit value"
        for m in memberships
        if m.unit.credits is None and group.qualification.min_credits is not None
    ]
    total = sum(c or 0 for c in credits)
    if group.mandatory and group.stated_credits is not None and total != group.stated_credits:
        problems.append(
            f"{name}: its mandatory units total {total} credits, "
            f"but the specification states {group.stated_credits}"
        )
    if group.min_credits is not None and total < group.min_credits:
        problems.append(
            f"{name}: needs at least {group.min_credits} credits, its units offer only {total}"
        )
    if group.min_units is not None and len(memberships) < group.min_units:
        problems.append(
            f"{name}: needs at least {group.min_units} units, it has only {len(memberships)}"
        )
    return problems


def reachability_problems(
    qualification: Qualification, memberships: list[QualificationUnit], groups: list[RuleGroup]
) -> list[str]:
    """Whether the rules can be met at all: the engine's verdict with every unit achieved."""
    verdict = evaluate(read_rules(qualification), [m.unit.code for m in memberships])
    return [f"cannot be met even with every unit: {r.message}" for r in verdict.unmet]


def credit_warnings(qualification: Qualification) -> list[str]:
    expected = qualification.credit_from_tqt
    if expected is None or qualification.min_credits is None:
        return []
    if expected != qualification.min_credits:
        return [
            f"credit {qualification.min_credits} differs from TQT {qualification.tqt} / 10 "
            f"= {expected} to the nearest whole number (Ofqual Condition E8.2)"
        ]
    return []
