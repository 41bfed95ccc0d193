"""A learner's registrations at a centre with their portfolios, read once for their home page:
both its to-do list and each registration's progress are counted from these rows in Python.

A learner's portfolio is a few hundred rows at most (its evidence with their links to items, its
sign-offs), whatever the size of the centre; read as narrow rows they cost less than the ten
counting queries the two used to make, each of which Django took longer to build than PostgreSQL
to run."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef

from assessment.models import UnitSignOff
from assessment.progress import Counts, Plan, Progress, Tally, judged, met_criteria, plans_of
from certification.models import Certificate
from portal.models import Role, User
from portfolios.models import (
    ASSESSOR_METHODS,
    Evidence,
    MappingStatus,
    QuestionSet,
    Registration,
)
from portfolios.prior_learning import NONE as NO_PRIOR_LEARNING
from portfolios.prior_learning import prior_learning_of


@dataclass
class Portfolio:
    """One registration's work, as its learner's home page counts it."""

    registration: Registration
    evidence: set[int] = field(default_factory=set)  # every piece's id
    evidenced: set[int] = field(default_factory=set)  # criteria linked to any piece
    # The learner's evidence linked to nothing and not judged yet, to link to criteria.
    unmapped: list[int] = field(default_factory=list)
    # Assessors' records about the learner waiting for their agreement.
    records: list[int] = field(default_factory=list)
    # The evidence of each link the assessor did not accept, whose item no other link covers.
    rejected: list[int] = field(default_factory=list)
    # Sign-offs waiting for the learner's countersignature: (signed at, sign-off id, unit id).
    waiting: list[tuple[datetime.datetime, int, int]] = field(default_factory=list)
    achieved: list[str] = field(default_factory=list)  # units signed off and countersigned

    @property
    def is_open(self) -> bool:
        return not self.registration.closed_because


def portfolios_of(user: User, role: Role) -> list[Portfolio]:
    """The learner's registrations at the role's centre with their portfolios: three queries
    whatever there is (the registrations with their criteria met, their evidence with its
    links, their sign-offs in force), and no more for a bigger portfolio."""
    found = Registration.objects.filter(learner=user, centre=role.centre)
    found = found.select_related("qualification", "learner__anonymisation")
    mine = {r.pk: Portfolio(r) for r in found.annotate(**_annotations())}
    _read_evidence(mine, user)
    # A provisional sign-off (decision 53) is neither to countersign yet nor achieved.
    signed = (
        UnitSignOff.objects.in_force().filter(registration__in=list(mine)).filter(provisional=False)
    )
    for registration, pk, unit, code, signed_at, countersigned in signed.values_list(
        "registration", "pk", "unit", "unit__code", "signed_at", "learner_signed_at"
    ):
        if countersigned is None:
            mine[registration].waiting.append((signed_at, pk, unit))
        else:
            mine[registration].achieved.append(code)
    return list(mine.values())


# A link's item, one of three kinds (criterion, range item, knowledge item), in its registration.
Item = tuple[int, int | None, int | None, int | None]


def _read_evidence(mine: dict[int, Portfolio], learner: User) -> None:
    """The portfolios' evidence, each piece with its links (none: one row of Nones), in one
    query, oldest first."""
    evidence = Evidence.objects.filter(registration__in=list(mine)).order_by("pk")
    rows = evidence.values_list(
        "pk", "registration", "method", "judged_at", "acknowledged_at", "created_by",
        "mappings__status", "mappings__criterion", "mappings__range_item",
        "mappings__knowledge_item",
    )  # fmt: skip
    covered: set[Item] = set()
    rejected: list[tuple[int, Item]] = []
    for pk, registration, method, judged_at, acknowledged_at, by, status, *kinds in rows:
        portfolio = mine[registration]
        if pk not in portfolio.evidence:
            portfolio.evidence.add(pk)
            if method in ASSESSOR_METHODS:
                if acknowledged_at is None and by != learner.pk:
                    portfolio.records.append(pk)
            elif judged_at is None and status is None:  # (the only row of this evidence)
                portfolio.unmapped.append(pk)
        if status is None:
            continue
        criterion, range_item, knowledge_item = kinds
        if criterion is not None:
            portfolio.evidenced.add(criterion)
        item: Item = (registration, criterion, range_item, knowledge_item)
        if status == MappingStatus.REJECTED:
            rejected.append((pk, item))
        else:
            covered.add(item)
    for pk, item in rejected:
        # Another link of the registration's evidence to the item, not rejected, covers it.
        if item not in covered:
            mine[item[0]].rejected.append(pk)


@functools.cache
def _annotations() -> dict[str, Any]:
    """Built once, copied by each query: what the registrations are read with besides their
    portfolios (the criteria met; whether they have certificates or questions to answer, so
    that neither is read where there are none)."""
    here = OuterRef("pk")
    return {
        "n_met": met_criteria(),
        "has_certificates": Exists(Certificate.objects.filter(registration=here)),
        "has_questions": Exists(
            QuestionSet.objects.filter(registration=here, submitted_at__isnull=True)
        ),
    }


def questions_of(portfolios: Sequence[Portfolio]) -> list[QuestionSet]:
    """The question sets the learner has not answered yet on these registrations, the oldest
    first: a query only where there are some."""
    asked = [p.registration.pk for p in portfolios if p.registration.has_questions]  # type: ignore[attr-defined]
    if not asked:
        return []
    found = QuestionSet.objects.filter(registration__in=asked, submitted_at__isnull=True)
    return list(found.order_by("set_at", "pk").only("pk", "title"))


def progress(portfolios: Sequence[Portfolio]) -> list[Progress]:
    """Each registration's progress (the counts, the verdict on its achieved units and the
    shortest route) from its portfolio, with one query for the plans and one for RPL and
    exemptions (units achieved through RPL count as achieved: decision 50)."""
    ids = [p.registration.pk for p in portfolios]
    plans = plans_of(ids)
    prior = prior_learning_of(ids)
    tallied: list[Tally] = []
    for p in portfolios:
        plan = plans.get(p.registration.pk, Plan())
        held = prior.get(p.registration.pk, NO_PRIOR_LEARNING)
        rpl = held.rpl
        counts = Counts(
            registration=p.registration,
            criteria=plan.criteria,
            evidenced=len(p.evidenced),
            met=p.registration.n_met,  # type: ignore[attr-defined]
            units=len(plan.codes),
            units_achieved=len(p.achieved) + len(rpl),
            evidence_items=len(p.evidence),
            units_rpl=len(rpl),
            units_exempt=len(held.exempt),
        )
        tallied.append((counts, p.achieved, plan.codes))
    return judged(tallied, prior=prior)
