"""Telling the learner, before their assessor refuses it, that simulated evidence will not do
for a unit (or element) whose rules forbid simulation (decision 51, amended on 7 December 2026).

The assessor's refusal is assessment's (`assessment.unit_rules`, a floor above); this reads the
same catalogue rules (`qualifications.requirements.SimulationRule`, which `portfolios` may
import) only to warn: nothing is refused here, the learner may still map the evidence. Only
performance evidence (of kind performance, or not stated) is concerned, as the rules say
("Simulation is not allowed for any performance evidence within this unit")."""

from __future__ import annotations

from collections.abc import Iterable

from portfolios.models import Evidence, EvidenceSetting, Mapping, MappingStatus, Registration
from qualifications.kept_units import units_rows
from qualifications.requirements import (
    EnvironmentRule,
    EvidenceKind,
    SimulationRule,
    simulation_rule,
)

# What the picker says of each unit of the plan that forbids simulation, before any mapping.
UNIT_FORBIDS = (
    "{unit} does not allow simulated performance evidence{but}: your assessor cannot accept "
    "“{title}” for {which}. The specification says: “{quote}”"
)
# What the learner is told of the items the simulated evidence is mapped to, where forbidden.
MAPPED_FORBIDDEN = (
    "“{title}” is {what}, and {unit} does not allow simulation for {items}: your assessor "
    "cannot accept it for them, so map real-work evidence to them too. The specification "
    "says: “{quote}”"
)
# On the upload form: the units of the plan where simulated performance evidence will not do.
UPLOAD_NOTE = (
    "Simulated performance evidence is not accepted in {units}: their specifications do not "
    "allow simulation{but}."
)

WHAT: dict[str, str] = {
    EvidenceSetting.SIMULATED: "simulated",
    EvidenceSetting.REALISTIC: (
        "from a realistic working environment, which counts as simulated there"
    ),
}
PERFORMANCE = frozenset({EvidenceKind.PERFORMANCE, ""})


NOT_REAL = (EvidenceSetting.SIMULATED, EvidenceSetting.REALISTIC)


def concerned(evidence: Evidence) -> bool:
    """Simulated performance evidence (or from a realistic working environment, simulated
    where the unit does not accept it): the evidence the rules are about."""
    return evidence.setting in NOT_REAL and evidence.kind in PERFORMANCE


def _rules(unit_ids: Iterable[int], setting: str = "simulated") -> dict[int, list[SimulationRule]]:
    """The units' simulation rules; for evidence from a realistic working environment, only
    of the units that do not accept it as real work (one query more)."""
    ids = list(unit_ids)
    if setting == EvidenceSetting.REALISTIC:
        accepting = set(
            EnvironmentRule.objects.filter(unit_id__in=ids).values_list("unit_id", flat=True)
        )
        ids = [pk for pk in ids if pk not in accepting]
    found: dict[int, list[SimulationRule]] = {}
    for rule in SimulationRule.objects.filter(unit_id__in=ids):
        found.setdefault(rule.unit_id, []).append(rule)
    return found


def _allowed_elements(rules: list[SimulationRule]) -> list[str]:
    return [r.element for r in rules if r.element and r.allowed]


def units_forbidding(evidence: Evidence, unit_ids: Iterable[int]) -> list[str]:
    """For the picker: each unit of `unit_ids` whose own rule forbids simulation, with the
    elements that allow it by exception: two queries (the rules, and the kept unit rows)."""
    registration, title = evidence.registration, evidence.title
    ids = list(unit_ids)
    rules = _rules(ids, evidence.setting)
    warnings = []
    for unit in units_rows(registration.qualification, ids):
        own = simulation_rule(rules.get(unit.pk, []), "")
        if own is None or own.allowed:
            continue
        allowed = _allowed_elements(rules[unit.pk])
        but = f" (but in elements {', '.join(allowed)})" if allowed else ""
        which = "the other elements' criteria and range" if allowed else "any of its items"
        warnings.append(
            UNIT_FORBIDS.format(
                unit=f"{unit.code} {unit.title}", but=but, title=title, which=which, quote=own.quote
            )
        )
    return warnings


def mapped_forbidden(evidence: Evidence) -> list[str]:
    """The criteria and range items the simulated performance evidence is mapped to (mappings
    not rejected) whose element's rule, else the unit's, forbids simulation: one warning per
    unit and rule, naming them. Nothing (and no query) for any other evidence."""
    if not concerned(evidence):
        return []
    rows = list(
        Mapping.objects.filter(evidence=evidence)
        .exclude(status=MappingStatus.REJECTED)
        .exclude(criterion=None, range_item=None)
        .values_list(
            "criterion__unit_id",
            "criterion__number",
            "criterion__outcome__number",
            "range_item__unit_id",
            "range_item__element",
            "range_item__category",
            "range_item__number",
        )
    )
    if not rows:
        return []
    items = [
        (c_unit, f"criterion {number}", element)
        if c_unit
        else (r_unit, f"range {r_element}{category}({r_number})", r_element)
        for c_unit, number, element, r_unit, r_element, category, r_number in rows
    ]
    rules = _rules({unit for unit, _, _ in items}, evidence.setting)
    found: dict[tuple[int, str], list[str]] = {}
    quotes: dict[tuple[int, str], str] = {}
    for unit_id, name, element in items:
        rule = simulation_rule(rules.get(unit_id, []), element)
        if rule is None or rule.allowed:
            continue
        found.setdefault((unit_id, rule.element), []).append(name)
        quotes[unit_id, rule.element] = rule.quote
    if not found:
        return []
    names = {
        u.pk: f"{u.code} {u.title}"
        for u in units_rows(evidence.registration.qualification, {u for u, _ in found})
    }
    return [
        MAPPED_FORBIDDEN.format(
            title=evidence.title,
            what=WHAT[evidence.setting],
            unit=names[unit_id],
            items=", ".join(listed),
            quote=quotes[key],
        )
        for key, listed in found.items()
        for unit_id in [key[0]]
    ]


def upload_note(registration: Registration) -> str:
    """For the upload form's "Real work or simulated": the plan's units that forbid simulated
    performance evidence, or nothing: two queries."""
    ids = list(registration.planned_units.values_list("unit_id", flat=True))
    rules = _rules(ids)
    forbidding = []
    excepted = []
    for unit in units_rows(registration.qualification, ids):
        own = simulation_rule(rules.get(unit.pk, []), "")
        if own is not None and not own.allowed:
            forbidding.append(unit.code)
            if allowed := _allowed_elements(rules[unit.pk]):
                excepted.append(f"{unit.code} elements {', '.join(allowed)}")
    if not forbidding:
        return ""
    but = f", except {'; '.join(excepted)}" if excepted else ""
    return UPLOAD_NOTE.format(units=", ".join(forbidding), but=but)
