"""Each role's home page: the to-do list first, then what that role works on most."""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, prefetch_related_objects
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
from portal.compiled import compiled_once, compiled_page_once
from portal.compiled_objects import objects_once
from portal.http import PortalRequest, search_text
from portal.links import links_to
from portal.listing import PER_PAGE, page_of, pages_of
from portal.models import Departure, Role, RoleKind, User, role_label
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
    centre = role.centre_id
    search = search_text(request.GET.get("q"))
    if search:
        roles = Role.objects.filter(centre=centre)
        people = User.objects.filter(pk__in=roles.values("user_id")).filter(
            Q(full_name__icontains=search) | Q(email__icontains=search)
        )
        page = page_of(request, people.order_by("full_name", "pk"))  # counted, as found
        page.object_list = [Listed(p.pk, p.full_name, p.email) for p in page]
    else:
        if everyone is None:
            # Everyone is counted from the centre's roles alone, without reading each person.
            everyone = Role.objects.filter(centre=centre).values("user_id").distinct().count()
        # The page asked for, read by SQL compiled once whatever the page (`page_of`'s page).
        page = pages_of(
            request,
            {"page": everyone},
            lambda first: {
                "page": [Listed(*row) for row in people_at(centre, first["page"], PER_PAGE)]
            },
        )["page"]
    held: dict[int, list[HeldRole]] = defaultdict(list)
    for user, kind, is_trainee in roles_here(centre, [p.pk for p in page]):
        held[user].append(HeldRole(role_label(kind, is_trainee)))
    person_link = links_to("person-detail")
    listed = [(person, held[person.pk], person_link(person.pk)) for person in page]
    return {
        "people": listed,
        "people_rows": people_rows(listed),
        "people_page": page,
        "people_search": search,
        # Leavers, to give their access back (portal.people_views); the latest first.
        "departed": departed_from(centre),
    }


class Listed(NamedTuple):
    """A person on the people page: what its row shows."""

    pk: int
    full_name: str
    email: str


class HeldRole(NamedTuple):
    """A role a listed person holds at the centre, by its name (`Role.label`)."""

    label: str


# The centre's people, its roles and its leavers read by SQL compiled once (decision 78): built
# and compiled per view, these three queries cost some 3,000 Python calls of the admin's home.


@compiled_page_once
def people_at(centre: int) -> QuerySet[Any]:
    """Everyone holding a role at the centre, by name: one page of them (`compiled_page_once`)."""
    everyone = Role.objects.filter(centre=centre).values("user_id")
    return (
        User.objects.filter(pk__in=everyone)
        .order_by("full_name", "pk")
        .values_list("pk", "full_name", "email")
    )


@compiled_once
def roles_here(centre: int, people: list[int]) -> QuerySet[Any]:
    """The roles these people hold at the centre, each person's by kind."""
    return (
        Role.objects.filter(centre=centre, user__in=people)
        .order_by("kind")
        .values_list("user_id", "kind", "is_trainee")
    )


@objects_once
def departed_from(centre: int) -> QuerySet[Departure]:
    """The centre's last 20 leavers whose access is not given back, with who they are."""
    return Departure.objects.current().filter(centre=centre).select_related("user")[:20]


def people_rows(
    people: Sequence[tuple[Listed | User, Sequence[HeldRole | Role], str]],
) -> SafeString:
    """The people table's rows, drawn in Python (decision 23): the template's loop over 25
    people made some 5,800 of the page's 81,600 Python calls. Every value is escaped as the
    template would; tests/home/test_people_rows.py holds them to what the template drew."""
    return mark_safe("".join(_person_row(*each) for each in people))


def _person_row(person: Listed | User, roles: Sequence[HeldRole | Role], link: str) -> str:
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
