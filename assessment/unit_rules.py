"""Refusing a `met` decision the unit's rules of assessment forbid (decisions 48 and 51).

Two rules are enforced when a decision rests on its evidence alone: simulated performance
evidence where the unit (or the criterion's element) does not allow simulation, and evidence of
a kind other than the one the catalogue *requires* for the item. Each refusal names the unit and
the element or criterion and quotes the specification's own words (the rule's `quote`).

Evidence whose kind is not stated is not refused on its kind: nothing says it is of another.
Nothing is read from the database unless every piece of evidence is simulated, or every piece
has a stated kind: the usual decision costs no query here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portfolios.models import Evidence, EvidenceSetting
from qualifications.models import Criterion, KnowledgeItem, Unit
from qualifications.requirements import EvidenceKind, EvidenceKindRule, Need, SimulationRule

SIMULATION_FORBIDDEN = (
    "{item} cannot be met on simulated evidence alone: in {unit}, "
    "{where} does not allow simulation. The specification says: “{quote}”"
)
KIND_REQUIRED = (
    "{item} cannot be met on this evidence alone: in {unit}, {kind} is required for it, and "
    "this evidence is {given}. The specification says: “{quote}”"
)


@dataclass(frozen=True)
class Item:
    """A ticked criterion or knowledge item, with what the rules are matched on."""

    kind: str  # "criterion" or "knowledge_item"
    unit_id: int
    number: str
    element: str = ""  # a criterion's element (learning outcome) number

    @property
    def label(self) -> str:
        return f"{'Criterion' if self.kind == 'criterion' else 'Knowledge item'} {self.number}"


def forbidden(
    criteria: frozenset[int], knowledge_items: frozenset[int], evidence: Sequence[Evidence]
) -> list[str]:
    """Why a `met` decision on these items, resting on `evidence` alone, breaks the units'
    rules of assessment, in the specification's words; empty if it does not."""
    if not evidence:
        return []
    simulated = all(e.setting == EvidenceSetting.SIMULATED for e in evidence)
    kinds = {e.kind for e in evidence}
    if not simulated and "" in kinds:
        return []
    items = _items(criteria, knowledge_items if "" not in kinds else frozenset())
    if not items:
        return []
    units = {u.pk: f"{u.code} {u.title}" for u in Unit.objects.filter(pk__in=_unit_ids(items))}
    problems = _simulation(items, units) if simulated else []
    if "" not in kinds:
        problems += _kinds(items, units, kinds)
    return problems


def _items(criteria: frozenset[int], knowledge_items: frozenset[int]) -> list[Item]:
    found = [
        Item("criterion", unit, number, element)
        for unit, number, element in Criterion.objects.filter(pk__in=criteria)
        .order_by("unit_id", "number")
        .values_list("unit_id", "number", "outcome__number")
    ]
    if knowledge_items:
        found += [
            Item("knowledge_item", unit, number)
            for unit, number in KnowledgeItem.objects.filter(pk__in=knowledge_items)
            .order_by("unit_id", "number")
            .values_list("unit_id", "number")
        ]
    return found


def _unit_ids(items: list[Item]) -> set[int]:
    return {item.unit_id for item in items}


def _simulation(items: list[Item], units: dict[int, str]) -> list[str]:
    """Performance criteria whose element (else whose unit) does not allow simulation."""
    rules = {
        (rule.unit_id, rule.element): rule
        for rule in SimulationRule.objects.filter(unit_id__in=_unit_ids(items))
    }
    problems = []
    for item in items:
        if item.kind != "criterion":
            continue
        rule = rules.get((item.unit_id, item.element)) or rules.get((item.unit_id, ""))
        if rule is None or rule.allowed:
            continue
        where = f"element {rule.element}" if rule.element else "the unit"
        if not rule.element and item.element:
            where = f"the unit (element {item.element} included)"
        problems.append(
            SIMULATION_FORBIDDEN.format(
                item=item.label, unit=units[item.unit_id], where=where, quote=rule.quote
            )
        )
    return problems


def applies(rule: EvidenceKindRule, item: Item) -> bool:
    """Which items a required kind of evidence is for: the criteria it lists; listing none,
    the unit's knowledge items for knowledge evidence, its criteria for the other kinds."""
    if rule.criterion_numbers:
        return item.kind == "criterion" and item.number in rule.criterion_numbers
    wanted = "knowledge_item" if rule.kind == EvidenceKind.KNOWLEDGE else "criterion"
    return item.kind == wanted


def _kinds(items: list[Item], units: dict[int, str], given: set[str]) -> list[str]:
    """Items a required kind of evidence is for, where none of the evidence is of that kind."""
    rules = list(EvidenceKindRule.objects.filter(unit_id__in=_unit_ids(items), need=Need.REQUIRED))
    labels = dict(EvidenceKind.choices)
    stated = " and ".join(sorted(labels[k].lower() for k in given))
    return [
        KIND_REQUIRED.format(
            item=item.label,
            unit=units[item.unit_id],
            kind=labels[rule.kind].lower(),
            given=stated,
            quote=rule.quote,
        )
        for item in items
        for rule in rules
        if rule.unit_id == item.unit_id and rule.kind not in given and applies(rule, item)
    ]
