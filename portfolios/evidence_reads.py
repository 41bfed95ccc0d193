"""What a piece of evidence's page reads of it, by SQL compiled once per process (decision 72).

The page (`evidence_views.detail_page`, the learner's, the assessor's and the IQA's) read its
mappings and the decisions resting on it (each with its item), its files and its conversation
through the related managers: four querysets built and compiled on every view, some 10,000 of
its 32,000 Python calls, for rows PostgreSQL finds by the evidence's id. Each read here is the
related manager's own queryset, built once with a stand-in id (`objects_once`: its SQL, its
objects made as the queryset makes them), and each object is told its evidence, as the
related manager's are. tests/portfolios/test_evidence_reads.py holds them to the managers'."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from portal.compiled_objects import objects_once
from portfolios import comments
from portfolios.models import Evidence, EvidenceComment, EvidenceFile, Mapping

# What a mapping or decision is on, read with it (its label on the page).
ITEMS = ("criterion", "range_item", "knowledge_item")


def mappings_of(evidence: Evidence) -> list[Mapping]:
    """`evidence.mappings.select_related(*ITEMS)`."""
    return _told(_mappings(evidence.pk), evidence)


def decisions_on(evidence: Evidence) -> list[Any]:
    """The current decisions resting on the evidence, with their item and who decided:
    `evidence.decisions.filter(current=True).select_related(*ITEMS, "decided_by")` (read
    through the reverse relation: assessment is built on this app)."""
    return _decisions(evidence.pk)


def files_of(evidence: Evidence) -> list[EvidenceFile]:
    """`evidence.files.all()`."""
    return _told(_files(evidence.pk), evidence)


def thread_of(evidence: Evidence) -> list[EvidenceComment]:
    """The conversation, oldest first, with who wrote each comment (`comments.thread`)."""
    return _told(_thread(evidence.pk), evidence)


def _told(found: list[Any], evidence: Evidence) -> list[Any]:
    for each in found:
        each.evidence = evidence
    return found


def _stand_in(evidence_id: int) -> Evidence:
    return Evidence(pk=evidence_id)


@objects_once
def _mappings(evidence_id: int) -> QuerySet[Mapping]:
    return _stand_in(evidence_id).mappings.select_related(*ITEMS)


@objects_once
def _decisions(evidence_id: int) -> QuerySet[Any]:
    decisions = _stand_in(evidence_id).decisions  # type: ignore[attr-defined]
    return decisions.filter(current=True).select_related(*ITEMS, "decided_by")  # type: ignore[no-any-return]


@objects_once
def _files(evidence_id: int) -> QuerySet[EvidenceFile]:
    return _stand_in(evidence_id).files.all()


@objects_once
def _thread(evidence_id: int) -> QuerySet[EvidenceComment]:
    return comments.thread(_stand_in(evidence_id))
