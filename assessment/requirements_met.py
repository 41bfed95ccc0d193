"""A unit's evidence requirements and sufficiency rules, tracked per learner (decision 52).

The catalogue says, per unit, which evidence requirement items are to be met ("5b during a busy
time in your job"), which conditions the evidence must satisfy, and how much evidence is
sufficient (`qualifications.requirements`). Here is what the assessor has recorded of them for
one registration: each item shown by which evidence (`RequirementShown`), each occasion or
customer (or, for a sufficient period, the assessor's judgement: `SufficiencyRecord`), and what is
still missing, in the specification's own words, which sign-off requires to be nothing.
The conditions are confirmed by the assessor's ticks at sign-off (`check_conditions`).

Everything is read in a fixed number of queries, whatever the size of the portfolio: the unit's
rules (kept per catalogue revision) and the records in force, with their evidence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.db.models.functions import Coalesce

from assessment.models import Decision, RequirementShown, SufficiencyRecord, unit_of_item
from portal.compiled import compiled_once
from portfolios.models import Evidence, EvidenceSetting, Mapping, MappingStatus, Registration
from qualifications.kept_units import how_assessed
from qualifications.requirements import (
    EvidenceRequirement,
    RequirementItem,
    RequirementKind,
    SufficiencyRule,
)

ITEM_NOT_SHOWN = "evidence requirement {reference} “{text}” is not yet shown"
TOO_FEW = "at least {minimum} {measure} (“{quote}”): {count} recorded"
NOT_JUDGED = "{measure} (“{quote}”): not yet judged sufficient by the assessor"
CONDITION_NOT_CONFIRMED = "evidence requirement {number} “{text}” is not confirmed (tick it)"


def measure_words(rule: SufficiencyRule) -> str:
    """ "different customers", "a sufficient period of time": the measure in lower case."""
    label = rule.get_measure_display()
    return label[0].lower() + label[1:]


# A record in force whose evidence is no longer the unit's counts no more (decision 52, amended).
LAPSED = (
    "No longer counts: {titles} {verb} no longer evidence for this unit (its mapping rejected, "
    "and under no current decision on the unit). Withdraw this record and record again with "
    "evidence for the unit."
)


def lapsed_why(titles: list[str]) -> str:
    return LAPSED.format(
        titles=", ".join(f"“{t}”" for t in titles), verb="is" if len(titles) == 1 else "are"
    )


@dataclass
class ItemState:
    """An evidence requirement item and the record showing it (None: still needed); a record
    in force whose evidence is no longer all on the unit is `lapsed` instead, with why."""

    item: RequirementItem
    shown: RequirementShown | None
    lapsed: RequirementShown | None = None
    why: str = ""

    @property
    def missing(self) -> str:
        return ITEM_NOT_SHOWN.format(reference=self.item.reference, text=self.item.text)


@dataclass
class RuleState:
    """A sufficiency rule and the records in force toward it."""

    rule: SufficiencyRule
    records: list[SufficiencyRecord] = field(default_factory=list)
    # Records in force whose evidence is no longer on the unit, each with why: not counted.
    lapsed: list[tuple[SufficiencyRecord, str]] = field(default_factory=list)

    @property
    def judged(self) -> bool:
        """A rule without a minimum: whether the assessor has recorded their judgement."""
        return self.rule.minimum is None

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def met(self) -> bool:
        return rule_met(self.rule, self.count)

    @property
    def missing(self) -> str:
        return rule_missing(self.rule, self.count)


def rule_met(rule: SufficiencyRule, count: int) -> bool:
    """Whether `count` records counting toward the rule meet it (a rule without a minimum: the
    assessor's judgement, recorded once)."""
    return bool(count) if rule.minimum is None else count >= rule.minimum


def rule_missing(rule: SufficiencyRule, count: int) -> str:
    """What the rule still needs, in the specification's words, with `count` records toward it."""
    if rule.minimum is None:
        return NOT_JUDGED.format(measure=measure_words(rule).capitalize(), quote=rule.quote)
    return TOO_FEW.format(
        minimum=rule.minimum, measure=measure_words(rule), quote=rule.quote, count=count
    )


@dataclass
class Tracked:
    """A unit's evidence requirements and sufficiency, as recorded for one registration."""

    items: list[ItemState]
    rules: list[RuleState]
    conditions: list[EvidenceRequirement]

    @property
    def missing(self) -> list[str]:
        return [s.missing for s in self.items if s.shown is None] + [
            s.missing for s in self.rules if not s.met
        ]

    def __bool__(self) -> bool:
        return bool(self.items or self.rules or self.conditions)


def requirement_items(requirements: Collection[EvidenceRequirement]) -> list[RequirementItem]:
    return [item for r in requirements if r.kind == RequirementKind.MEET for item in r.items]


def tracked(registration: Registration, unit_id: int) -> Tracked:
    """The unit's items to meet, its sufficiency rules and its conditions, each with the
    records in force: the rules kept per revision, then two queries (three with evidence, four
    when a record cites some). A record counts only while all its evidence is still evidence
    for the unit (`evidence_on_unit`): one whose mapping the assessor has since rejected is
    shown as lapsed, with why, and counts no more."""
    how = how_assessed(registration.qualification, unit_id)
    items = requirement_items(how.requirements)
    shown: list[RequirementShown] = []
    records: list[SufficiencyRecord] = []
    # Both kinds of record are read wherever the unit states either, so that a page costs the
    # same whichever a unit states (tests/integration/test_query_counts_at_scale.py).
    stated = bool(items or how.sufficiency)
    if stated:
        shown = list(
            RequirementShown.objects.filter(
                registration=registration, unit_id=unit_id, withdrawn_at__isnull=True
            )
            .select_related("recorded_by")
            .prefetch_related(Prefetch("evidence", Evidence.objects.only("pk", "title")))
        )
    if stated:
        records = list(
            SufficiencyRecord.objects.filter(
                registration=registration, unit_id=unit_id, withdrawn_at__isnull=True
            ).select_related("evidence", "recorded_by")
        )
    cited = {e.pk for r in shown for e in r.evidence.all()} | {
        r.evidence_id for r in records if r.evidence_id is not None
    }
    on_unit = still_on_unit(registration, unit_id, cited)
    states = {item.reference: ItemState(item, None) for item in items}
    for record in shown:
        state = states.get(record.reference)
        if state is None:
            continue
        gone = [e.title for e in record.evidence.all() if e.pk not in on_unit]
        if gone:
            state.lapsed, state.why = record, lapsed_why(gone)
        else:
            state.shown = record
    counting: dict[str, list[SufficiencyRecord]] = {}
    lapsed: dict[str, list[tuple[SufficiencyRecord, str]]] = {}
    for sufficiency in records:
        evidence = sufficiency.evidence
        if evidence is not None and evidence.pk not in on_unit:
            why = lapsed_why([evidence.title])
            lapsed.setdefault(sufficiency.measure, []).append((sufficiency, why))
        else:
            counting.setdefault(sufficiency.measure, []).append(sufficiency)
    return Tracked(
        list(states.values()),
        [
            RuleState(rule, counting.get(rule.measure, []), lapsed.get(rule.measure, []))
            for rule in how.sufficiency
        ],
        [r for r in how.requirements if r.kind == RequirementKind.CONDITION],
    )


def still_on_unit(registration: Registration, unit_id: int, cited: set[int]) -> set[int]:
    """Which of the evidence cited by records is still evidence for the unit
    (`evidence_on_unit`): a query, only when some is cited."""
    if not cited:
        return set()
    found = evidence_on_unit(registration, unit_id).filter(pk__in=cited)
    return set(found.values_list("pk", flat=True))


def requirements_missing(registration: Registration, unit_id: int) -> list[str]:
    """What the unit's evidence requirements and sufficiency rules still need, in the
    specification's words (empty when all are met, or the unit states none): `tracked`'s
    `missing`, from plain rows (each record's item or measure and its evidence's ids), where
    `tracked` reads the records with who made them and their evidence's titles for the unit's
    page. The same queries, but for the records' evidence, read with them (issue 17, fifth
    round: building the records cost the sign-off page about 2 ms)."""
    how = how_assessed(registration.qualification, unit_id)
    items = requirement_items(how.requirements)
    if not (items or how.sufficiency):
        return []
    shown: dict[str, set[int]] = {}  # each item shown (by its reference): its evidence's ids
    for reference, evidence in _shown_rows(registration.pk, unit_id):
        shown.setdefault(reference, set()).update([evidence] if evidence is not None else [])
    records = _sufficiency_rows(registration.pk, unit_id)
    cited = {pk for ids in shown.values() for pk in ids}
    cited |= {pk for _, pk in records if pk is not None}
    on_unit = still_on_unit(registration, unit_id, cited)
    counted = Counter(measure for measure, pk in records if pk is None or pk in on_unit)
    return [
        ITEM_NOT_SHOWN.format(reference=item.reference, text=item.text)
        for item in {item.reference: item for item in items}.values()
        if item.reference not in shown or not shown[item.reference] <= on_unit
    ] + [
        rule_missing(rule, counted[rule.measure])
        for rule in how.sufficiency
        if not rule_met(rule, counted[rule.measure])
    ]


# `requirements_missing`'s two reads, by SQL compiled once per process (`portal.compiled`):
# the sign-off page and the sign-off service built them at each request (issue 17, sixth round).
@compiled_once
def _shown_rows(registration_id: int, unit_id: int) -> QuerySet[RequirementShown, Any]:
    """The unit's evidence requirements shown, in force: each with its evidence's ids."""
    in_force = RequirementShown.objects.filter(
        registration_id=registration_id, unit_id=unit_id, withdrawn_at__isnull=True
    )
    return in_force.values_list("reference", "evidence")


@compiled_once
def _sufficiency_rows(registration_id: int, unit_id: int) -> QuerySet[SufficiencyRecord, Any]:
    """The unit's sufficiency records in force: each one's measure and evidence."""
    in_force = SufficiencyRecord.objects.filter(
        registration_id=registration_id, unit_id=unit_id, withdrawn_at__isnull=True
    )
    return in_force.values_list("measure", "evidence_id")


@dataclass(frozen=True)
class Checked:
    """The conditions ticked at sign-off: those confirmed, as worded then, and the refusals."""

    confirmed: list[dict[str, str]]
    problems: list[str]


def check_conditions(registration: Registration, unit_id: int, ticked: Collection[str]) -> Checked:
    """The unit's conditions on the evidence (evidence requirements of kind "condition"): each
    must be ticked by the assessor at sign-off; the ticks are kept as the conditions' words."""
    how = how_assessed(registration.qualification, unit_id)
    conditions = [r for r in how.requirements if r.kind == RequirementKind.CONDITION]
    return Checked(
        [{"number": r.number, "text": r.text} for r in conditions if r.number in ticked],
        [
            CONDITION_NOT_CONFIRMED.format(number=r.number, text=r.text)
            for r in conditions
            if r.number not in ticked
        ],
    )


def evidence_on_unit(registration: Registration, unit_id: int) -> QuerySet[Evidence]:
    """The learner's evidence for this unit: mapped to one of its items (a mapping not rejected)
    or resting under a current decision on one of them."""
    mapped = (
        Mapping.objects.filter(evidence=OuterRef("pk"))
        .exclude(status=MappingStatus.REJECTED)
        .annotate(
            unit=Coalesce("criterion__unit_id", "range_item__unit_id", "knowledge_item__unit_id")
        )
        .filter(unit=unit_id)
    )
    decided = (
        Decision.objects.filter(evidence=OuterRef("pk"), current=True)
        .annotate(unit=unit_of_item())
        .filter(unit=unit_id)
    )
    return Evidence.objects.filter(registration=registration).filter(
        Exists(mapped) | Exists(decided)
    )


def is_real_work(evidence: Evidence) -> bool:
    return evidence.setting != EvidenceSetting.SIMULATED
