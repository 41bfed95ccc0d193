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
        f'<td data-label="Evidence"><a href="{detail}">Till &lt;roll&gt; &amp; notes</a></td></tr>'
    ) in html
    assert (
        '<span class="badge text-bg-light border">No evidence yet</span></td><td data-label="Evidence">—</td>'
        in html
    )
    assert html.count('class="small d-block"') == Criterion.objects.filter(unit=unit).count()


def test_a_unit_outside_the_registrations_plan_is_not_found(client, registration, learner):
    planned = registration.planned_units.values("unit_id")
    elsewhere = Unit.objects.exclude(pk__in=planned).order_by("pk")[0]
    client.force_login(learner)
    url = reverse("assessment:unit-progress", args=[registration.pk, elsewhere.pk])
    assert client.get(url).status_code == 404


def test_the_unit_page_reads_the_catalogue_once_and_then_only_the_learners_rows(
    client, registration, learner, django_assert_num_queries
):
    unit = Unit.objects.get(code=UNIT)
    criteria = list(Criterion.objects.filter(unit=unit).order_by("position")[:3])
    add_evidence(registration, learner, 1, [c.pk for c in criteria])
    client.force_login(learner)
    url = reverse("assessment:unit-progress", args=[registration.pk, unit.pk])
    client.get(url)  # the catalogue's rows read and kept
    # The session, the user, the roles, the registration, the plan, the current decisions, the
    # mappings, the unit's RPL or exemption in force and the unread notifications: whatever
    # the number of items and evidence.
    with django_assert_num_queries(9):
        page = client.get(url)
    assert page.content.decode().count('<span class="badge text-bg-info">') == 3
