"""Refusing a `met` decision the unit's rules of assessment forbid (decisions 48, 51 and 53).

Three rules are enforced when a decision rests on its evidence alone, each refusal naming the
unit and the item and quoting the specification's own words (the rule's `quote`):

- **Simulation**, judged on the *performance* evidence (of kind performance, or of a kind not
  stated): where all of it is simulated, a criterion or range item whose element's rule (else
  the unit's) does not allow simulation is refused. Supplementary or knowledge evidence from
  real work does not make simulated performance evidence real. Where none of the evidence is
  performance evidence, it is judged on all of it: every piece simulated, the item is refused
  too, since calling simulated work supplementary or knowledge evidence does not make it real
  (seed 004: supplementary evidence is used "in combination" with performance evidence, and
  competence "should be demonstrated totally through performance evidence if possible";
  decision 51, amended after review). Knowledge items are not judged for simulation: the seed
  has their underpinning knowledge "assessed using questioning".
- **Kinds**: an item the catalogue *requires* a kind of evidence for is refused unless some of
  the evidence is of that kind. Evidence whose kind is not stated does not show it: the refusal
  asks the assessor to state the kind (they can, on the review page, `evidence_classify`).
- **Methods**: an item a *required* method applies to is refused unless some of the evidence
  was gathered by it, through `METHOD_SHOWN_BY` (below).

The items and their units come from the plan's kept rows (`qualifications.kept_units`), which
the decision has read already; the rules cost one query each for kinds and methods, and one for
simulation only when all the performance evidence is simulated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from portfolios.models import Evidence, EvidenceMethod, EvidenceSetting
from qualifications.kept_units import how_assessed, units_rows
from qualifications.models import Qualification
from qualifications.requirements import (
    REALISTIC,
    AssessmentMethod,
    EvidenceKind,
    EvidenceKindRule,
    MethodRule,
    Need,
)

SIMULATION_FORBIDDEN = (
    "{item} cannot be met on simulated performance evidence: in {unit}, "
    "{where} does not allow simulation. The specification says: “{quote}”"
)
# The decision rests on supplementary or knowledge evidence only, all of it simulated (review of
# issue 20: marking simulated evidence "supplementary" escaped the rule).
SIMULATION_SUPPORT_ONLY = (
    "{item} cannot be met on simulated evidence alone: in {unit}, {where} does not allow "
    "simulation, and every piece of this evidence is simulated. Calling it supplementary or "
    "knowledge evidence does not make it real work: it can support, beside evidence from real "
    "work, but not stand alone. The specification says: “{quote}”"
)
KIND_REQUIRED = (
    "{item} cannot be met on this evidence alone: in {unit}, {kind} is required for it, and "
    "this evidence is {given}. The specification says: “{quote}”"
)
# Evidence whose kind nobody stated does not show the kind a rule requires (decision 53).
KIND_NOT_STATED = (
    "{item} cannot be met on this evidence alone: in {unit}, {kind} is required for it, and "
    "{which} not say what kind of evidence it is. State its kind on the evidence's review page "
    "(“Real work or simulated, and its kind”), then decide again. The specification says: "
    "“{quote}”"
)
METHOD_REQUIRED = (
    "{item} cannot be met on this evidence alone: in {unit}, it must be assessed by "
    "{method}, and none of this evidence was ({given}). The specification says: “{quote}”"
)

# Which of the catalogue's methods of assessment each method of evidence is (decision 53). A
# method of evidence no catalogue method corresponds to (controlled assessment, e-assessment,
# RPL) shows none; "portfolio of evidence" is shown by any piece of evidence, since every piece
# the portal holds is in the learner's portfolio; no method of evidence is a "scenario".
METHOD_SHOWN_BY: dict[str, frozenset[str]] = {
    EvidenceMethod.OBSERVATION: frozenset({AssessmentMethod.OBSERVATION}),
    EvidenceMethod.PROFESSIONAL_DISCUSSION: frozenset({AssessmentMethod.PROFESSIONAL_DISCUSSION}),
    EvidenceMethod.WITNESS_TESTIMONY: frozenset({AssessmentMethod.WITNESS_TESTIMONY}),
    EvidenceMethod.EXPERT_WITNESS: frozenset({AssessmentMethod.EXPERT_WITNESS}),
    EvidenceMethod.QUESTIONING: frozenset({AssessmentMethod.QUESTIONING}),
    EvidenceMethod.REFLECTIVE_ACCOUNT: frozenset({AssessmentMethod.PERSONAL_STATEMENT}),
    EvidenceMethod.PRODUCT: frozenset({AssessmentMethod.PRODUCT}),
    EvidenceMethod.ASSIGNMENT: frozenset({AssessmentMethod.ASSIGNMENT}),
    EvidenceMethod.CASE_STUDY: frozenset({AssessmentMethod.CASE_STUDY}),
    EvidenceMethod.CONTROLLED_ASSESSMENT: frozenset(),
    EvidenceMethod.E_ASSESSMENT: frozenset(),
    EvidenceMethod.RPL: frozenset(),
}
SHOWN_BY_ANY = frozenset({AssessmentMethod.PORTFOLIO})

# Kinds a piece of evidence counts as performance evidence under: stated so, or not stated.
PERFORMANCE = frozenset({EvidenceKind.PERFORMANCE, ""})

LABELS = {
    "criterion": "Criterion",
    "range_item": "Range item",
    "knowledge_item": "Knowledge item",
}


@dataclass(frozen=True)
class Item:
    """A ticked criterion, range or knowledge item, with what the rules are matched on."""

    kind: str  # "criterion", "range_item" or "knowledge_item"
    unit_id: int
    number: str
    element: str = ""  # a criterion's element (learning outcome) number; a range item's element

    @property
    def label(self) -> str:
        return f"{LABELS[self.kind]} {self.number}"


PLURALS = {
    "criterion": "Criteria",
    "range_item": "Range items",
    "knowledge_item": "Knowledge items",
}


def named(items: list[Item]) -> str:
    """The items a refusal is about, in words: "Criterion 6.2", "Criteria 6.2, 6.3",
    "Criteria 1.1, 1.2; knowledge items 1, 2"."""
    if len(items) == 1:
        return items[0].label
    parts: list[str] = []
    for kind in LABELS:
        numbers = [i.number for i in items if i.kind == kind]
        if numbers:
            name = LABELS[kind] if len(numbers) == 1 else PLURALS[kind]
            parts.append(f"{name if not parts else name.lower()} {', '.join(numbers)}")
    return "; ".join(parts)


def methods_shown(evidence: Iterable[Evidence]) -> set[str]:
    """The catalogue's methods of assessment the evidence was gathered by."""
    shown: set[str] = set()
    for piece in evidence:
        shown |= METHOD_SHOWN_BY.get(piece.method, frozenset()) | SHOWN_BY_ANY
    return shown


