"""The unit progress page's rows, drawn in Python: each criterion's words (escaped), its
history, its state and the evidence behind it."""

from django.urls import reverse

from qualifications.models import Criterion, Unit
from tests.assessment.test_progress import add_evidence

UNIT = "A/506/2130"


def test_each_criterion_shows_its_history_its_state_and_its_evidence_escaped(
    client, registration, learner
):
    unit = Unit.objects.get(code=UNIT)
    first = Criterion.objects.filter(unit=unit).order_by("position")[0]
    first.text = "Checks <b>twice</b>\nthen once"
    first.save()
    evidence = add_evidence(registration, learner, 1, [first.pk])
    evidence.title = "Till <roll> & notes"
    evidence.save()
    client.force_login(learner)
    page = client.get(reverse("assessment:unit-progress", args=[registration.pk, unit.pk]))
    html = page.content.decode()
    history = reverse("assessment:item-history", args=[registration.pk, "criterion", first.pk])
    detail = reverse("portfolios:evidence-detail", args=[evidence.pk])
    assert (
        f'<td><span class="fw-semibold">{first.number}</span> Checks &lt;b&gt;twice&lt;/b&gt;'
        f'<br>then once\n<a class="small d-block" href="{history}">History'
    ) in html
    assert (
        '<span class="badge text-bg-info">Evidence proposed</span></td>'
        f'<td><a href="{detail}">Till &lt;roll&gt; &amp; notes</a></td></tr>'
    ) in html
    assert '<span class="badge text-bg-light border">No evidence yet</span></td><td>—</td>' in html
    assert html.count('class="small d-block"') == Criterion.objects.filter(unit=unit).count()
