"""Generating an IQA plan on PostgreSQL, where its items are written by one UNNEST statement
(`iqa.services.items_insert`) rather than by Django's bulk_create of model instances, and its
row by one INSERT (`iqa.services.plan_made`) rather than `create` in a savepoint: the same
items, in the same order, with the same audit entry as the plan generated before."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.utils import timezone

from iqa import services
from iqa.models import PlanItem, SamplingPlan, Stage
from iqa.planning import Work
from iqa.services import (
    PLAN_ALREADY_MADE,
    AlreadyMade,
    _item,
    items_insert,
    plan_generate,
    plan_made,
)
from portal.audit import audit_verify
from portal.models import AuditEntry
from portfolios.models import ClaimReadiness
from qualifications.models import Qualification
from tests.iqa.test_services import (
    OTHER_UNITS,
    PERIOD_ENDS,
    PERIOD_STARTS,
    assessed,
    decide,
    evidence,
    register,
    unit,
)
from tests.portfolios.conftest import registration, sfj

__all__ = ["assessed", "evidence", "registration", "sfj"]

COLUMNS = ("registration_id", "unit_id", "assessor_id", "methods", "stage", "by_hand")


@pytest.fixture
def on_postgresql(real_services, db) -> None:
    assert connection.vendor == "postgresql"


def items_of(plan: SamplingPlan) -> list[tuple[object, ...]]:
    """The plan's items as stored, in the order they were inserted (by id)."""
    return list(PlanItem.objects.filter(plan=plan).order_by("pk").values_list(*COLUMNS))


def a_plan(centre, sfj, iqa) -> SamplingPlan:
    return SamplingPlan.objects.create(
        centre=centre, qualification=sfj, iqa=iqa, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS
    )


def test_the_items_are_the_rows_bulk_create_wrote_in_the_same_order(
    on_postgresql, centre, sfj, iqa, assessor, trainee_assessor, registration
):
    """Every column as Django wrote it, methods as JSON lists (several, one, none) and both
    stages, ids following the proposed order (not sorted)."""
    units = [unit(code).pk for code in OTHER_UNITS]
    proposed = [
        Work(registration.pk, 1, units[3], trainee_assessor.pk, frozenset(), Stage.SUMMATIVE,
             frozenset()),
        Work(registration.pk, 1, units[0], assessor.pk,
             frozenset({"witness_testimony", "observation", "product"}), Stage.INTERIM,
             frozenset()),
        Work(registration.pk, 1, units[2], assessor.pk, frozenset({"questioning"}),
             Stage.SUMMATIVE, frozenset()),
        Work(registration.pk, 1, units[2], assessor.pk, frozenset({"questioning"}),
             Stage.INTERIM, frozenset()),
    ]  # fmt: skip
    kept, before = a_plan(centre, sfj, iqa), a_plan(centre, sfj, iqa)
    items_insert(kept, proposed)
    PlanItem.objects.bulk_create(_item(before, w, by_hand=False) for w in proposed)
    assert items_of(kept) == items_of(before)
    assert [m for _, _, _, m, _, _ in items_of(kept)] == [
        [],
        ["observation", "product", "witness_testimony"],
        ["questioning"],
        ["questioning"],
    ]
    items_insert(a_plan(centre, sfj, iqa), [])  # nothing to insert: no statement, no error
    assert PlanItem.objects.count() == 8


