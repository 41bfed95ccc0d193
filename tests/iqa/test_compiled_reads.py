"""The IQA home's and the sample form's reads compiled once (`portal.compiled`, `iqa.pages.by_day`)
give what the querysets they replaced give, on real rows (issue 17, sixth round)."""

import datetime
from typing import Any

from django.db.models import Q

from assessment.models import Decision
from iqa.pages import decision_rows, held_centres, iqa_actions, unit_under_sample
from portal.models import RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import Evidence
from tests.iqa import test_views
from tests.iqa.test_services import BEGUN_UNIT, SIGNED_UNIT, decide, unit
from tests.iqa.test_views import DUE
from tests.portfolios.files import pdf, text

# The IQA pages' fixtures: evidence, the assessor's decisions on it, a sample and its action.
evidence, assessed = test_views.evidence, test_views.assessed
sampled, action = test_views.sampled, test_views.action


def as_the_queryset_read_them(registration, code):
    """The sample form's decisions and evidence as `unit_under_sample` read them before."""
    on_unit = unit(code)
    decisions = list(
        Decision.objects.filter(registration=registration, current=True)
        .filter(
            Q(criterion__unit=on_unit)
            | Q(range_item__unit=on_unit)
            | Q(knowledge_item__unit=on_unit)
        )
        .select_related("decided_by", "countersigned_by", "criterion", "range_item")
        .select_related("knowledge_item")
        .order_by("criterion__position", "range_item__position", "knowledge_item__position")
    )
    pieces = Evidence.objects.filter(decisions__in=decisions).distinct().prefetch_related("files")
    return decisions, list(pieces)


def test_the_sample_form_reads_the_units_decisions_and_evidence_as_the_querysets_did(
    assessed, assessor, learner
):
    """Each unit's decisions in the unit's order with the same words, and their evidence newest
    first with its method and its files' names in their order (two files, and one): the reads
    compiled once, rows as values, against the querysets with their five tables."""
    both = evidence_add(
        registration=assessed,
        details=EvidenceDetails("Two files", datetime.date(2026, 10, 9), "product"),
        files=[pdf("first.pdf", extra=b"another"), text("second.txt")],
        declared=True,
        actor=learner,
    )
    decide(assessed, assessor, BEGUN_UNIT, "4.2", evidence=[both])
    for code in (SIGNED_UNIT, BEGUN_UNIT):
        decisions, pieces = as_the_queryset_read_them(assessed, code)
        shown: dict[str, Any] = unit_under_sample(assessed, unit(code))
        assert [d.pk for d in shown["decisions"]] == [d.pk for d in decisions]
        assert shown["rows"] == decision_rows(decisions)
        assert [e.pk for e in shown["evidence"]] == [e.pk for e in pieces]
        assert [(e.method_label, e.file_names) for e in shown["evidence"]] == [
            (e.get_method_display(), ", ".join(f.original_name for f in e.files.all()))
            for e in pieces
        ]
    # The begun unit's evidence holds the piece with two files.
    begun: dict[str, Any] = unit_under_sample(assessed, unit(BEGUN_UNIT))
    assert "first.pdf, second.txt" in [e.file_names for e in begun["evidence"]]


def test_the_iqa_homes_actions_are_read_for_the_day_asked(iqa, action):
    """An open action due on a day is overdue from the next day: the compiled read takes the
    day as it is given (compiled again for another day), and lists what the queryset lists."""
    centres = held_centres(iqa.roles.all(), RoleKind.IQA)
    day_after = DUE + datetime.timedelta(days=1)
    for today, overdue in ((DUE, []), (day_after, [action.pk])):
        compiled = iqa_actions(iqa, today, centres)
        queried = iqa_actions(iqa, today)
        assert [a.pk for a in compiled.overdue] == [a.pk for a in queried.overdue] == overdue
        assert [a.pk for a in compiled.to_close] == [a.pk for a in queried.to_close] == []
        assert [a.sample.unit.code for a in compiled.overdue] == [
            a.sample.unit.code for a in queried.overdue
        ]
