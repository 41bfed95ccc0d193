"""Who may open an IQA plan, sample, action or document: one helper each, 404 otherwise."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from iqa.countersigning import countersignable_by
from iqa.models import Action, IqaDocument, Sample, SamplingPlan
from portal.compiled import compiled_once, from_row
from portal.compiled_objects import objects_once
from portal.http import PortalRequest
from portal.models import Centre, RoleKind, User
from qualifications.models import Qualification


def plan_for(request: PortalRequest, pk: int) -> SamplingPlan:
    """A plan its IQA or a centre admin of its centre may open, or 404: the IQA while they are
    still an IQA there (one whose access the centre ended keeps no view of its plans). Told
    from the roles the request has already read (`request.roles`): the plan is read by its id."""
    plan = plan_read(pk)
    if (RoleKind.CENTRE_ADMIN, plan.centre_id) in held_roles(request) or is_plans_iqa(
        request, plan
    ):
        return plan
    raise Http404


def is_plans_iqa(request: PortalRequest, plan: SamplingPlan) -> bool:
    """Whether the person is the plan's IQA and still an IQA at its centre (as the request's
    roles say): who alone may add to the plan."""
    return plan.iqa_id == request.user.pk and (RoleKind.IQA, plan.centre_id) in held_roles(request)


def _columns(model: type[Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


# The plan's columns, then those of what `select_related("qualification", "centre", "iqa")`
# loaded with it.
PLAN_READ = _columns(SamplingPlan)
PLAN_RELATED: list[tuple[str, type[Model], tuple[str, ...]]] = [
    (name, model, _columns(model))
    for name, model in (("qualification", Qualification), ("centre", Centre), ("iqa", User))
]


@compiled_once
def _plan_row(pk: int) -> QuerySet[SamplingPlan, Any]:
    related = [f"{name}__{column}" for name, _, columns in PLAN_RELATED for column in columns]
    return SamplingPlan.objects.filter(pk=pk).order_by().values_list(*PLAN_READ, *related)


def plan_read(pk: int) -> SamplingPlan:
    """The plan with its qualification, centre and IQA, as `select_related` loads them (every
    column), or 404: by SQL compiled once per process (`portal.compiled`)."""
    rows = _plan_row(pk)
    if not rows:
        raise Http404
    row = rows[0]
    plan = from_row(SamplingPlan, PLAN_READ, row[: len(PLAN_READ)])
    at = len(PLAN_READ)
    for name, model, columns in PLAN_RELATED:
        setattr(plan, name, from_row(model, columns, row[at : at + len(columns)]))
        at += len(columns)
    return plan


SAMPLE_WITH = (
    "registration__learner",
    "registration__centre",
    "unit",
    "assessor",
    "sampled_by",
    "lock_lifted_by",
    "countersigned_by",
)


def sample_for(request: PortalRequest, pk: int) -> Sample:
    """A sample seen by the IQA who took it, the assessor sampled, or a centre admin: each while
    they hold that role at the learner's centre; and, while it waits for a qualified IQA's
    countersignature (decision 49), by the IQAs who may countersign it (`countersignable_by`).

    The first three are told from the roles the request has already read (`request.roles`), so
    the sample is read by its id alone; only someone else is looked up with the countersigner's
    condition, whose subqueries cost more to build and to plan than the read itself."""
    found = _sample(pk)
    if not found:
        raise Http404
    sample = found[0]
    if sees_as_holder(request, sample):
        return sample
    if Sample.objects.filter(countersignable_by(request.user), pk=pk).exists():
        return sample
    raise Http404


@objects_once
def _sample(pk: int) -> QuerySet[Sample]:
    """The sample with what its pages show of it (`SAMPLE_WITH`), by SQL compiled once per
    process: built and compiled for each request, the seven tables joined cost the report some
    3,000 Python calls (issue 17, sixth round)."""
    return Sample.objects.select_related(*SAMPLE_WITH).filter(pk=pk)


def held_roles(request: PortalRequest) -> set[tuple[str, int]]:
    """(kind, centre) of each role the person holds, as the request read them."""
    return {(role.kind, role.centre_id) for role in request.roles}


def sees_as_holder(request: PortalRequest, sample: Sample) -> bool:
    """Whether the person sees the sample as the IQA who took it, the assessor sampled or a
    centre admin, holding that role at the learner's centre."""
    user, held = request.user, held_roles(request)
    centre = sample.registration.centre_id
    return (
        (sample.sampled_by_id == user.pk and (RoleKind.IQA, centre) in held)
        or (sample.assessor_id == user.pk and (RoleKind.ASSESSOR, centre) in held)
        or (RoleKind.CENTRE_ADMIN, centre) in held
    )


def action_for(request: PortalRequest, pk: int) -> Action:
    """An action of a sample the person may see, or 404."""
    action = get_object_or_404(Action.objects.all(), pk=pk)
    action.sample = sample_for(request, action.sample_id)
    return action


def document_for(request: PortalRequest, pk: int) -> IqaDocument:
    """A document of a sample or plan the person may open, or 404."""
    document = get_object_or_404(IqaDocument.objects.all(), pk=pk)
    if document.sample_id:
        sample_for(request, document.sample_id)
    else:
        plan_for(request, document.plan_id or 0)
    return document


def administers(request: PortalRequest, sample: Sample) -> bool:
    """Whether the person is a centre admin of the sampled learner's centre (by the roles the
    request read)."""
    return (RoleKind.CENTRE_ADMIN, sample.registration.centre_id) in held_roles(request)
