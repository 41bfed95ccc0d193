"""Who may open an IQA plan, sample, action or document: one helper each, 404 otherwise."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404

from iqa.countersigning import countersignable_by
from iqa.models import Action, IqaDocument, Sample, SamplingPlan
from portal.http import PortalRequest
from portal.models import RoleKind, User
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
    countersignature (decision 49), by the IQAs who may countersign it (`countersignable_by`)."""
    user = request.user
    centre = "registration__centre__in"
    visible = Sample.objects.filter(
        Q(sampled_by=user, **{centre: roles_held(user, RoleKind.IQA)})
        | countersignable_by(user)
        | Q(assessor=user, **{centre: roles_held(user, RoleKind.ASSESSOR)})
        | Q(**{centre: roles_held(user, RoleKind.CENTRE_ADMIN)})
    ).select_related(
        "registration__learner",
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


def administers(user: User, sample: Sample) -> bool:
    """Whether the person is a centre admin of the sampled learner's centre."""
    return holds(user, RoleKind.CENTRE_ADMIN, sample.registration.centre)