def forbidden(
    qualification: Qualification, unit_of: dict[tuple[str, int], int], evidence: Sequence[Evidence]
) -> list[str]:
    """Why a `met` decision on the items of `unit_of` ((kind, id) -> unit id), resting on
    `evidence` alone, breaks the units' rules of assessment, in the specification's words;
    empty if it does not. `evidence` is read under the registration's lock by the caller."""
    if not evidence or not unit_of:
        return []
    items, units = _items(qualification, unit_of)
    performance = [e for e in evidence if e.kind in PERFORMANCE]
    # Judged on the performance evidence; with none, on all of it (supplementary or knowledge
    # evidence alone must not be all simulated either: decision 51, amended after review).
    judged = performance or list(evidence)
    settings = {e.setting for e in judged}
    # All of it simulated, or simulated and from a realistic working environment, which units
    # that accept it count as real work (decision 51, amended on 7 December 2026).
    simulated = settings <= {EvidenceSetting.SIMULATED, REALISTIC}
    strict = settings == {EvidenceSetting.SIMULATED}
    supporting = not performance
    problems = _simulation(qualification, items, units, strict, supporting) if simulated else []
    problems += _kinds(qualification, items, units, [e.kind for e in evidence])
    problems += _methods(qualification, items, units, evidence)
    return problems


def simulation_forbidden(
    qualification: Qualification,
    unit_of: dict[tuple[str, int], int],
    strict: bool = True,
    supporting: bool = False,
) -> list[str]:
    """Why these items cannot be met on simulated performance evidence (or, `supporting`, on
    simulated supplementary or knowledge evidence alone), in the words a `met` decision is
    refused with; empty where their rules allow simulation. Also asked of RPL for items agreed
    on simulated evidence (`assessment.rpl_rules`, decision 52 amended)."""
    if not unit_of:
        return []
    return _simulation(qualification, *_items(qualification, unit_of), strict, supporting)


def _items(
    qualification: Qualification, unit_of: dict[tuple[str, int], int]
) -> tuple[list[Item], dict[int, str]]:
    """The ticked items, in the units' order, and each unit's name: from the kept rows."""
    rows = units_rows(qualification, set(unit_of.values()))
    items = []
    for unit in rows:
        element = {o.pk: o.number for o in unit.outcomes}
        items += [
            Item("criterion", unit.pk, c.number, element.get(c.outcome, ""))
            for c in unit.criteria
            if ("criterion", c.pk) in unit_of
        ]
        items += [
            Item("range_item", unit.pk, r.reference, r.element)
            for r in unit.range_items
            if ("range_item", r.pk) in unit_of
        ]
        items += [
            Item("knowledge_item", unit.pk, k.number)
            for k in unit.knowledge_items
            if ("knowledge_item", k.pk) in unit_of
        ]
    return items, {u.pk: f"{u.code} {u.title}" for u in rows}


def _unit_ids(items: list[Item]) -> set[int]:
    return {item.unit_id for item in items}


