"""The caseload's figures per learner read through SQL compiled once per process
(`progress.with_standing`, `_standing_sql`) are those the ORM's subqueries
(`_count_annotations`) count, for learners with decisions met and not, a decision waiting for a
countersignature, criteria met through RPL (decided too or not), a unit signed off and
countersigned, a unit through RPL, an exemption and evidence, and for learners with nothing."""

from __future__ import annotations

import pytest
from django.db.models.expressions import RawSQL

from assessment.progress import STANDING, _count_annotations, _standing_sql, with_standing
from portfolios.models import Registration
from tests.matrix import world_for_module


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def figures(registrations, annotations):
    return {
        r["pk"]: tuple(r[name] for name in STANDING)
        for r in registrations.annotate(**annotations).values("pk", *STANDING)
    }


@pytest.mark.django_db
def test_the_figures_compiled_once_are_the_orms(world):
    everyone = Registration.objects.all()
    counted = _count_annotations()
    expected = figures(everyone, {name: counted[name] for name in STANDING})
    found = {
        r.pk: tuple(getattr(r, name) for name in STANDING)
        for r in with_standing(Registration.objects.all())
    }
    assert found == expected
    ours = world.ours.registration
    met, achieved, last = found[ours.pk]
    # The signed unit's criteria and the begun unit's first (decided) and one through RPL.
    assert met > 1 and achieved >= 1
    assert last == ours.evidence.order_by("-created_at")[0].created_at


@pytest.mark.django_db
def test_a_registration_with_nothing_counts_nothing(world):
    bare = Registration.objects.filter(evidence__isnull=True)
    counted = _count_annotations()
    expected = figures(bare, {name: counted[name] for name in STANDING})
    assert all(figure in (0, None) for each in expected.values() for figure in each)
    found = {r.pk: (r.n_met, r.n_achieved, r.last_evidence_at) for r in with_standing(bare)}
    assert found == expected


def test_the_sql_is_compiled_once_as_plain_sql():
    compiled = _standing_sql("sqlite")
    assert set(compiled) == set(STANDING)
    assert all(isinstance(each, RawSQL) for each in compiled.values())
    assert _standing_sql("sqlite") is compiled
