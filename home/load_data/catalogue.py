"""The real catalogue as the generator reads it: each qualification's units and assessable
items, and choices of units that satisfy its rules of combination, found by the rules engine."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import QuerySet

from assessment.requirements_met import requirement_items
from qualifications.loader import catalogue_load
from qualifications.models import CatalogueFile, Criterion, KnowledgeItem, Qualification, RangeItem
from qualifications.requirements import EvidenceRequirement, RequirementKind, SufficiencyRule
from qualifications.rules import Rules, check_choice, shortest_route
from qualifications.rules.adapter import rules_for
from qualifications.rules.versions import current_version

# The kinds of assessable item, in the order of the columns that name them on a mapping or a
# decision: criterion_id, range_item_id, knowledge_item_id.
KINDS = ("criterion", "range_item", "knowledge_item")

# Which qualifications learners are registered on, in twentieths. 3412-03 and 3412-04 (City &
# Guilds) have no published rules: their learners can only have unit certificates. None is on
# the SFJ certificate, a consultation draft that takes no registrations (docs/lifecycle.md):
# its share went to the ProQual diploma, which shares most of its units.
SHARES = (
    ("601/3576/1", 11),
    ("L2-DPSOD", 4),
    ("CCA010-02", 2),
    ("3412-03", 2),
    ("3412-04", 1),
)
CHOICES_PER_QUALIFICATION = 8
# Units a learner on a qualification without published rules works on.
UNPUBLISHED_UNITS = (3, 6)


class Item(NamedTuple):
    """An assessable item (a tuple: it is looked up in sets and dicts a great deal)."""

    unit: int  # the unit's id
    kind: int  # an index into KINDS
    id: int


@dataclass(frozen=True)
class Requirements:
    """What the assessor records of a unit before signing it off (decision 52): its evidence
    requirement items to meet ("5b"), its sufficiency rules (measure, minimum or None: the
    assessor's judgement) and its conditions on the evidence ({"number", "text"}), ticked."""

    references: tuple[str, ...] = ()
    sufficiency: tuple[tuple[str, int | None], ...] = ()
    conditions: tuple[dict[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.references or self.sufficiency or self.conditions)


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    items: tuple[Item, ...]
    requirements: Requirements = Requirements()


@dataclass(frozen=True)
class QualificationInfo:
    id: int
    code: str
    rules: Rules
    rules_version: int  # the id of the rules version registrations made now are pinned to
    rules_number: int  # and its number, as the audit log gives it
    units: dict[str, UnitInfo]
    mandatory: frozenset[str]
    choices: tuple[tuple[str, ...], ...]  # each a sorted choice of unit codes

    @property
    def published(self) -> bool:
        return self.rules.published


def ensure_catalogue() -> bool:
    """Load the catalogue from fixtures/catalogue if it is not there; True if it was loaded."""
    if CatalogueFile.objects.exists() and Qualification.objects.exists():
        return False
    catalogue_load()
    return True


def unit_items(unit_ids: Sequence[int]) -> dict[int, list[Item]]:
    """Every assessable item of the units, in the order the specification prints them."""
    found: dict[int, list[Item]] = {pk: [] for pk in unit_ids}
    kinds: tuple[QuerySet[Any], ...] = (
        Criterion.objects.all(),
        RangeItem.objects.all(),
        KnowledgeItem.objects.all(),
    )
    for kind, every in enumerate(kinds):
        rows = every.filter(unit_id__in=unit_ids).order_by("unit_id", "position")
        for unit_id, pk in rows.values_list("unit_id", "pk"):
            found[unit_id].append(Item(unit_id, kind, pk))
    return found


def unit_requirements(unit_ids: Sequence[int]) -> dict[int, Requirements]:
    """Each unit's evidence requirements and sufficiency rules, as the assessor records them."""
    requirements: dict[int, list[EvidenceRequirement]] = {pk: [] for pk in unit_ids}
    for requirement in EvidenceRequirement.objects.filter(unit_id__in=unit_ids).order_by(
        "unit_id", "position"
    ):
        requirements[requirement.unit_id].append(requirement)
    sufficiency: dict[int, list[tuple[str, int | None]]] = {pk: [] for pk in unit_ids}
    rules = SufficiencyRule.objects.filter(unit_id__in=unit_ids).order_by("unit_id", "position")
    for unit_id, measure, minimum in rules.values_list("unit_id", "measure", "minimum"):
        sufficiency[unit_id].append((measure, minimum))
    return {
        pk: Requirements(
            tuple(item.reference for item in requirement_items(requirements[pk])),
            tuple(sufficiency[pk]),
            tuple(
                {"number": r.number, "text": r.text}
                for r in requirements[pk]
                if r.kind == RequirementKind.CONDITION
            ),
        )
        for pk in unit_ids
    }


def read_qualification(qualification: Qualification, rng: random.Random) -> QualificationInfo:
    rules = rules_for(qualification)
    memberships = list(qualification.memberships.select_related("unit"))
    items = unit_items([m.unit_id for m in memberships])
    requirements = unit_requirements([m.unit_id for m in memberships])
    units = {
        m.unit.code: UnitInfo(
            m.unit_id, m.unit.code, tuple(items[m.unit_id]), requirements[m.unit_id]
        )
        for m in memberships
        if items[m.unit_id]  # a unit with nothing to assess cannot be worked on
    }
    mandatory = frozenset(code for g in rules.groups if g.mandatory for code in g.units)
    pinned = current_version(qualification)
    return QualificationInfo(
        id=qualification.pk,
        code=qualification.code,
        rules=rules,
        rules_version=pinned.id,
        rules_number=pinned.number,
        units=units,
        mandatory=mandatory,
        choices=unit_choices(rules, units, mandatory, rng),
    )


def unit_choices(
    rules: Rules, units: dict[str, UnitInfo], mandatory: frozenset[str], rng: random.Random
) -> tuple[tuple[str, ...], ...]:
    """Choices a centre admin could make: the mandatory units, one or two optional units the
    learner wants, and the shortest route to the rest; each checked by the rules engine as the
    registration service checks it. Without published rules: a few units of the qualification."""
    optional = sorted(units.keys() - mandatory)
    found: set[tuple[str, ...]] = set()
    for _ in range(CHOICES_PER_QUALIFICATION * 4):
        if len(found) >= CHOICES_PER_QUALIFICATION:
            break
        if not rules.published:
            size = min(len(units), rng.randint(*UNPUBLISHED_UNITS))
            found.add(tuple(sorted(rng.sample(sorted(units), size))))
            continue
        wanted = set(rng.sample(optional, min(len(optional), rng.randint(1, 2))))
        route = shortest_route(rules, mandatory | wanted)
        chosen = mandatory | wanted | set(route.units)
        if route.found and chosen <= units.keys() and check_choice(rules, chosen).complete:
            found.add(tuple(sorted(chosen)))
    if not found:
        raise ValueError(f"No choice of units satisfies the rules of {rules.code}.")
    return tuple(sorted(found))


def read_catalogue(rng: random.Random) -> list[tuple[QualificationInfo, int]]:
    """The qualifications learners are registered on, with their shares. Those of `SHARES`
    the catalogue has; if it has none of them (another catalogue), every one with units."""
    by_code = {q.code: q for q in Qualification.objects.select_related("awarding_organisation")}
    shares = [(by_code[code], share) for code, share in SHARES if code in by_code]
    if not shares:
        shares = [(q, 1) for q in by_code.values() if q.memberships.exists()]
    if not shares:
        raise ValueError("The catalogue has no qualification with units.")
    return [(read_qualification(q, rng), share) for q, share in shares]
