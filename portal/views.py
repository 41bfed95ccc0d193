import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal.http import PortalRequest
from portal.models import Role, RoleKind, User
from portal.roles import set_active_role
from portal.todo import todo_for

HOME_TEMPLATES = {
    RoleKind.LEARNER: "portal/home_learner.html",
    RoleKind.ASSESSOR: "portal/home_assessor.html",
    RoleKind.IQA: "portal/home_iqa.html",
    RoleKind.CENTRE_ADMIN: "portal/home_centre_admin.html",
}


@login_required
def home(request: PortalRequest) -> HttpResponse:
    """The home page of the role the person is acting in."""
    role = request.role
    if role is None:
        return render(request, "portal/home_no_role.html")
    context: dict[str, object] = {"role": role}
    context["todo"] = todo_for(request.user, role, datetime.date.today())
    if role.kind == RoleKind.CENTRE_ADMIN:
        context["people"] = centre_people(request.user, role)
    if role.kind == RoleKind.LEARNER:
        # Home pages gather what the later apps hold; they import it here, at the top of the stack.
        from portfolios.models import Registration
        from portfolios.progress import progress_of

        mine = Registration.objects.filter(learner=request.user, centre=role.centre)
        mine = mine.select_related("qualification").prefetch_related("certificates")
        context["progress"] = progress_of(list(mine))
    if role.kind == RoleKind.ASSESSOR:
        from assessment.pages import caseload_context
        from iqa.pages import assessor_actions

        context.update(caseload_context(request, role))
        context["iqa_actions"] = list(assessor_actions(request.user))
    if role.kind == RoleKind.IQA:
        from iqa.pages import iqa_home

        context.update(iqa_home(request.user, role, datetime.date.today()))
    return render(request, HOME_TEMPLATES[RoleKind(role.kind)], context)


def centre_people(viewer: User, role: Role) -> list[tuple[User, list[Role]]]:
    """Everyone in the role's centre whom the viewer may see, each with their roles there."""
    roles = Role.objects.visible_to(viewer).for_centre(role.centre).select_related("user")
    people: dict[int, tuple[User, list[Role]]] = {}
    for each in roles.order_by("user__full_name", "kind"):
        people.setdefault(each.user_id, (each.user, []))[1].append(each)
    return list(people.values())


@require_POST
@login_required
def switch_role(request: PortalRequest) -> HttpResponse:
    role = get_object_or_404(Role.objects.filter(user=request.user), pk=request.POST.get("role"))
    set_active_role(request, role)
    messages.success(request, f"You are now working as {role.label.lower()} at {role.centre}.")
    return redirect("home")


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and container healthchecks: the app is up and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