def _rules(qualification: Qualification, items: list[Item], kind: str) -> list[Any]:
    """The items' units' rules of one kind ("simulation", "kinds", "methods", "environment"),
    from the rules kept per qualification revision (`how_assessed`): no query once kept, where
    a decision read each kind again. In the catalogue's order (by position)."""
    found = [
        rule
        for unit_id in sorted(_unit_ids(items))
        for rule in getattr(how_assessed(qualification, unit_id), kind)
    ]
    return sorted(found, key=lambda rule: rule.position)


def _simulation(
    qualification: Qualification,
    items: list[Item],
    units: dict[int, str],
    strict: bool = True,
    supporting: bool = False,
) -> list[str]:
    """Criteria and range items whose element (else whose unit) does not allow simulation.
    Not `strict`: some of the evidence is from a realistic working environment, which a unit
    with an `EnvironmentRule` accepts as real work, so its items are not refused. `supporting`:
    the evidence is supplementary or knowledge evidence only, refused in words that say so."""
    performed = [item for item in items if item.kind != "knowledge_item"]
    if performed and not strict:
        accepting = {rule.unit_id for rule in _rules(qualification, performed, "environment")}
        performed = [item for item in performed if item.unit_id not in accepting]
    if not performed:
        return []
    rules = {
        (rule.unit_id, rule.element): rule
        for rule in _rules(qualification, performed, "simulation")
    }
    found: dict[tuple[int, str, str], list[Item]] = {}
    for item in performed:
        rule = rules.get((item.unit_id, item.element)) or rules.get((item.unit_id, ""))
        if rule is None or rule.allowed:
            continue
        where = f"element {rule.element}" if rule.element else "the unit"
        if not rule.element and item.element:
            where = f"the unit (element {item.element} included)"
        found.setdefault((item.unit_id, where, rule.quote), []).append(item)
    words = SIMULATION_SUPPORT_ONLY if supporting else SIMULATION_FORBIDDEN
    return [
        words.format(item=named(listed), unit=units[unit_id], where=where, quote=quote)
        for (unit_id, where, quote), listed in found.items()
    ]


def applies(rule: EvidenceKindRule | MethodRule, item: Item) -> bool:
    """Which items a required kind of evidence (or a required method, for its kind of
    evidence) is for: the criteria a kind rule lists; listing none, the unit's knowledge items
    for knowledge evidence, its criteria for the other kinds; a method rule for no kind in
    particular, every item."""
    numbers = rule.criterion_numbers if isinstance(rule, EvidenceKindRule) else []
    if numbers:
        return item.kind == "criterion" and item.number in numbers
    kind = rule.kind if isinstance(rule, EvidenceKindRule) else rule.evidence_kind
    if not kind:
        return True
    wanted = "knowledge_item" if kind == EvidenceKind.KNOWLEDGE else "criterion"
    return item.kind == wanted


def _kinds(
    qualification: Qualification, items: list[Item], units: dict[int, str], kinds: list[str]
) -> list[str]:
    """Items a required kind of evidence is for, where none of the evidence is of that kind."""
    rules = [r for r in _rules(qualification, items, "kinds") if r.need == Need.REQUIRED]
    labels = dict(EvidenceKind.choices)
    stated = {k for k in kinds if k}
    unstated = len(kinds) - sum(1 for k in kinds if k)
    given = " and ".join(sorted(labels[k].lower() for k in stated))
    problems = []
    for rule in rules:
        listed = [
            item
            for item in items
            if rule.unit_id == item.unit_id and rule.kind not in stated and applies(rule, item)
        ]
        if not listed:
            continue
        words = {
            "item": named(listed),
            "unit": units[rule.unit_id],
            "kind": labels[rule.kind].lower(),
            "quote": rule.quote,
        }
        if unstated:
            which = (
                "this evidence does"
                if unstated == len(kinds)
                else f"{unstated} of its {len(kinds)} pieces of evidence do"
            )
            problems.append(KIND_NOT_STATED.format(**words, which=which))
        else:
            problems.append(KIND_REQUIRED.format(**words, given=given))
    return problems


def _methods(
    qualification: Qualification,
    items: list[Item],
    units: dict[int, str],
    evidence: Sequence[Evidence],
) -> list[str]:
    """Items a required method of assessment applies to, where none of the evidence was
    gathered by that method."""
    rules = [r for r in _rules(qualification, items, "methods") if r.need == Need.REQUIRED]
    if not rules:
        return []
    shown = methods_shown(evidence)
    methods = dict(AssessmentMethod.choices)
    given = ", ".join(sorted({str(EvidenceMethod(e.method).label).lower() for e in evidence}))
    problems = []
    for rule in rules:
        listed = [
            item
            for item in items
            if rule.unit_id == item.unit_id and rule.method not in shown and applies(rule, item)
        ]
        if listed:
            problems.append(
                METHOD_REQUIRED.format(
                    item=named(listed),
                    unit=units[rule.unit_id],
                    method=methods[rule.method].lower(),
                    given=given,
                    quote=rule.quote,
                )
            )
    return problems
