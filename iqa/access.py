"""Who may open an IQA plan, sample, action or document: one helper each, 404 otherwise."""

from __future__ import annotations

import operator
from collections.abc import Iterable
from functools import reduce

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from iqa.countersigning import countersignable_by
from iqa.models import Action, IqaDocument, Sample, SamplingPlan
from portal.http import PortalRequest
from portal.models import Role, RoleKind, User
from portfolios.models import roles_held
from portfolios.services import holds


def plan_for(request: PortalRequest, pk: int) -> SamplingPlan:
    """A plan its IQA or a centre admin of its centre may open, or 404: the IQA while they are
    still an IQA there (one whose access the centre ended keeps no view of its plans)."""
    user = request.user
    visible = SamplingPlan.objects.filter(
        Q(iqa=user, centre__in=roles_held(user, RoleKind.IQA))
        | Q(centre__in=roles_held(user, RoleKind.CENTRE_ADMIN))
    ).select_related("qualification", "centre", "iqa")
    return get_object_or_404(visible, pk=pk)


def sample_for(request: PortalRequest, pk: int) -> Sample:
    """A sample seen by the IQA who took it, the assessor sampled, or a centre admin: each while
    they hold that role at the learner's centre; and, while it waits for a qualified IQA's
    countersignature (decision 49), by the IQAs who may countersign it (`countersignable_by`).

    The condition is built from the roles the request has read, with only the branches of the
    kinds held and their centres as plain ids (as `Registration.objects.visible_to` is): with a
    subquery of roles per kind, PostgreSQL took longer to plan it than to run it."""
    user = request.user
    held: dict[str, list[int]] = {kind: [] for kind in RoleKind.values}
    qualified_iqa: list[int] = []
    for role in request.roles:
        held[role.kind].append(role.centre_id)
        if role.kind == RoleKind.IQA and not role.is_trainee:
            qualified_iqa.append(role.centre_id)
    centre = "registration__centre__in"
    branches = []
    if held[RoleKind.IQA]:
        branches.append(Q(sampled_by=user, **{centre: held[RoleKind.IQA]}))
    if qualified_iqa:
        branches.append(countersignable_by(user, qualified_iqa))
    if held[RoleKind.ASSESSOR]:
        branches.append(Q(assessor=user, **{centre: held[RoleKind.ASSESSOR]}))
    if held[RoleKind.CENTRE_ADMIN]:
        branches.append(Q(**{centre: held[RoleKind.CENTRE_ADMIN]}))
    if not branches:
        raise Http404("No such sample.")
    visible = Sample.objects.filter(reduce(operator.or_, branches)).select_related(
        # Whether the learner is anonymised (`closed_because`), which the page asks.
        "registration__learner__anonymisation",
        "registration__centre",
        "unit",
        "assessor",
        "sampled_by",
        "lock_lifted_by",
        "countersigned_by",
    )
    return get_object_or_404(visible, pk=pk)


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


def administers(user: User, sample: Sample, roles: Iterable[Role] | None = None) -> bool:
    """Whether the person is a centre admin of the sampled learner's centre: from their
    `roles` when the caller has read them (a request has), else one query."""
    centre_id = sample.registration.centre_id
    if roles is not None:
        return any(r.kind == RoleKind.CENTRE_ADMIN and r.centre_id == centre_id for r in roles)
    return holds(user, RoleKind.CENTRE_ADMIN, centre_id)
