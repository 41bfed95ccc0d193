"""Who may open what on the assessor's pages: one helper per resource, 404 when unseen."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from assessment.models import UnitSignOff
from portal.compiled_objects import objects_once
from portal.http import PortalRequest
from portal.models import RoleKind
from portfolios.access import registration_for, visible_registrations
from portfolios.models import Mapping, Registration, RegistrationUnit
from qualifications.models import Criterion, KnowledgeItem, RangeItem, Unit

ITEM_MODELS: dict[str, type[Criterion] | type[RangeItem] | type[KnowledgeItem]] = {
    "criterion": Criterion,
    "range_item": RangeItem,
    "knowledge_item": KnowledgeItem,
}


ONLY_QUALIFIED_ASSESSORS = (
    "Countersigning is for qualified assessors: switch to your assessor role to countersign."
)


def require_countersigner(request: PortalRequest) -> None:
    """The countersigning page is a qualified assessor's, acting as one: anyone else (a learner,
    a trainee, an IQA or a centre admin) is refused with 403."""
    role = request.role
    if role is None or role.kind != RoleKind.ASSESSOR or role.is_trainee:
        raise PermissionDenied(ONLY_QUALIFIED_ASSESSORS)


def planned_unit_for(registration: Registration, unit_pk: int) -> Unit:
    """A unit of the registration's plan, or 404."""
    return planned_unit_assessed(registration, unit_pk)[0]


NO_UNIT = "No Unit matches the given query."


def planned_unit_assessed(registration: Registration, unit_pk: int) -> tuple[Unit, int | None]:
    """A unit of the registration's plan, or 404, and who assesses it: its own assessor, else
    the registration's (`Registration.unit_assessors`, decision 39; None: nobody yet). One
    query, its line of the plan with the unit: the sign-off page read the unit by a subquery
    of the plan, then the whole plan for its assessor."""
    # By SQL compiled once per process (`portal.compiled_objects`), which finds nothing for a
    # number no id reaches, as the ORM's lookup does: built and compiled at each request, the
    # read cost some 1,800 Python calls (issue 17, seventh round).
    found = _planned_unit(registration.pk, unit_pk)
    if not found:
        raise Http404(NO_UNIT)
    [planned] = found
    return planned.unit, planned.assessor_id or registration.assessor_id


@objects_once
def _planned_unit(registration_id: int, unit_id: int) -> QuerySet[RegistrationUnit]:
    """The registration's line of the plan for the unit, with the unit (one at most: a unit is
    planned once)."""
    found = RegistrationUnit.objects.select_related("unit").order_by()
    return found.filter(registration_id=registration_id, unit_id=unit_id)


def sign_off_for(request: PortalRequest, pk: int) -> UnitSignOff:
    """A sign-off of a registration the person may see, or 404."""
    visible = visible_registrations(request)
    found = UnitSignOff.objects.select_related("registration__centre", "unit")
    return get_object_or_404(found, pk=pk, registration__in=visible)


def mapping_for(request: PortalRequest, pk: int) -> Mapping:
    visible = visible_registrations(request)
    found = Mapping.objects.select_related("evidence__registration")
    return get_object_or_404(found, pk=pk, evidence__registration__in=visible)


def item_for(
    request: PortalRequest, pk: int, kind: str, item_pk: int
) -> tuple[Registration, Criterion | RangeItem | KnowledgeItem]:
    """A criterion (or range or knowledge item) in the plan of a registration the person may
    see, or 404."""
    registration = registration_for(request, pk)
    model = ITEM_MODELS.get(kind)
    if model is None:
        raise Http404("No such kind of item.")
    planned = registration.planned_units.values("unit_id")
    item = get_object_or_404(
        model._default_manager.select_related("unit").filter(unit_id__in=planned), pk=item_pk
    )
    return registration, item  # type: ignore[return-value]
