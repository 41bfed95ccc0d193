"""Feedback where learners look: a decision's feedback and a rejected mapping's reason on the
evidence's page and on the unit's page, escaped, in the unit page's fixed number of queries."""

import pytest
from django.urls import reverse

from assessment.models import Outcome
from assessment.services import Judgement, mapping_review
from qualifications.models import Criterion, Unit
from tests.assessment.test_reviews import ON, OTHER_UNIT, UNIT, learner_evidence, meet, propose

SAID = "Good <b>greeting</b>\nnext time, ask their name"
WHY = "This is a <script>alert(1)</script> complaint log"


@pytest.fixture
def judged(registration, learner, assessor):
    """Evidence met on the unit's first criterion with feedback, and a second piece the assessor
    did not accept for another unit's criterion 4.1."""
    evidence = learner_evidence(registration, learner, title="Till & <floor> notes")
    first = Criterion.objects.filter(unit__code=UNIT).order_by("position")[0]
    meet(
        registration,
        assessor,
        evidence,
        (first.number,),
        Judgement(Outcome.MET, "observation", ON, SAID),
    )
    other = learner_evidence(registration, learner, title="Complaints <log>", extra=b"x")
    mapping = propose(other, learner, OTHER_UNIT, "4.1")
    mapping_review(mapping=mapping, confirm=False, feedback=WHY, actor=assessor)
    return evidence, other, first


def unit_page(client, registration, code):
    unit = Unit.objects.get(code=code)
    return client.get(reverse("assessment:unit-progress", args=[registration.pk, unit.pk]))


def test_the_unit_page_shows_the_decisions_feedback_escaped(client, registration, learner, judged):
    client.force_login(learner)
    html = unit_page(client, registration, UNIT).content.decode()
    assert (
        "Assessor's feedback: Good &lt;b&gt;greeting&lt;/b&gt;<br>next time, ask their name"
    ) in html
    assert "<b>greeting" not in html
    assert html.count("Assessor's feedback:") == 1  # only the judged criterion


def test_the_unit_page_shows_evidence_not_accepted_and_why(client, registration, learner, judged):
    _, other, _ = judged
    client.force_login(learner)
    html = unit_page(client, registration, OTHER_UNIT).content.decode()
    link = reverse("portfolios:evidence-detail", args=[other.pk])
    assert (
        f'Not accepted for this: <a href="{link}">Complaints &lt;log&gt;</a> '
        "(This is a &lt;script&gt;alert(1)&lt;/script&gt; complaint log)"
    ) in html
    assert "<script>alert" not in html
    assert html.count("Not accepted for this") == 1


def test_the_unit_page_keeps_its_query_count_with_feedback_and_rejections(
    client, registration, learner, judged, django_assert_num_queries
):
    client.force_login(learner)
    unit = Unit.objects.get(code=OTHER_UNIT)
    url = reverse("assessment:unit-progress", args=[registration.pk, unit.pk])
    client.get(url)  # the catalogue's rows read and kept
    # As before the feedback: session, user, roles, registration, plan, decisions, mappings
    # (rejected ones with the rest), the unit's RPL or exemption and the unread notifications.
    with django_assert_num_queries(9):
        page = client.get(url)
    assert "Not accepted for this" in page.content.decode()


def test_the_evidence_page_shows_the_decision_its_feedback_and_who_decided(
    client, registration, learner, assessor, judged
):
    evidence, _, first = judged
    client.force_login(learner)
    page = client.get(reverse("portfolios:evidence-detail", args=[evidence.pk]))
    html = page.content.decode()
    section = html[html.index('data-testid="decisions"') :]
    assert f"{UNIT} {first.number}" in section
    assert ">Met</span>" in section
    assert assessor.full_name in section
    assert "Feedback: Good &lt;b&gt;greeting&lt;/b&gt;<br>next time, ask their name" in section
    assert "Nothing decided on this evidence yet" not in html


def test_the_evidence_page_says_a_mapping_was_not_accepted_and_why(
    client, registration, learner, judged
):
    _, other, _ = judged
    client.force_login(learner)
    html = client.get(reverse("portfolios:evidence-detail", args=[other.pk])).content.decode()
    assert "Not accepted by the assessor" in html
    assert "Why: This is a &lt;script&gt;alert(1)&lt;/script&gt; complaint log" in html
    assert "<script>alert" not in html
    assert "Nothing decided on this evidence yet" in html  # a rejection decides nothing
    assert "rejected" not in html.lower().split("<main", 1)[-1]  # people's words, not codes
