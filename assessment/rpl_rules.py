"""RPL for items obeys the unit's simulation rules, as a `met` decision does (decisions 51, 53
and 54, amended after review).

RPL agreed for a criterion or range item on a piece of the learner's evidence counts the item as
met with no decision; where that evidence is simulated performance evidence (simulated, of kind
performance or not stated) and the item's element (else its unit) does not allow simulation, it
is refused in the words a `met` decision on it would be (`unit_rules.simulation_forbidden`).
Simulated evidence of kind supplementary or knowledge is refused alike: RPL rests on that one
piece, and a `met` decision resting on it alone would be refused (decision 51, amended after
review).
`portfolios.prior_learning` is a floor below and cannot read the rules' wording here: it sends
`rpl_agreeing` under the chain and the registration's lock with the items and the evidence
chosen, and this answers, reading the evidence again under those locks. Evidence uploaded for
RPL is stored as real work, so only evidence chosen from the portfolio is checked.

A whole unit's RPL (sent by `PriorLearning`, with no items) is for every criterion and range
item of the unit, so it is checked as RPL for all of them would be: refused on simulated
performance evidence wherever the unit, or one of its elements, does not allow simulation
(decision 52, amended on 7 December 2026)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assessment.unit_rules import PERFORMANCE, simulation_forbidden
from portfolios.models import Evidence, EvidenceSetting, PriorLearning, Registration
from portfolios.prior_learning import Key, PriorLearningRefused, rpl_agreeing
from qualifications.kept_units import units_rows
from qualifications.requirements import REALISTIC


def refuse_simulated(
    sender: Any,
    *,
    registration: Registration,
    unit_id: int,
    items: Sequence[Key] = (),
    evidence_id: int | None = None,
    **kwargs: Any,
) -> None:
    whole_unit = sender is PriorLearning
    if evidence_id is None or not (items or whole_unit):
        return
    piece = Evidence.objects.filter(pk=evidence_id).only("setting", "kind").first()
    if piece is None or piece.setting not in (EvidenceSetting.SIMULATED, REALISTIC):
        return
    unit_of: dict[tuple[str, int], int] = every_item(registration, unit_id) if whole_unit else {}
    for c, r, k in items:
        if c:
            unit_of["criterion", c] = unit_id
        elif r:
            unit_of["range_item", r] = unit_id
        elif k:
            unit_of["knowledge_item", k] = unit_id
    strict = piece.setting == EvidenceSetting.SIMULATED
    # Simulated supplementary or knowledge evidence is no more real work than simulated
    # performance evidence: RPL on it alone is refused as a `met` decision on it would be.
    supporting = piece.kind not in PERFORMANCE
    problems = simulation_forbidden(registration.qualification, unit_of, strict, supporting)
    if problems:
        raise PriorLearningRefused(problems, dict.fromkeys(problems, "evidence"))


def every_item(registration: Registration, unit_id: int) -> dict[tuple[str, int], int]:
    """The unit's criteria and range items (the items simulation is judged for), from the
    kept rows."""
    unit_of: dict[tuple[str, int], int] = {}
    for unit in units_rows(registration.qualification, {unit_id}):
        unit_of |= {("criterion", c.pk): unit_id for c in unit.criteria}
        unit_of |= {("range_item", r.pk): unit_id for r in unit.range_items}
    return unit_of


def connect_signals() -> None:
    rpl_agreeing.connect(refuse_simulated, dispatch_uid="assessment-rpl-simulation")
