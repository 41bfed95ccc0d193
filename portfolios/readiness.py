"""Keeping the stored claim readiness (`ClaimReadiness`) true: what marks it out of date.

Certification, on a higher floor, works readiness out and stores it. The services below it
cannot import it, so they only say "this registration changed" here, in their own transaction,
after their centre's audit chain (the house lock order): one UPDATE, and the next page that
shows the registration works it out again. Changes to the catalogue's rules are caught by model
signals (connected in `PortfoliosConfig.ready`), since the catalogue is below this app and is
also changed by the loader and the admin, not by services of ours; so is a change of a learner's
name, which the claims page's lists are sorted by (the account is the portal's, below).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Model

from portal.models import User
from portfolios.models import ClaimReadiness, Registration, RulesStamp
from qualifications.models import (
    BarredCombination,
    Equivalence,
    LevelRule,
    Qualification,
    QualificationUnit,
    RuleGroup,
    Unit,
)


def readiness_changed(*registrations: Registration | int) -> None:
    """Mark the kept claim readiness of these registrations stale. Call it inside the write's
    transaction, after its centre's chain, from every service that changes what readiness is
    worked out from or which list of the claims page it puts the registration on: the units
    achieved (the learner's countersignature of a sign-off, an unlock), what IQA holds back
    (summative samples planned, by hand or in a generated plan, and removed; samples recorded,
    with or without actions; actions closed), claims, and registrations closed. Decisions,
    countersignatures of decisions, sign-offs not yet countersigned by the learner, answers to
    actions, lifted locks, changed unit choices, revocations and replacements change nothing it
    depends on (tests/certification/test_readiness_kept.py puts each through the same check;
    decision 19)."""
    ids = {r if isinstance(r, int) else r.pk for r in registrations}
    if ids:
        ClaimReadiness.objects.filter(registration_id__in=ids, stale=False).update(stale=True)


def rules_changed(qualification_ids: Iterable[int]) -> None:
    """Give these qualifications a new rules stamp: kept readiness stamped with the old one is
    then out of date, for every centre at once, without touching the registrations."""
    existing = set(
        Qualification.objects.filter(pk__in=set(qualification_ids)).values_list("pk", flat=True)
    )
    if existing:
        RulesStamp.objects.bulk_create(
            [RulesStamp(qualification_id=pk, stamp=uuid.uuid4()) for pk in sorted(existing)],
            update_conflicts=True,
            unique_fields=["qualification"],
            update_fields=["stamp"],
        )


# The models `qualifications.rules.adapter.rules_for` reads a qualification's rules from.
RULE_PARTS: tuple[type[Model], ...] = (
    QualificationUnit,
    RuleGroup,
    LevelRule,
    BarredCombination,
    Equivalence,
    Unit,
)
RULE_SETS = (BarredCombination.units.through, Equivalence.satisfied_by.through)


def qualifications_of(instance: Model) -> list[int]:
    """The qualifications whose rules read this catalogue row."""
    if isinstance(instance, Qualification):
        return [instance.pk]
    if isinstance(instance, Unit):
        memberships = QualificationUnit.objects.filter(unit=instance)
        return list(memberships.values_list("qualification_id", flat=True))
    return [instance.qualification_id]  # type: ignore[attr-defined]


def catalogue_row_changed(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    """A row the rules are read from was saved or deleted (a qualification itself only saved:
    one with registrations cannot be deleted)."""
    rules_changed(qualifications_of(instance))


def catalogue_set_changed(sender: type[Model], instance: Model, action: str, **kwargs: Any) -> None:
    """The units of a barred combination or an equivalence changed (sent before and after)."""
    if action.startswith("post_"):
        rules_changed(qualifications_of(instance))


def learner_saved(sender: type[User], instance: User, **kwargs: Any) -> None:
    """The claims page lists learners by the name kept with their readiness: a save that may
    have changed the name (not a login's, which saves `last_login` only) marks theirs stale."""
    fields = kwargs.get("update_fields")
    if not kwargs.get("created") and (fields is None or "full_name" in fields):
        kept = ClaimReadiness.objects.filter(registration__learner=instance, stale=False)
        kept.update(stale=True)


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    post_save.connect(learner_saved, sender=User, dispatch_uid="readiness-learner-name")

    post_save.connect(catalogue_row_changed, sender=Qualification, dispatch_uid="rules-q")
    for model in RULE_PARTS:
        uid = f"rules-{model._meta.label_lower}"
        post_save.connect(catalogue_row_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(catalogue_row_changed, sender=model, dispatch_uid=f"{uid}-delete")
    for through in RULE_SETS:
        m2m_changed.connect(catalogue_set_changed, sender=through, dispatch_uid=f"rules-{through}")
