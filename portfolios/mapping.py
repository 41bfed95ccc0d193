"""Mapping evidence to criteria (holistic: across any units of the registration), and
suggesting likely criteria from the evidence's own words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection, models, transaction

from portal.audit import audit_append, lock_chain
from portal.models import User
from portfolios.evidence import GONE, LOCKED, EvidenceGone, EvidenceRejected, require_learner
from portfolios.models import Evidence, Mapping, MappingStatus, Registration
from portfolios.picker import draw, picker_units
from qualifications.kept_units import units_rows
from qualifications.models import Criterion, KnowledgeItem, RangeItem

NOT_IN_PLAN = "Some of the chosen items are not in the units of this registration: choose again."
SUGGESTIONS = 8
# Words too common in specifications to say anything about a piece of evidence.
COMMON = frozenset(
    {
        "about",
        "after",
        "also",
        "and",
        "are",
        "before",
        "being",
        "between",
        "both",
        "can",
        "customer",
        "customers",
        "describe",
        "explain",
        "from",
        "have",
        "how",
        "identify",
        "into",
        "its",
        "learner",
        "own",
        "that",
        "the",
        "their",
        "them",
        "these",
        "they",
        "this",
        "those",
        "through",
        "what",
        "when",
        "where",
        "which",
        "while",
        "with",
        "within",
        "work",
        "your",
    }
)


@dataclass(frozen=True)
class Targets:
    criteria: frozenset[int] = field(default_factory=frozenset)
    range_items: frozenset[int] = field(default_factory=frozenset)
    knowledge_items: frozenset[int] = field(default_factory=frozenset)

    def __or__(self, other: Targets) -> Targets:
        return Targets(
            self.criteria | other.criteria,
            self.range_items | other.range_items,
            self.knowledge_items | other.knowledge_items,
        )

    def by_kind(self) -> list[tuple[str, type[models.Model], frozenset[int]]]:
        """(field name on a mapping or decision, the item model, the ids) for each kind."""
        return [
            ("criterion", Criterion, self.criteria),
            ("range_item", RangeItem, self.range_items),
            ("knowledge_item", KnowledgeItem, self.knowledge_items),
        ]

    def within(self, unit_ids: Iterable[int]) -> bool:
        """Whether every item belongs to one of these units (and exists at all)."""
        units = list(unit_ids)
        return all(
            model._default_manager.filter(pk__in=ids, unit_id__in=units).count() == len(ids)
            for _, model, ids in self.by_kind()
            if ids  # none to check: no query would be sent, so spare building it
        )


def plan_unit_ids(evidence: Evidence) -> list[int]:
    return list(evidence.registration.planned_units.values_list("unit_id", flat=True))


def mapping_propose(*, evidence: Evidence, targets: Targets, actor: User) -> None:
    """Make the learner's proposed mappings for this evidence exactly `targets`.

    Mappings the assessor has confirmed or rejected are left as they are.
    """
    require_learner(evidence.registration, actor)
    units = plan_unit_ids(evidence)
    if not targets.within(units):
        raise EvidenceRejected([NOT_IN_PLAN])
    with transaction.atomic():
        lock_chain(evidence.registration.centre_id)
        Registration.objects.lock(evidence.registration, refused=EvidenceRejected)
        locked = Evidence.objects.select_for_update().filter(pk=evidence.pk).first()
        if locked is None:  # removed by a request that had the chain before this one
            raise EvidenceGone(GONE)
        if locked.is_locked:
            raise EvidenceRejected([LOCKED])
        before = proposed_targets(locked)
        for name, _, wanted in targets.by_kind():
            _sync(locked, name, wanted, actor)
        after = proposed_targets(locked)
        if after != before:
            audit_append(
                actor=actor,
                action="mapping.proposed",
                centre_id=evidence.registration.centre_id,
                subject=f"evidence:{locked.pk}",
                before=before,
                after=after,
            )


def mapped_to(evidence: Evidence) -> str:
    """What the evidence is mapped to, in words a learner knows: "3 criteria", "2 criteria and
    1 knowledge item" (counted by kind in one query), "nothing" when none."""
    found = evidence.mappings.aggregate(
        criteria=models.Count("criterion"),
        range=models.Count("range_item"),
        knowledge=models.Count("knowledge_item"),
    )
    parts = [
        f"{n} {one if n == 1 else many}"
        for n, one, many in (
            (found["criteria"], "criterion", "criteria"),
            (found["range"], "range item", "range items"),
            (found["knowledge"], "knowledge item", "knowledge items"),
        )
        if n
    ]
    if not parts:
        return "nothing"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def proposed_targets(evidence: Evidence) -> dict[str, list[int]]:
    """The items the learner proposes this evidence for, by kind (ids), for the audit log."""
    rows = evidence.mappings.filter(status=MappingStatus.PROPOSED)
    found: dict[str, list[int]] = {}
    for name in ("criterion", "range_item", "knowledge_item"):
        found[name] = sorted(
            pk for pk in rows.values_list(f"{name}_id", flat=True) if pk is not None
        )
    return found


