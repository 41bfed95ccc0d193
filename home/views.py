"""Each role's home page: the to-do list first, then what that role works on most."""

import datetime
from collections import defaultdict
from collections.abc import Sequence

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from assessment.caseload import draw_waiting
from assessment.pages import caseload_context
from eqa.models import EqaAccess
from home.learner import portfolios_of, progress
from home.todo import (
    admin_counts,
    assessor_todo,
    assessor_work,
    centre_admin_todo,
    learner_todo,
    todo_for,
)
from iqa.pages import held_centres, iqa_actions, iqa_home
from portal.http import PortalRequest, search_text
from portal.links import links_to
from portal.listing import page_of
from portal.models import Departure, Role, RoleKind, User
from portfolios.services import withdrawals_of

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
        # An external quality assurer comes from the awarding organisation and holds no role
        # at the centres they visit: their home is the list of their access windows.
        if EqaAccess.objects.filter(eqa=request.user).exists():
            return redirect("eqa:home")
        return render(request, "home/no_role.html")
    today = datetime.date.today()
    context: dict[str, object] = {"role": role}
    if role.kind == RoleKind.ASSESSOR:
        context.update(caseload_context(request, role))
        # The to-do list and the page show the same waiting work: read it once.
        centres = held_centres(request.roles, RoleKind.ASSESSOR)
        work = assessor_work(request.user, role, context["caseload"], centres)  # type: ignore[arg-type]
        context["todo"] = assessor_todo(request.user, role, today, work)
        context.update(
            waiting=work.waiting,
            waiting_items=draw_waiting(work.waiting),
            to_countersign=work.to_countersign,
            iqa_actions=work.actions,
        )
    elif role.kind == RoleKind.LEARNER:
        context.update(learner_home(request.user, role))
    elif role.kind == RoleKind.CENTRE_ADMIN:
        # The to-do's figures and the count of the people, read in one query (decision 66).
        counted = admin_counts(role.centre_id)
        context["todo"] = centre_admin_todo(role, counted)
        context.update(centre_people(request, role, everyone=counted.people))
    else:
        # The IQA's actions are listed and counted in the to-do list: read once for both.
        actions = (
            iqa_actions(request.user, today, held_centres(request.roles, RoleKind.IQA))
            if role.kind == RoleKind.IQA
            else None
        )
        context["todo"] = todo_for(request.user, role, today, actions=actions)
        if actions is not None:
            context.update(iqa_home(request.user, role, today, actions))
    return render(request, HOME_TEMPLATES[RoleKind(role.kind)], context)


def learner_home(user: User, role: Role) -> dict[str, object]:
    """The learner's to-do and each registration's progress, from one read of their
    registrations with their portfolios (`portfolios_of`)."""
    portfolios = portfolios_of(user, role)
    mine = [p.registration for p in portfolios]
    withdrawn = withdrawals_of(mine)  # (a query only if one is withdrawn)
    for registration in mine:
        # A withdrawn registration says so, when and why, and offers no route.
        registration.withdrawal = withdrawn.get(registration.pk)  # type: ignore[attr-defined]
    # Certificates, where there are some (the template asks `has_certificates` first).
    certified = [r for r in mine if r.has_certificates]  # type: ignore[attr-defined]
    prefetch_related_objects(certified, "certificates__replaced_by", "certificates__superseded_by")
    return {"todo": learner_todo(user, role, portfolios), "progress": progress(portfolios)}


def centre_people(
    request: PortalRequest, role: Role, everyone: int | None = None
) -> dict[str, object]:
    """Everyone in the role's centre, each with their roles there: one page of them, by name,
    searched by name or e-mail, counted in the database.

    `role` is the viewer's own centre admin role (the active one, of their own roles), and a
    centre admin sees every role in their centre (the rule, `Role.objects.visible_to`): the
    centre's roles are read as such, since building the rule's general query for every view
    cost more than the rest of the page. tests/home/test_centre_admin_pages.py holds the two
    to the same people. `everyone`: how many people hold a role at the centre, when the
    caller has counted them (`home.todo.admin_counts`)."""
    if role.kind != RoleKind.CENTRE_ADMIN or role.user_id != request.user.pk:
        raise PermissionDenied
    roles = Role.objects.filter(centre=role.centre)
    people = User.objects.filter(pk__in=roles.values("user_id"))
    search = search_text(request.GET.get("q"))
    if search:
        people = people.filter(Q(full_name__icontains=search) | Q(email__icontains=search))
        everyone = None  # counted by the paginator, as found
    elif everyone is None:
        # Everyone is counted from the centre's roles alone, without reading each person.
        everyone = roles.values("user_id").distinct().count()
    page = page_of(request, people.order_by("full_name", "pk"), count=everyone)
    held: dict[int, list[Role]] = defaultdict(list)
    for each in roles.filter(user__in=[p.pk for p in page]).order_by("kind"):
        held[each.user_id].append(each)
    person_link = links_to("person-detail")
    listed = [(person, held[person.pk], person_link(person.pk)) for person in page]
    return {
        "people": listed,
        "people_rows": people_rows(listed),
        "people_page": page,
        "people_search": search,
        # Leavers, to give their access back (portal.people_views); the latest first.
        "departed": Departure.objects.current()
        .filter(centre=role.centre)
        .select_related("user")[:20],
    }


def people_rows(people: Sequence[tuple[User, Sequence[Role], str]]) -> SafeString:
    """The people table's rows, drawn in Python (decision 23): the template's loop over 25
    people made some 5,800 of the page's 81,600 Python calls. Every value is escaped as the
    template would; tests/home/test_people_rows.py holds them to what the template drew."""
    return mark_safe("".join(_person_row(*each) for each in people))


def _person_row(person: User, roles: Sequence[Role], link: str) -> str:
    badges = "".join(
        f'<span class="badge text-bg-secondary me-1">{escape(r.label)}</span>' for r in roles
    )
    return (
        "\n        <tr>\n"
        f'          <td><a href="{escape(link)}">{escape(person.full_name)}</a></td>\n'
        f'          <td data-label="E-mail">{escape(person.email)}</td>\n'
        f'          <td data-label="Roles here">{badges}</td>\n'
        "        </tr>\n      "
    )
