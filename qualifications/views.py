"""The catalogue pages. The catalogue is public information (the specifications are published),
so these pages need no login; they show nothing about centres or people."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from qualifications.describe import describe_group, describe_qualification
from qualifications.export import UNIT_RELATIONS
from qualifications.lifecycle import registration_refusal
from qualifications.models import (
    Criterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    RuleGroup,
    Unit,
)
from qualifications.search import search_criteria, search_units

QUERY_TOO_SHORT = "Type at least two letters to search."


@dataclass
class GroupView:
    """A rule group as its page shows it: its rules in words, its units and their totals."""

    group: RuleGroup
    memberships: list[QualificationUnit]

    @property
    def rules(self) -> list[str]:
        return describe_group(self.group)

    @property
    def credits(self) -> int:
        return sum(m.unit.credits or 0 for m in self.memberships)

    @property
    def glh(self) -> int:
        return sum(m.unit.glh or 0 for m in self.memberships)


def catalogue(request: HttpRequest) -> HttpResponse:
    qualifications = Qualification.objects.select_related("awarding_organisation").order_by(
        "awarding_organisation__name", "level", "title"
    )
    return render(
        request, "qualifications/qualification_list.html", {"qualifications": qualifications}
    )


def qualification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    qualification = get_object_or_404(
        Qualification.objects.select_related("awarding_organisation"), pk=pk
    )
    memberships = list(qualification.memberships.select_related("unit", "group"))
    groups = [
        GroupView(group, [m for m in memberships if m.group_id == group.pk])
        for group in qualification.groups.all()
    ]
    ungrouped = [m for m in memberships if m.group_id is None]
    context = {
        "qualification": qualification,
        "rules": describe_qualification(qualification),
        "groups": groups,
        "ungrouped": ungrouped,
        "unit_count": len(memberships),
        "corrections": qualification.corrections.all(),
        "lifecycle_refusal": registration_refusal(qualification, timezone.localdate()),
    }
    return render(request, "qualifications/qualification_detail.html", context)


def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    outcomes = LearningOutcome.objects.prefetch_related(
        Prefetch("criteria", queryset=Criterion.objects.order_by("position"))
    )
    unit = get_object_or_404(
        Unit.objects.prefetch_related(
            Prefetch("outcomes", queryset=outcomes),
            *UNIT_RELATIONS,
        ),
        pk=pk,
    )
    used_in = QualificationUnit.objects.filter(unit=unit).select_related("qualification", "group")
    return render(request, "qualifications/unit_detail.html", {"unit": unit, "used_in": used_in})


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").replace("\x00", "").strip()  # PostgreSQL refuses NUL
    context: dict[str, object] = {"query": query}
    if query and len(query) < 2:
        context["error"] = QUERY_TOO_SHORT
    elif query:
        context["units"] = list(search_units(query))
        context["criteria"] = list(search_criteria(query))
    return render(request, "qualifications/search.html", context)
