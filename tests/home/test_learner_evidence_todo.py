"""A learner's to-do names the evidence that waits for them (issue 19): evidence not linked to
any criterion, links their assessor did not accept, and assessors' records waiting for their
agreement; each with a link to where the next step is, in the same queries whatever there is."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.services import evidence_record, mapping_review
from home.todo import todo_for
from portal.models import Notification, NotificationKind
from portfolios.evidence import EvidenceDetails, evidence_write, record_acknowledge
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import EvidenceMethod, Mapping
from qualifications.models import Criterion
from tests.assessment.test_progress import add_evidence
from tests.home.test_todo import home_todo
from tests.portfolios.conftest import registration, sfj

__all__ = ["registration", "sfj"]

ON = datetime.date(2026, 10, 5)


def texts(learner) -> list[str]:
    return [t.text for t in todo_for(learner, learner.roles.get(kind="learner"), ON)]


def account(registration, learner, n=1):
    return evidence_write(
        registration=registration, title=f"My account {n}", occurred_on=ON,
        text="What I did at the till.", declared=True, actor=learner,
    )  # fmt: skip


def observation(registration, assessor, title="Observed at the till"):
    return evidence_record(
        registration=registration,
        details=EvidenceDetails(title, ON, EvidenceMethod.OBSERVATION, "Served well."),
        files=[],
        actor=assessor,
    )


def test_unmapped_evidence_is_a_todo_linking_to_its_mapping_page(client, registration, learner):
    written = account(registration, learner)
    todo = home_todo(client, learner)
    assert "Nothing needs you right now" not in todo
    assert "1 piece of evidence not yet linked to the criteria it shows" in todo
    assert reverse("portfolios:evidence-map", args=[written.pk]) in todo

    criterion = Criterion.objects.filter(unit__code="A/506/2130").earliest("pk")
    mapping_propose(
        evidence=written, targets=Targets(criteria=frozenset([criterion.pk])), actor=learner
    )
    assert not any("not yet linked" in t for t in texts(learner))


def test_a_rejected_link_is_a_todo_until_other_evidence_covers_the_item(
    client, registration, learner, assessor
):
    criterion = Criterion.objects.filter(unit__code="A/506/2130").earliest("pk")
    evidence = add_evidence(registration, learner, 1, [criterion.pk])
    mapping_review(
        mapping=Mapping.objects.get(evidence=evidence), confirm=False,
        feedback="This is a different call.", actor=assessor,
    )  # fmt: skip
    todo = home_todo(client, learner)
    assert "1 link of your evidence to a criterion not accepted by your assessor" in todo
    assert reverse("portfolios:evidence-detail", args=[evidence.pk]) in todo

    add_evidence(registration, learner, 2, [criterion.pk])
    assert not any("not accepted" in t for t in texts(learner))


def test_an_assessors_record_waits_for_the_learners_agreement_and_is_notified(
    client, registration, learner, assessor
):
    record = observation(registration, assessor)
    todo = home_todo(client, learner)
    link = reverse("portfolios:evidence-detail", args=[record.pk]) + "#acknowledgement"
    assert "1 record by your assessor about you waiting for your agreement" in todo
    assert link in todo
    # Not "linked to criteria" work for the learner: the assessor maps their own records.
    assert "not yet linked" not in todo
    (notice,) = Notification.objects.filter(recipient=learner)
    assert notice.kind == NotificationKind.ASSESSOR_RECORD and notice.link == link
    assert "Observed at the till" in notice.text
    assert not Notification.objects.exclude(recipient=learner).exists()

    record_acknowledge(evidence=record, actor=learner)
    assert not any("agreement" in t for t in texts(learner))


def test_the_learners_todo_makes_the_same_queries_with_more_evidence(
    registration, learner, assessor
):
    role = learner.roles.get(kind="learner")
    account(registration, learner)
    observation(registration, assessor)
    todo_for(learner, role, ON)  # the role's centre read once
    with CaptureQueriesContext(connection) as few:
        todo_for(learner, role, ON)
    for n in range(2, 6):
        account(registration, learner, n)
        observation(registration, assessor, f"Observed {n}")
    with CaptureQueriesContext(connection) as many:
        found = todo_for(learner, role, ON)
    assert len(many) == len(few)
    assert any(t.text.startswith("5 pieces of evidence") for t in found)
    assert any(t.text.startswith("5 records by your assessor") for t in found)
