"""The criteria picker's items, drawn in Python rather than by template loops: the same markup
the templates drew, every value escaped, ticks and decision states where they belong."""

import datetime

import pytest
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse

from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets, mapping_propose
from portfolios.picker import draw, lines, picker_units
from qualifications.kept_units import read_units
from qualifications.models import Criterion, KnowledgeItem, RangeItem, Unit
from tests.portfolios.files import pdf

pytestmark = pytest.mark.django_db

MARKUP = 'Greets the customer <script>alert("x")</script> & smiles\r\nthen listens'


@pytest.mark.parametrize("text", ["plain", "a < b & c > d", "say \"hi\"\nthen 'bye'", "x\r\ny\rz"])
def test_lines_is_what_the_linebreaksbr_filter_makes(text):
    assert lines(text) == linebreaksbr(text, autoescape=True)


def test_a_cvq_units_elements_range_and_knowledge_are_drawn_in_the_specifications_order(
    catalogue_db,
):
    unit = Unit.objects.get(code="U09602")
    [drawn] = draw(
        picker_units(read_units([unit.pk]).values()),
        {"criteria": set(), "range_items": set(), "knowledge_items": set()},
    )
    assert drawn.uses_elements
    assert [o.number for o in drawn.outcomes] == list(
        unit.outcomes.order_by("position").values_list("number", flat=True)
    )
    first = unit.outcomes.order_by("position")[0]
    assert [i.pk for i in drawn.outcomes[0].items] == list(
        first.criteria.order_by("position").values_list("pk", flat=True)
    )
    angry = RangeItem.objects.get(unit=unit, element="1", category="A", number="ii")
    assert (
        f'<input class="form-check-input" type="checkbox" name="range_items" value="{angry.pk}" '
        f'id="r-{angry.pk}"><label class="form-check-label" for="r-{angry.pk}">'
        f'<span class="fw-semibold">{angry.reference}</span> {angry.heading}: {angry.text}</label>'
    ) in drawn.range_html
    rights = KnowledgeItem.objects.get(unit=unit, number="1")
    assert f'<span class="fw-semibold">K1</span> {lines(rights.text)}' in drawn.knowledge_html
    assert len(drawn.knowledge_items) == unit.knowledge_items.count()


def test_items_are_ticked_and_badged_only_where_chosen_and_decided(catalogue_db):
    unit = Unit.objects.get(code="F/506/2131")
    one, two, three = Criterion.objects.filter(unit=unit).order_by("position")[:3]
    chosen = {"criteria": {one.pk}, "range_items": set(), "knowledge_items": set()}
    states = {"criteria": {two.pk: "Met", three.pk: "Met, awaiting countersignature"}}
    states |= {"range_items": {}, "knowledge_items": {}}
    [drawn] = draw(picker_units(read_units([unit.pk]).values()), chosen, states)
    html = "".join(o.html for o in drawn.outcomes)
    assert f'id="c-{one.pk}" checked>' in html
    assert f'id="c-{two.pk}">' in html and f'id="c-{three.pk}">' in html
    assert html.count(" checked") == 1
    assert html.count('<span class="badge text-bg-success">Met</span>') == 1
    warning = '<span class="badge text-bg-warning">Met, awaiting countersignature</span>'
    assert html.count(warning) == 1


def test_the_mapping_and_review_pages_escape_the_catalogues_words(
    client, registration, learner, assessor
):
    planned = registration.planned_units.values("unit_id")
    criterion = Criterion.objects.filter(unit__in=planned).order_by("pk")[0]
    criterion.text = MARKUP
    criterion.save()
    details = EvidenceDetails("Till", datetime.date(2026, 10, 5), "product")
    evidence = evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )
    mapping_propose(
        evidence=evidence, targets=Targets(criteria=frozenset({criterion.pk})), actor=learner
    )
    for person, url in (
        (learner, reverse("portfolios:evidence-map", args=[evidence.pk])),
        (assessor, reverse("assessment:evidence-review", args=[evidence.pk])),
    ):
        client.force_login(person)
        page = client.get(url).content.decode()
        assert "<script>alert" not in page
        assert (
            "Greets the customer &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; smiles"
            "<br>then listens"
        ) in page
    # The learner's mapping on the review page: the words on one line, escaped.
    assert (
        f'<span class="fw-semibold">{criterion.unit.code} {criterion.number}</span> Greets the '
        "customer &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; smiles then listens</p>"
    ) in page
