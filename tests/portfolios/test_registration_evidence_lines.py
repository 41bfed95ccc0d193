"""The registration page's evidence list is drawn in Python (`portfolios.views.evidence_lines`)
from its rows (`_evidence_rows`, SQL compiled once): the same HTML as the template's loop over
the evidence's objects drew, for its learner and for an assessor, whatever the titles hold."""

import datetime

import pytest
from django.template import Context, Template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from portfolios.models import Evidence, Registration
from portfolios.views import _evidence_rows, evidence_lines, short_dates
from tests.matrix import world_for_module

pytestmark = pytest.mark.django_db

# The loop registration_detail.html had, as it was.
THE_LOOP = Template(
    """{% for e in evidence %}<li class="list-group-item"><a href="{{ e.link }}">{{ e.title }}</a>{% if is_assessor and not e.is_locked %} <span class="badge text-bg-info">to review</span>{% endif %}
      <span class="small text-body-secondary">{{ e.get_method_display }} · {{ e.occurred_on|date:"j M Y" }}</span></li>{% endfor %}"""
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from world_for_module(django_db_blocker)


def link(pk: int) -> str:
    return f"/evidence/{pk}/?a=1&b=<{pk}>"  # escaped in the loop: so it must be here


def test_the_lines_are_the_loops(world):
    # Titles a template escapes, an unknown method said as it is, judged and not.
    some = list(Evidence.objects.order_by("pk")[:3])
    assert len(some) == 3
    some[0].title = """Tom & Jerry's <b>"care"</b> plan"""
    some[1].method = "no-such-method"
    some[2].judged_at = None
    for e in some:
        e.save()
    Evidence.objects.filter(pk=some[0].pk).update(judged_at=timezone.now())
    seen = 0
    for registration in Registration.objects.order_by("pk"):
        evidence = list(registration.evidence.all())
        for e in evidence:
            e.link = link(e.pk)  # type: ignore[attr-defined]
        rows = _evidence_rows(registration.pk)
        for is_assessor in (False, True):
            expected = THE_LOOP.render(Context({"evidence": evidence, "is_assessor": is_assessor}))
            assert evidence_lines(rows, link, is_assessor) == expected
        seen += len(evidence)
    assert seen


@pytest.mark.parametrize("language", ["en-gb", "fr", "de"])
def test_short_dates_are_the_filters(language):
    day = datetime.date(2023, 12, 1)
    with translation.override(language):
        said = short_dates()
        while day < datetime.date(2025, 2, 1):
            assert said(day) == date_filter(day, "j M Y")
            day += datetime.timedelta(days=1)
    assert date_filter(datetime.date(5, 1, 9), "j M Y") == short_dates()(datetime.date(5, 1, 9))
