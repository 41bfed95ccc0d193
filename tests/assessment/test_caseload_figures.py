"""The caseload's figures per learner read through SQL compiled once per process
(`progress.with_standing`, `_standing_sql`) are those the ORM's subqueries
(`_count_annotations`) count, for learners with decisions met and not, a decision waiting for a
countersignature, criteria met through RPL (decided too or not), a unit signed off and
countersigned, a unit through RPL, an exemption and evidence, and for learners with nothing;
and the caseload's registrations read through SQL compiled once (`caseload.caseload_read`) are
those the ORM's query reads."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Exists
from django.db.models.expressions import RawSQL

from assessment.caseload import caseload_named, caseload_read, given_to_others
from assessment.progress import STANDING, _count_annotations, _standing_sql, with_standing
from portfolios.models import Registration
from tests.matrix import world_for_module
from tests.world import IQA


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
    found = {r.pk: tuple(getattr(r, n) for n in STANDING) for r in with_standing(bare)}
    assert found == expected


def test_the_sql_is_compiled_once_as_plain_sql():
    compiled = _standing_sql("sqlite")
    assert set(compiled) == set(STANDING)
    assert all(isinstance(each, RawSQL) for each in compiled.values())
    assert _standing_sql("sqlite") is compiled


def facts(r: Registration) -> tuple[object, ...]:
    read = ("learner_id", "assessor_id", "start_date", "planned_end_date", "learner_name")
    return (
        r.qualification.title,
        *(getattr(r, name) for name in (*read, "units_given_to_others", *STANDING)),
    )


@pytest.mark.django_db
def test_the_caseload_read_compiled_once_is_the_orms(world):
    for side in (world.ours, world.theirs):
        assessor, centre = side.registration.assessor, side.centre
        expected = {
            r.pk: facts(r)
            for r in with_standing(
                caseload_named(assessor, centre).annotate(
                    units_given_to_others=Exists(given_to_others(assessor, "pk"))
                )
            )
        }
        found = {r.pk: facts(r) for r in caseload_read(assessor, centre)}
        assert found == expected
        assert side.registration.pk in found
        # Another's caseload is not theirs.
        assert side.registration.pk not in {r.pk for r in caseload_read(side.people[IQA], centre)}


def test_the_caseload_rows_escape_every_value_as_the_template_did():
    from django.utils.html import escape

    from assessment.caseload import CaseloadLine, draw_lines

    nasty = 'Ann <b>O\'Neil</b> & "co"'
    line = CaseloadLine(
        link="/r/1/?a=1&b=2",
        name=nasty,
        qualification=nasty,
        progress=nasty,
        percent_met="50",
        planned_end=nasty,
        start="",
        rag="red",
        rag_label=nasty,
        reason=nasty,
        last_submitted="",
    )
    drawn = draw_lines([line])
    assert nasty not in drawn
    assert (
        drawn.count(escape(nasty)) == 7
    )  # name twice, qualification, progress, end, label, reason
    assert 'href="/r/1/?a=1&amp;b=2"' in drawn


def test_the_trackers_unit_heads_escape_as_the_template_did():
    from django.template import Context, Template

    from assessment.tracker import Grid, grid_head

    units = [(1, "A/1<2>", 'Care & "safety"'), (2, "B'2", "Plain")]
    drawn = grid_head(Grid("Q", units, []))
    template = Template(
        '{% for pk, code, title in units %}<th scope="col" class="text-nowrap">'
        '<abbr title="{{ title }}">{{ code }}</abbr></th>{% endfor %}'
    )
    assert drawn == template.render(Context({"units": units}))


@pytest.mark.django_db
def test_the_trackers_pages_are_the_orms(registration, centre):
    from django.core.paginator import Paginator
    from django.db.models import F

    from assessment.caseload import CaseloadPages
    from tests.assessment.crowd import many_learners

    many_learners(registration, 30)
    assessor = registration.assessor
    ordered = caseload_named(assessor, centre).order_by(
        "qualification__title", "qualification_id", F("learner_name"), "pk"
    )
    expected = Paginator(ordered, 25)
    found: Paginator[Registration] = Paginator(CaseloadPages(assessor, centre), 25)  # type: ignore[arg-type]
    assert found.count == expected.count == 31
    for number in (1, 2):
        page = [(r.pk, r.learner_name, r.qualification.title) for r in found.page(number)]  # type: ignore[attr-defined]
        assert page == [
            (r.pk, r.learner_name, r.qualification.title)  # type: ignore[attr-defined]
            for r in expected.page(number)
        ]
    assert CaseloadPages(registration.learner, centre).count() == 0


def test_the_evidence_waiting_escapes_every_value_as_the_template_did():
    from django.utils.html import escape

    from assessment.caseload import WaitingEvidence, draw_waiting

    nasty = 'Ann <b>O\'Neil</b> & "co"'
    drawn = draw_waiting(
        [
            WaitingEvidence(
                pk=1,
                title=nasty,
                created_at=datetime.datetime(2026, 12, 6, tzinfo=datetime.UTC),
                added=nasty,
                learner=nasty,
                link="/e/1/?a=1&b=2",
            )
        ]
    )
    assert nasty not in drawn
    assert drawn.count(escape(nasty)) == 3  # the title, the learner, the day added
    assert 'href="/e/1/?a=1&amp;b=2"' in drawn


def test_the_rows_escaping_is_djangos_escape():
    from django.utils.html import escape

    from assessment.caseload import ESCAPES

    for text in ["", "plain", "&amp; &lt;", "a<b>c\"d'e&f", "&&<<>>\"\"''", "naïve · café — 5%"]:
        assert text.translate(ESCAPES) == escape(text)
