"""The learner agrees that their assessor's record about them (an observation, a professional
discussion, questions and answers) is a true record: once, dated, audited, seen by the
assessor."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessment.services import evidence_record
from portal.models import Notification, NotificationKind, RoleKind
from portfolios.evidence import (
    ACKNOWLEDGED_ALREADY,
    NOT_A_RECORD,
    EvidenceDetails,
    EvidenceRejected,
    evidence_write,
    record_acknowledge,
)
from portfolios.models import Evidence, EvidenceMethod
from portfolios.services import registration_withdraw
from privacy.documents import Collected, evidence
from privacy.records import LearnerRecords
from tests.audit import AuditWatch

ON = datetime.date(2026, 10, 5)
BUTTON = "I agree this is a true record"


@pytest.fixture
def observation(registration, assessor) -> Evidence:
    return evidence_record(
        registration=registration,
        details=EvidenceDetails(
            "Observed at the till", ON, EvidenceMethod.OBSERVATION, "Leo served <b>well</b>."
        ),
        files=[],
        actor=assessor,
    )


def acknowledge(client, evidence, user):
    client.force_login(user)
    return client.post(reverse("portfolios:evidence-acknowledge", args=[evidence.pk]))


def shown(client, evidence, user, page="portfolios:evidence-detail") -> str:
    client.force_login(user)
    response = client.get(reverse(page, args=[evidence.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_learner_agrees_once_and_both_see_it_with_the_date(
    client, observation, learner, assessor
):
    assert BUTTON in shown(client, observation, learner)
    review = shown(client, observation, assessor, "assessment:evidence-review")
    assert "Not yet agreed by the learner" in review and BUTTON not in review
    audit = AuditWatch()
    response = acknowledge(client, observation, learner)
    assert response.status_code == 302
    observation.refresh_from_db()
    assert observation.acknowledged_at is not None
    (entry,) = audit.entries()
    assert entry.action == "evidence.acknowledged" and entry.actor_id == learner.pk
    assert entry.subject == f"evidence:{observation.pk}"
    day = f"{timezone.localtime(observation.acknowledged_at):%-d %B %Y}"
    for page in (
        shown(client, observation, learner),
        shown(client, observation, assessor, "assessment:evidence-review"),
    ):
        assert f"agreed this is a true record on {day}" in page and BUTTON not in page
        assert "Leo served &lt;b&gt;well&lt;/b&gt;." in page


def test_a_second_acknowledgement_is_refused_in_words_and_changes_nothing(
    client, observation, learner
):
    record_acknowledge(evidence=observation, actor=learner)
    first = Evidence.objects.get(pk=observation.pk).acknowledged_at
    audit = AuditWatch()
    with pytest.raises(EvidenceRejected) as rejected:
        record_acknowledge(evidence=observation, actor=learner)
    assert rejected.value.messages == [
        ACKNOWLEDGED_ALREADY.format(when=f"{timezone.localtime(first):%-d %B %Y}")
    ]
    assert Evidence.objects.get(pk=observation.pk).acknowledged_at == first
    assert audit.actions() == []


@pytest.mark.parametrize(
    ("persona", "status"),
    [("assessor", 403), ("iqa", 403), ("centre_admin", 403), ("outsider", 404)],
)
def test_nobody_but_the_learner_acknowledges(client, request, observation, persona, status):
    assert acknowledge(client, observation, request.getfixturevalue(persona)).status_code == status
    observation.refresh_from_db()
    assert observation.acknowledged_at is None


def test_the_learners_own_evidence_is_not_acknowledged(client, registration, learner):
    account = evidence_write(
        registration=registration,
        title="Mine",
        occurred_on=ON,
        text="What I did.",
        declared=True,
        actor=learner,
    )
    assert BUTTON not in shown(client, account, learner)
    with pytest.raises(EvidenceRejected) as rejected:
        record_acknowledge(evidence=account, actor=learner)
    assert rejected.value.messages == [NOT_A_RECORD]
    response = acknowledge(client, account, learner)
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.acknowledged_at is None


def test_a_closed_registration_takes_no_acknowledgement_and_offers_none(
    client, registration, observation, learner, centre_admin
):
    registration_withdraw(registration=registration, reason="Left the course.", actor=centre_admin)
    assert BUTTON not in shown(client, observation, learner)
    with pytest.raises(EvidenceRejected):
        record_acknowledge(evidence=observation, actor=learner)
    observation.refresh_from_db()
    assert observation.acknowledged_at is None


def test_the_subject_access_export_keeps_the_account_text_and_the_acknowledgement(
    registration, observation, learner
):
    record_acknowledge(evidence=observation, actor=learner)
    account = evidence_write(
        registration=registration,
        title="Mine",
        occurred_on=ON,
        text="What <i>I</i> did.",
        declared=True,
        actor=learner,
    )
    items = {i["id"]: i for i in evidence(LearnerRecords(learner), Collected())}
    agreed = Evidence.objects.get(pk=observation.pk).acknowledged_at
    assert items[observation.pk]["agreed_true_by_learner_at"] == agreed is not None
    assert items[account.pk]["description"] == "What <i>I</i> did."
    assert (
        items[account.pk]["agreed_true_by_learner_at"] is None and items[account.pk]["files"] == []
    )


def test_the_assessor_who_wrote_the_record_hears_that_the_learner_agreed_once(
    client, observation, learner, assessor
):
    acknowledge(client, observation, learner)
    [notice] = Notification.objects.filter(kind=NotificationKind.RECORD_ACKNOWLEDGED)
    assert notice.recipient_id == assessor.pk and notice.role_kind == RoleKind.ASSESSOR
    assert notice.link == reverse("portfolios:evidence-detail", args=[observation.pk])
    assert "Observed at the till" in notice.text and learner.full_name in notice.text
    acknowledge(client, observation, learner)  # refused: agreed already
    assert Notification.objects.filter(kind=NotificationKind.RECORD_ACKNOWLEDGED).count() == 1
