"""The plan page's reads, compiled once per process (`portal.compiled`): the same querysets as
before, built and compiled on every fetch they cost Django more than PostgreSQL spends
answering them (a plan's items, its learners, the names and codes its matrices show)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery, TextField
from django.db.models.functions import Cast

from iqa.models import PlanItem
from portal.compiled import compiled_once
from portal.lookups import one_of
from portal.models import User
from portfolios.models import Registration
from qualifications.models import Unit

# What the plan page reads of each item (`iqa.pages.Planned`), and whether it has been sampled.
PLANNED = ("registration_id", "unit_id", "stage", "assessor_id", "methods", "pk", "by_hand")


# `PLANNED` with the methods as their JSON's text: Django decoded the JSON of each of a plan's
# hundreds of items (a few calls each), where a plan's items share a few dozen sets of methods,
# each decoded once (`iqa.pages.planned_and_sampled`).
PLANNED_AS_TEXT = tuple(Cast(name, TextField()) if name == "methods" else name for name in PLANNED)


@compiled_once
def plan_items(plan_id: int) -> QuerySet[PlanItem, Any]:
    """A plan's items (`PLANNED`, the methods as JSON text), each with whether it has been
    sampled (`counts_for_item`)."""
    return (
        PlanItem.objects.filter(plan_id=plan_id)
        .with_sampled()
        .order_by()
        .values_list(*PLANNED_AS_TEXT, "is_sampled")
    )


@compiled_once
def plan_learners(registrations: list[int]) -> QuerySet[Registration, Any]:
    """These registrations (a plan's items' and its period's work's), each with its learner's
    name, its status and whether the learner is anonymised (`iqa.pages.plan_learners` says why
    it is read this way)."""
    name = User.objects.filter(pk=OuterRef("learner_id")).order_by().values("full_name")[:1]
    anonymised = User.objects.filter(pk=OuterRef("learner_id"), anonymisation__isnull=False)
    return (
        Registration.objects.filter(one_of("pk", registrations))
        .order_by()
        .values_list("pk", Subquery(name), "status", Exists(anonymised))
    )


@compiled_once
def names(people: list[int]) -> QuerySet[User, Any]:
    """(id, full name) of these people, by name."""
    return (
        User.objects.filter(one_of("pk", people))
        .order_by("full_name", "pk")
        .values_list("pk", "full_name")
    )


@compiled_once
def codes(units: list[int]) -> QuerySet[Unit, Any]:
    """(id, code) of these units, by code."""
    return Unit.objects.filter(one_of("pk", units)).order_by("code", "pk").values_list("pk", "code")
