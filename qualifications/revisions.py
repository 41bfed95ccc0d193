"""Giving qualifications a new revision when what the rules engine reads of them changes.

`rules.adapter.rules_for` keeps each qualification's built rules in the process, under the
qualification's id and revision. Every path that edits the catalogue (the loader and the Django
admin) calls `revise` in the same transaction as its edit, so once the edit is visible the new
revision is too, and the next request in every process builds the rules again. Any other save
or delete of a row the rules are read from (a shell, a script, a test) renews it too, through
model signals connected in `QualificationsConfig.ready`; only queryset `update()`/`bulk_create`
writes elsewhere must call `revise` themselves. The items of a unit (outcomes, criteria, range
and knowledge items) renew it too: the pages keep them per revision as well
(`qualifications.kept_units`). The claim readiness kept on registrations
(`portfolios.ClaimReadiness`) is stamped with the revision it was worked out under, so the same
renewal puts it out of date (decision 19); an awarding organisation's save renews its
qualifications' too, because their claim policy is read from it (decision 28).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import Model, Q, QuerySet

from qualifications.models import (
    AwardingOrganisation,
    BarredCombination,
    Criterion,
    EnvironmentRule,
    Equivalence,
    EvidenceKindRule,
    EvidenceRequirement,
    KnowledgeItem,
    LearningOutcome,
    LevelRule,
    MethodRule,
    Qualification,
    QualificationUnit,
    RangeItem,
    RuleGroup,
    SimulationRule,
    SufficiencyRule,
    Unit,
)


def revise(*, qualifications: Iterable[int | None] = (), units: Iterable[int | None] = ()) -> int:
    """Give a new revision to the qualifications given, and to every qualification that uses one
    of the units given (as a member, in an equivalence or in a barred set); how many changed."""
    concerned = touched(qualifications=qualifications, units=units)
    return concerned.update(revision=uuid.uuid4())


def touched(
    *, qualifications: Iterable[int | None] = (), units: Iterable[int | None] = ()
) -> QuerySet[Qualification]:
    """The qualifications given, and every qualification that uses one of the units given."""
    qualification_ids = {pk for pk in qualifications if pk is not None}
    unit_ids = {pk for pk in units if pk is not None}
    if not (qualification_ids or unit_ids):
        return Qualification.objects.none()
    condition = Q(pk__in=qualification_ids)
    if unit_ids:
        condition |= (
            Q(memberships__unit__in=unit_ids)
            | Q(equivalences__unit__in=unit_ids)
            | Q(equivalences__satisfied_by__in=unit_ids)
            | Q(barred_combinations__units__in=unit_ids)
        )
    ids = Qualification.objects.filter(condition).values("pk")
    return Qualification.objects.filter(pk__in=ids)


def revise_all() -> int:
    return Qualification.objects.update(revision=uuid.uuid4())


# The rows `rules.adapter.read_rules` reads a qualification's rules from.
RULE_PARTS: tuple[type[Model], ...] = (
    QualificationUnit,
    RuleGroup,
    LevelRule,
    BarredCombination,
    Equivalence,
    Unit,
)
RULE_SETS = (BarredCombination.units.through, Equivalence.satisfied_by.through)
# The rows of a unit's items, kept per revision by `qualifications.kept_units`.
# How a unit must be assessed (decision 48) renews it too, so that whatever assessment keeps of
# it per revision is read again.
UNIT_ITEMS: tuple[type[Model], ...] = (
    LearningOutcome,
    Criterion,
    RangeItem,
    KnowledgeItem,
    EvidenceRequirement,
    SimulationRule,
    EnvironmentRule,
    EvidenceKindRule,
    MethodRule,
    SufficiencyRule,
)

# Set while the loader writes the catalogue: it renews every revision once at the end, in the
# same transaction, instead of once for each of the thousands of rows it saves.
_deferred: ContextVar[bool] = ContextVar("revisions_deferred", default=False)


@contextmanager
def deferred() -> Iterator[None]:
    """Saves and deletes inside renew no revision: the caller must `revise_all` before the end
    of its transaction."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def revise_for(instance: Model) -> None:
    """Renew the revision of the qualifications whose rules read this catalogue row."""
    if isinstance(instance, Qualification):
        revise(qualifications=[instance.pk])
    elif isinstance(instance, AwardingOrganisation):  # its claim policy
        revise(qualifications=instance.qualifications.values_list("pk", flat=True))
    elif isinstance(instance, Unit):
        revise(units=[instance.pk])
    elif isinstance(instance, UNIT_ITEMS):
        revise(units=[instance.unit_id])  # type: ignore[attr-defined]
    else:
        revise(qualifications=[instance.qualification_id])  # type: ignore[attr-defined]


def catalogue_row_changed(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    """A row the rules are read from was saved or deleted. `update()` on the qualification
    itself sends no signal, so renewing it here cannot call itself again."""
    if not _deferred.get():
        revise_for(instance)


def catalogue_set_changed(sender: type[Model], instance: Model, action: str, **kwargs: Any) -> None:
    """The units of a barred combination or an equivalence changed (sent before and after)."""
    if action.startswith("post_") and not _deferred.get():
        revise_for(instance)


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    post_save.connect(catalogue_row_changed, sender=Qualification, dispatch_uid="revise-q")
    post_save.connect(catalogue_row_changed, sender=AwardingOrganisation, dispatch_uid="revise-ao")
    for model in RULE_PARTS + UNIT_ITEMS:
        uid = f"revise-{model._meta.label_lower}"
        post_save.connect(catalogue_row_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(catalogue_row_changed, sender=model, dispatch_uid=f"{uid}-delete")
    for through in RULE_SETS:
        m2m_changed.connect(catalogue_set_changed, sender=through, dispatch_uid=f"revise-{through}")
