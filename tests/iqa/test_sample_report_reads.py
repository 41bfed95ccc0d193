"""The sample report's reads written beside the ORM's (`iqa.pages.looked_at`,
`evidence_looked_at`, `sample_actions`, `sample_documents`; `iqa.access._sample`): the same
words and objects as the report's template and the related managers gave, on real rows."""

import datetime

from django.template import Context, Template
from django.utils import timezone

from assessment.models import Decision
from iqa import access, pages
from iqa.access import SAMPLE_WITH
from iqa.models import IqaDocument, Sample
from portfolios.models import Evidence
from qualifications.models import KnowledgeItem, RangeItem
from tests.iqa.test_views import assessed, evidence, sampled

__all__ = ["assessed", "evidence", "sampled"]

# What the report's template drew before (iqa/sample_detail.html).
LOOKED_AT = Template(
    "{% for d in decisions %}{% if d.criterion %}{{ d.criterion.number }}{% elif d.range_item %}"
    "range {{ d.range_item.reference }}{% else %}K{{ d.knowledge_item.number }}{% endif %}"
    "{% if not forloop.last %}, {% endif %}{% endfor %}"
)
EVIDENCE = Template(
    "{% for e in sample.evidence.all %}{{ e.title }}{% if not forloop.last %}; {% endif %}"
    "{% empty %}—{% endfor %}"
)


def judged(sample: Sample, **item) -> None:
    """Another decision looked at by the sample, of a range or knowledge item."""
    first = sample.decisions.order_by("pk")[0]
    decision = Decision.objects.create(
        registration_id=first.registration_id,
        outcome=first.outcome,
        method=first.method,
        assessed_on=first.assessed_on,
        decided_by_id=first.decided_by_id,
        decided_at=first.decided_at,
        **item,
    )
    sample.decisions.add(decision)


def test_the_decisions_and_evidence_looked_at_read_as_the_template_drew_them(sampled):
    decisions = sampled.decisions.select_related("criterion", "range_item", "knowledge_item")
    before = LOOKED_AT.render(Context({"decisions": decisions}))
    assert pages.looked_at(sampled.pk) == before and before
    range_item = RangeItem.objects.order_by("pk").first()
    knowledge = KnowledgeItem.objects.order_by("pk").first()
    assert range_item is not None and knowledge is not None
    RangeItem.objects.filter(pk=range_item.pk).update(element="1<&", category="'\"")
    judged(sampled, range_item=range_item)
    judged(sampled, knowledge_item=knowledge)
    decisions = sampled.decisions.select_related("criterion", "range_item", "knowledge_item")
    drawn = LOOKED_AT.render(Context({"decisions": decisions}))
    assert pages.looked_at(sampled.pk) == drawn
    assert "range 1&lt;&amp;&#x27;&quot;(" in drawn and ", K" in drawn
    Evidence.objects.update(title='Tom & Jerry\'s <"account">')
    drawn = EVIDENCE.render(Context({"sample": sampled}))
    assert pages.evidence_looked_at(sampled.pk) == drawn and "&amp;" in drawn
    sampled.evidence.clear()
    assert (
        pages.evidence_looked_at(sampled.pk) == "—" == EVIDENCE.render(Context({"sample": sampled}))
    )


def test_the_actions_documents_and_sample_are_the_related_managers_objects(sampled, iqa):
    for n in range(7):
        IqaDocument.objects.create(sample=sampled, requested_by=iqa, error=str(n))
    IqaDocument.objects.update(requested_at=timezone.now() - datetime.timedelta(days=1))
    documents = pages.sample_documents(sampled.pk)
    assert [d.pk for d in documents] == [d.pk for d in sampled.documents.all()[:5]]
    assert [vars_of(d) for d in documents] == [vars_of(d) for d in sampled.documents.all()[:5]]
    actions = pages.sample_actions(sampled.pk)
    assert actions and [vars_of(a) for a in actions] == [vars_of(a) for a in sampled.actions.all()]
    [read] = access._sample(sampled.pk)
    expected = Sample.objects.select_related(*SAMPLE_WITH).get(pk=sampled.pk)
    assert vars_of(read) == vars_of(expected)
    for path in SAMPLE_WITH:
        first, *rest = path.split("__")
        one, other = getattr(read, first), getattr(expected, first)
        for name in rest:
            one, other = getattr(one, name), getattr(other, name)
        assert (one and vars_of(one)) == (other and vars_of(other))
    assert access._sample(sampled.pk + 1000) == [] and access._sample(2**70) == []


def vars_of(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