def test_a_generated_plan_is_the_plan_the_models_would_have_written_with_its_audit_entry(
    on_postgresql, monkeypatch, centre, centre_admin, sfj, assessor, trainee_assessor, iqa, assessed
):
    """Generated twice for the same period: once as the service writes it, once with the items
    written by bulk_create as before; the same items, the same audit entry, the count said."""
    others = register(centre, centre_admin, sfj, trainee_assessor, iqa, "o.learner@example.org")
    for code in OTHER_UNITS:
        decide(others, trainee_assessor, code, "1.1")
        decide(assessed, assessor, code, "1.1")
    made = plan_generate(
        centre=centre, qualification=sfj, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS, actor=iqa
    )
    written = items_of(made)
    assert made.items_made == len(written) > 5
    assert {stage for *_, stage, _ in written} == {Stage.INTERIM, Stage.SUMMATIVE}

    def as_before(plan: SamplingPlan, proposed: list[Work]) -> None:
        PlanItem.objects.bulk_create(_item(plan, w, by_hand=False) for w in proposed)

    monkeypatch.setattr(services, "items_insert", as_before)
    before = plan_generate(
        centre=centre, qualification=sfj, starts_on=PERIOD_STARTS, ends_on=PERIOD_ENDS, actor=iqa
    )
    assert written == items_of(before)
    entries = AuditEntry.objects.filter(action="iqa.plan_generated").order_by("pk")
    period = {"from": PERIOD_STARTS.isoformat(), "to": PERIOD_ENDS.isoformat()}
    assert [(e.actor_id, e.centre_id, e.subject, e.after) for e in entries] == [
        (iqa.pk, centre.pk, f"plan:{plan.pk}", {"items": made.items_made, **period})
        for plan in (made, before)
    ]
    assert audit_verify()[1] is None


def test_kept_readiness_has_room_on_its_pages_to_be_marked_stale_in_place(on_postgresql):
    """A fill factor of 70 (portfolios 0023): marking rows stale changes a column no index
    holds, so the new version goes on the same page and no index is written."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s",
            [ClaimReadiness._meta.db_table],
        )
        assert cursor.fetchone() == (["fillfactor=70"],)
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
            [ClaimReadiness._meta.db_table],
        )
        assert not [d for (d,) in cursor.fetchall() if "stale" in d]


def test_plan_items_have_no_index_on_the_plan_alone_and_are_read_by_plan_through_their_key(
    on_postgresql,
):
    """One index fewer to write per item (iqa 0007): the unique key starts with the plan."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
            [PlanItem._meta.db_table],
        )
        found = dict(cursor.fetchall())
    assert "(plan_id, registration_id, unit_id, stage)" in found["planned_once_per_stage"]
    assert not [name for name, d in found.items() if d.endswith("(plan_id)")]
    assert len(found) == 5  # the key, the primary key, registration, unit and assessor


def test_the_plans_row_is_the_row_create_wrote_and_its_form_sent_again_is_refused(
    on_postgresql, centre, sfj, iqa
):
    """`plan_made` (one INSERT, the token's conflict answered without a savepoint) writes every
    column as `SamplingPlan.objects.create` did and returns the plan as it did; the same token
    again is refused naming the plan it made; plans without a token are never refused."""
    token = uuid.uuid4()
    fields = {
        "centre": centre, "qualification": Qualification(pk=sfj.pk), "iqa": iqa,
        "starts_on": PERIOD_STARTS, "ends_on": PERIOD_ENDS,
    }  # fmt: skip
    began = timezone.now()
    made = plan_made(**fields, form_token=token)
    before = SamplingPlan.objects.create(**fields, form_token=uuid.uuid4())
    columns = [f.attname for f in SamplingPlan._meta.concrete_fields]
    mine, theirs = (
        SamplingPlan.objects.filter(pk=plan.pk).values(*columns).get() for plan in (made, before)
    )
    assert began <= mine["created_at"] <= theirs["created_at"]
    for row, plan in ((mine, made), (theirs, before)):
        assert row.pop("id") == plan.pk and row.pop("created_at") == plan.created_at
        assert row.pop("form_token") == plan.form_token
        assert {n: getattr(plan, n) for n in row} == row
    assert mine == theirs and mine["qualification_id"] == sfj.pk
    assert not made._state.adding and made._state.db == before._state.db
    assert (made.centre, made.iqa) == (centre, iqa)
    with pytest.raises(AlreadyMade) as repeat:
        plan_made(**fields, form_token=token)
    assert repeat.value.made == made and str(repeat.value) == PLAN_ALREADY_MADE
    assert plan_made(**fields, form_token=None).pk != plan_made(**fields, form_token=None).pk
    assert SamplingPlan.objects.count() == 4