def _sync(evidence: Evidence, name: str, wanted: frozenset[int], actor: User) -> None:
    mine = evidence.mappings.filter(**{f"{name}__isnull": False})
    mine.filter(status=MappingStatus.PROPOSED).exclude(**{f"{name}_id__in": wanted}).delete()
    present = set(mine.values_list(f"{name}_id", flat=True))
    Mapping.objects.bulk_create(
        Mapping(evidence=evidence, proposed_by=actor, **{f"{name}_id": pk})
        for pk in sorted(wanted - present)
    )


def words(text: str) -> list[str]:
    found = re.findall(r"[a-z]{4,}", text.lower())
    return [w for w in dict.fromkeys(found) if w not in COMMON]


def suggest_criteria(
    evidence: Evidence, limit: int = SUGGESTIONS, *, unit_ids: list[int] | None = None
) -> list[Criterion]:
    """Criteria of the registration's units (`unit_ids`, where the caller has them already)
    that the evidence's title and description most resemble. Only ever offered: nothing is
    mapped until the learner chooses."""
    terms = words(f"{evidence.title} {evidence.description}")
    if not terms:
        return []
    units = plan_unit_ids(evidence) if unit_ids is None else unit_ids
    candidates = Criterion.objects.filter(unit_id__in=units).select_related("unit", "outcome")
    if connection.vendor == "postgresql":
        query = SearchQuery(" | ".join(terms), search_type="raw", config="english")
        vector = SearchVector("text", config="english")
        ranked = candidates.annotate(document=vector).filter(document=query)
        return list(ranked.annotate(rank=SearchRank(vector, query)).order_by("-rank", "pk")[:limit])
    return overlap_ranking(candidates, terms, limit)


def overlap_ranking(
    candidates: Iterable[Criterion], terms: list[str], limit: int
) -> list[Criterion]:
    """The fallback on SQLite: criteria sharing the most words (compared by their first five
    letters, a crude stem) with the evidence."""
    stems = {t[:5] for t in terms}
    scored = []
    for criterion in candidates:
        shared = stems & {w[:5] for w in words(criterion.text)}
        if shared:
            scored.append((-len(shared), criterion.pk, criterion))
    return [criterion for *_, criterion in sorted(scored, key=lambda s: (s[0], s[1]))[:limit]]


def picker_context(evidence: Evidence) -> dict[str, object]:
    """What the criteria picker shows for one evidence item: its units, suggestions and choices."""
    units = plan_unit_ids(evidence)
    mapped = list(evidence.mappings.values_list("criterion", "range_item", "knowledge_item"))
    chosen = {
        kind: {ids[n] for ids in mapped if ids[n]}
        for n, kind in enumerate(("criteria", "range_items", "knowledge_items"))
    }
    rows = units_rows(evidence.registration.qualification, units)
    return {
        "evidence": evidence,
        "units": draw(picker_units(rows), chosen),
        "suggested": suggest_criteria(evidence, unit_ids=units),
        "chosen": chosen,
    }
