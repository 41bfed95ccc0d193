"""The review page's reads compiled once per process (`portal.compiled`): each gives what the
ORM's queryset gave, for every registration and piece of evidence of the test world."""

import pytest

from assessment.models import Decision
from assessment.pages import current_decisions, evidence_files, mappings_of
from portfolios.models import Evidence, PriorLearningItem, Registration
from portfolios.prior_learning import met_by_rpl
from tests.matrix import world_for_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def test_the_mappings_and_files_are_the_orms(world):
    pieces = list(Evidence.objects.order_by("pk"))
    assert sum(e.mappings.count() for e in pieces) >= 2
    assert sum(e.files.count() for e in pieces) >= 1
    for evidence in pieces:
        orm = list(
            evidence.mappings.only(
                "criterion", "range_item", "knowledge_item", "evidence", "status", "feedback"
            )
        )
        read = mappings_of(evidence)
        assert [m.pk for m in read] == [m.pk for m in orm]
        for got, expected in zip(read, orm, strict=True):
            assert got.get_deferred_fields() == expected.get_deferred_fields()
            for name in ("criterion_id", "range_item_id", "knowledge_item_id", "status"):
                assert getattr(got, name) == getattr(expected, name)
            assert (got.feedback, got.evidence_id) == (expected.feedback, expected.evidence_id)
        files = evidence_files(evidence.pk)
        assert [(f.pk, f.original_name, f.size, f.content_type) for f in files] == [
            (f.pk, f.original_name, f.size, f.content_type) for f in evidence.files.all()
        ]


def test_the_current_decisions_items_met_through_rpl_and_units_assessors_are_the_orms(world):
    registrations = list(Registration.objects.order_by("pk"))
    # One decision superseded (not current): not read.
    superseded = Decision.objects.filter(current=True, criterion__isnull=False).first()
    assert superseded is not None
    Decision.objects.filter(pk=superseded.pk).update(current=False)
    assert PriorLearningItem.objects.in_force().exists()
    for registration in registrations:
        states: dict[str, dict[int, str]] = {
            "criteria": {},
            "range_items": {},
            "knowledge_items": {},
        }
        current = Decision.objects.filter(registration=registration, current=True)
        for criterion, range_item, knowledge_item, outcome, provisional in current.values_list(
            "criterion", "range_item", "knowledge_item", "outcome", "provisional"
        ):
            from assessment.progress import state_of

            kind, pk = (
                ("criteria", criterion)
                if criterion
                else ("range_items", range_item)
                if range_item
                else ("knowledge_items", knowledge_item)
            )
            states[kind][pk] = state_of(outcome, provisional)
        assert current_decisions(registration) == states
        items = PriorLearningItem.objects.in_force().filter(registration=registration)
        fields = ("criterion_id", "range_item_id", "knowledge_item_id")
        assert met_by_rpl(registration) == set(items.values_list(*fields))
        for unit in {i.unit_id for i in items} | set(registration.unit_assessors()):
            expected = set(items.filter(unit_id=unit).values_list(*fields))
            assert met_by_rpl(registration.pk, unit) == expected
        plan = registration.planned_units.values_list("unit_id", "assessor_id")
        assert registration.unit_assessors() == {
            u: own or registration.assessor_id for u, own in plan
        }
    # Not all empty: some registration has each.
    assert any(current_decisions(r)["criteria"] for r in registrations)
    assert any(met_by_rpl(r) for r in registrations)


def test_a_units_progress_reads_are_the_orms(world):
    from django.db.models import Q

    from assessment.pages import prior_learning_of
    from assessment.progress import _unit_decided, _unit_mappings, rpl_rows
    from portfolios.models import Mapping, PriorLearning
    from qualifications.kept_units import units_rows

    seen_rpl = seen_mapped = seen_prior = False
    for registration in Registration.objects.order_by("pk"):
        planned = list(registration.unit_assessors())
        for unit in units_rows(registration.qualification, planned):
            criteria = [c.pk for c in unit.criteria]
            ranges = [r.pk for r in unit.range_items]
            knowledge = [k.pk for k in unit.knowledge_items]
            items = (
                Q(criterion_id__in=criteria)
                | Q(range_item_id__in=ranges)
                | Q(knowledge_item_id__in=knowledge)
            )
            target = ("criterion_id", "range_item_id", "knowledge_item_id")
            decided = (
                Decision.objects.filter(items, registration=registration, current=True)
                .order_by()
                .values_list(*target, "outcome", "provisional", "feedback")
                .union(rpl_rows(PriorLearningItem.objects.filter(items, registration=registration)))
            )
            ids = (registration.pk, criteria, ranges, knowledge)
            assert sorted(_unit_decided(*ids), key=repr) == sorted(decided, key=repr)
            mapped = list(
                Mapping.objects.filter(items, evidence__registration=registration)
                .order_by("evidence__occurred_on", "pk")
                .values_list(*target, "status", "feedback", "evidence_id", "evidence__title")
            )
            assert _unit_mappings(*ids) == mapped
            seen_rpl |= any(row[3] == "rpl" for row in decided)
            seen_mapped |= bool(mapped)
            expected = (
                PriorLearning.objects.in_force()
                .filter(registration=registration, unit_id=unit.pk)
                .select_related("agreed_by")
                .first()
            )
            found = prior_learning_of(registration, unit.pk)
            assert (found and found.pk, found and found.agreed_by.full_name) == (
                expected and expected.pk,
                expected and expected.agreed_by.full_name,
            )
            seen_prior |= found is not None
    assert seen_rpl and seen_mapped and seen_prior


def test_the_units_of_a_decisions_message_are_the_orms(world):
    from assessment.models import unit_of_item
    from assessment.provisional import units_of_decisions
    from qualifications.models import Unit

    ids = list(Decision.objects.order_by("pk").values_list("pk", flat=True))
    assert (
        len({u for u in Decision.objects.annotate(u=unit_of_item()).values_list("u", flat=True)})
        >= 2
    )
    for chosen in (ids[:1], ids[:3], ids[::2], ids[-5:], ids):
        orm = Unit.objects.filter(
            pk__in=Decision.objects.filter(pk__in=chosen).annotate(u=unit_of_item()).values("u")
        ).order_by("code")
        assert units_of_decisions(chosen) == [(u.pk, u.code) for u in orm]
