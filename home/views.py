"""Each role's home page: the to-do list first, then what that role works on most."""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from assessment.pages import caseload_context
from assessment.progress import progress_of
from home.todo import todo_for
from iqa.pages import assessor_actions, iqa_home
from portal.http import PortalRequest
from portal.models import Role, RoleKind, User
from portfolios.models import Registration

HOME_TEMPLATES = {
    RoleKind.LEARNER: "home/learner.html",
    RoleKind.ASSESSOR: "home/assessor.html",
    RoleKind.IQA: "home/iqa.html",
    RoleKind.CENTRE_ADMIN: "home/centre_admin.html",
}


@login_required
def home(request: PortalRequest) -> HttpResponse:
    """The home page of the role the person is acting in."""
    role = request.role
    if role is None:
        return render(request, "home/no_role.html")
    today = datetime.date.today()
    context: dict[str, object] = {"role": role, "todo": todo_for(request.user, role, today)}
    if role.kind == RoleKind.CENTRE_ADMIN:
        context["people"] = centre_people(request.user, role)
    if role.kind == RoleKind.LEARNER:
        mine = Registration.objects.filter(learner=request.user, centre=role.centre)
        mine = mine.select_related("qualification", "learner__anonymisation")
        mine = mine.prefetch_related("certificates__replaced_by")
        context["progress"] = progress_of(list(mine))
    if role.kind == RoleKind.ASSESSOR:
        context.update(caseload_context(request, role))
        context["iqa_actions"] = list(assessor_actions(request.user))
    if role.kind == RoleKind.IQA:
        context.update(iqa_home(request.user, role, today))
    return render(request, HOME_TEMPLATES[RoleKind(role.kind)], context)


def centre_people(viewer: User, role: Role) -> list[tuple[User, list[Role]]]:
    """Everyone in the role's centre whom the viewer may see, each with their roles there."""
    roles = Role.objects.visible_to(viewer).for_centre(role.centre).select_related("user")
    people: dict[int, tuple[User, list[Role]]] = {}
    for each in roles.order_by("user__full_name", "kind"):
        people.setdefault(each.user_id, (each.user, []))[1].append(each)
    return list(people.values())
