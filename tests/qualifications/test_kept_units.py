"""The rows of a qualification's units' items are read once per revision in a process, and every
save or delete of an outcome, criterion, range or knowledge item gives the qualifications using
its unit a new revision, so the next page reads the rows again."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualifications.kept_units import read_units, units_rows
from qualifications.loader import catalogue_load
from qualifications.models import (
    Criterion,
    KnowledgeItem,
    LearningOutcome,
    Qualification,
    RangeItem,
    Unit,
)

pytestmark = pytest.mark.django_db

CVQ_UNIT = "U09602"  # with range and knowledge items


def qualification_of(unit: Unit) -> Qualification:
    """Its qualification's row as the next request would read it."""
    return Qualification.objects.filter(memberships__unit=unit).order_by("pk")[0]


def queries(read: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured)


def test_the_rows_are_read_once_a_revision_and_are_the_databases(catalogue_db):
    unit = Unit.objects.get(code=CVQ_UNIT)
    qualification = qualification_of(unit)
    assert queries(lambda: units_rows(qualification, [unit.pk])) > 0
    for again in [qualification_of(unit) for _ in range(3)]:  # new rows, as in new requests
        with CaptureQueriesContext(connection) as captured:
            units_rows(again, [unit.pk])
        assert len(captured) == 0
    [kept] = units_rows(qualification_of(unit), [unit.pk])
    assert kept == read_units([unit.pk])[unit.pk]
    assert [c.pk for c in kept.criteria] == list(
        unit.criteria.order_by("position", "pk").values_list("pk", flat=True)
    )
    assert kept.range_items and kept.knowledge_items and kept.uses_elements


def test_units_come_by_code_and_only_those_asked_for(catalogue_db):
    qualification = Qualification.objects.filter(memberships__isnull=False).first()
    assert qualification is not None
    ids = list(qualification.memberships.values_list("unit_id", flat=True)[:3])
    found = units_rows(qualification, ids)
    assert sorted(u.pk for u in found) == sorted(ids)
    assert [u.code for u in found] == sorted(u.code for u in found)


EDITS: dict[str, Callable[[Unit], Any]] = {
    "outcome": lambda unit: LearningOutcome.objects.filter(unit=unit).first(),
    "criterion": lambda unit: Criterion.objects.filter(unit=unit).first(),
    "range item": lambda unit: RangeItem.objects.filter(unit=unit).first(),
    "knowledge item": lambda unit: KnowledgeItem.objects.filter(unit=unit).first(),
}


@pytest.mark.parametrize("kind", EDITS)
def test_an_items_text_saved_is_shown_by_the_next_read(catalogue_db, kind):
    unit = Unit.objects.get(code=CVQ_UNIT)
    before = qualification_of(unit)
    units_rows(before, [unit.pk])  # kept, as a page would have left them
    item = EDITS[kind](unit)
    item.text = "Edited in a shell"
    item.save()
    after = qualification_of(unit)
    assert after.revision != before.revision
    [rows] = units_rows(after, [unit.pk])
    texts = [o.text for o in rows.outcomes] + [c.text for c in rows.criteria]
    texts += [r.text for r in rows.range_items] + [k.text for k in rows.knowledge_items]
    assert "Edited in a shell" in texts


def test_a_criterion_deleted_is_gone_from_the_next_read(catalogue_db):
    unit = Unit.objects.get(code=CVQ_UNIT)
    units_rows(qualification_of(unit), [unit.pk])
    gone = Criterion.objects.filter(unit=unit).first()
    assert gone is not None
    gone_pk = gone.pk
    gone.delete()
    [rows] = units_rows(qualification_of(unit), [unit.pk])
    assert gone_pk not in {c.pk for c in rows.criteria}


def test_a_unit_outside_the_qualification_is_read_afresh_every_time(catalogue_db):
    unit = Unit.objects.get(code=CVQ_UNIT)
    other = Qualification.objects.exclude(memberships__unit=unit).first()
    assert other is not None
    units_rows(other, [unit.pk])
    assert queries(lambda: units_rows(other, [unit.pk])) > 0
    # An edit there renews no revision of `other`, and is shown all the same.
    Criterion.objects.filter(unit=unit).update(text="Changed by an update")
    [rows] = units_rows(Qualification.objects.get(pk=other.pk), [unit.pk])
    assert {c.text for c in rows.criteria} == {"Changed by an update"}


def test_a_load_renews_the_revisions_once_not_for_every_row_it_saves(catalogue, write):
    catalogue_load([write(catalogue)])
    unit = Unit.objects.get(code="U/3")
    before = qualification_of(unit)
    units_rows(before, [unit.pk])
    catalogue["units"][2]["outcomes"][0]["criteria"][0]["text"] = "Explain it all"
    catalogue["units"][2]["outcomes"][0]["criteria"].append({"number": "1.9", "text": "New"})
    with CaptureQueriesContext(connection) as captured:
        catalogue_load([write(catalogue)])
    renewals = [q for q in captured if 'SET "revision"' in q["sql"]]
    assert len(renewals) == 1
    [rows] = units_rows(qualification_of(unit), [unit.pk])
    assert rows.criteria[0].text == "Explain it all"
    assert rows.criteria[-1].number == "1.9"


@pytest.mark.parametrize(
    "relation",
    ["simulation_rules", "evidence_kind_rules", "method_rules", "sufficiency_rules"],
)
def test_a_rule_of_how_the_unit_is_assessed_saved_renews_the_revision(catalogue_db, relation):
    # Assessment may keep them per revision as it keeps the items (decision 48).
    unit = Unit.objects.get(code=CVQ_UNIT)
    before = qualification_of(unit)
    rule = getattr(unit, relation).first()
    rule.quote += " (edited in a shell)"
    rule.save()
    assert qualification_of(unit).revision != before.revision
