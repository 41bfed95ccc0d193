"""Once a witness has signed, what they vouched for is kept exactly as signed: nobody changes
or removes it, by any path, and asking to is refused in words, never with a 500."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from portfolios.evidence import (
    LOCKED,
    NOT_YOUR_RECORD,
    SIGNED_TESTIMONY,
    EvidenceDetails,
    EvidenceRejected,
    evidence_delete,
    evidence_update,
)
from portfolios.models import Evidence, EvidenceMethod, WitnessRequest
from portfolios.witness import WitnessAnswer, WitnessAsk, witness_confirm, witness_request_create
from tests.audit import AuditWatch

STATEMENT = "On 3 October I watched Leo calm an angry customer and agree a refund."
SIGNED_LINE = "signed “Wendy Witness”"


def signed(registration, asker) -> Evidence:
    """A testimony the witness has confirmed through their link."""
    tokens: list[str] = []

    def link_for(token: str) -> str:
        tokens.append(token)
        return f"/witness/{token}/"

    witness_request_create(
        registration=registration,
        ask=WitnessAsk("Wendy Witness", "wendy@example.org", "Line manager", STATEMENT),
        actor=asker,
        link_for=link_for,
    )
    answer = WitnessAnswer("Wendy Witness", "Store manager", "I manage Leo", "Wendy Witness")
    return witness_confirm(token=tokens[0], answer=answer)


@pytest.fixture
def testimony(registration, learner) -> Evidence:
    return signed(registration, learner)


def kept_as_signed(evidence: Evidence) -> None:
    evidence.refresh_from_db()
    assert evidence.description.startswith(STATEMENT) and SIGNED_LINE in evidence.description
    assert evidence.method == EvidenceMethod.WITNESS_TESTIMONY
    witness = WitnessRequest.objects.get(evidence=evidence)
    assert (witness.statement, witness.witness_email, witness.signature) == (
        STATEMENT,
        "wendy@example.org",
        "Wendy Witness",
    )


ALTERED = EvidenceDetails(
    "Witness testimony from Wendy Witness",
    datetime.date(2026, 10, 3),
    EvidenceMethod.PRODUCT,
    "On 3 October I watched Leo calm three angry customers and agree a refund.",
)


def test_the_learner_cannot_change_a_signed_testimony(testimony, learner):
    audit = AuditWatch()
    with pytest.raises(EvidenceRejected) as rejected:
        evidence_update(evidence=testimony, details=ALTERED, actor=learner)
    assert rejected.value.messages == [SIGNED_TESTIMONY]
    kept_as_signed(testimony)
    assert audit.actions() == []


def test_the_learner_cannot_remove_a_signed_testimony(testimony, learner):
    audit = AuditWatch()
    with pytest.raises(EvidenceRejected) as rejected:
        evidence_delete(evidence=testimony, actor=learner)
    assert rejected.value.messages == [SIGNED_TESTIMONY]
    kept_as_signed(testimony)
    assert audit.actions() == []


def test_a_testimony_the_assessor_asked_for_is_kept_as_signed_too(registration, assessor, learner):
    testimony = signed(registration, assessor)
    for attempt in (
        lambda: evidence_update(evidence=testimony, details=ALTERED, actor=learner),
        lambda: evidence_delete(evidence=testimony, actor=learner),
    ):
        with pytest.raises(EvidenceRejected, match=SIGNED_TESTIMONY):
            attempt()
    kept_as_signed(testimony)


def test_a_judged_testimony_still_says_it_is_signed(testimony, learner):
    Evidence.objects.filter(pk=testimony.pk).update(judged_at=testimony.declared_at)
    with pytest.raises(EvidenceRejected) as rejected:
        evidence_update(evidence=testimony, details=ALTERED, actor=learner)
    assert rejected.value.messages == [SIGNED_TESTIMONY] != [LOCKED]


def test_the_change_page_sends_the_learner_back_with_the_reason(client, testimony, learner):
    client.force_login(learner)
    edit = reverse("portfolios:evidence-edit", args=[testimony.pk])
    response = client.get(edit, follow=True)
    assert response.redirect_chain == [
        (reverse("portfolios:evidence-detail", args=[testimony.pk]), 302)
    ]
    assert SIGNED_TESTIMONY in response.content.decode()
    posted = client.post(
        edit,
        {
            "title": ALTERED.title,
            "occurred_on": "2026-10-03",
            "method": "product",
            "description": ALTERED.description,
        },
        follow=True,
    )
    assert SIGNED_TESTIMONY in posted.content.decode()
    kept_as_signed(testimony)


def test_removing_a_signed_testimony_through_the_page_is_refused_in_words(
    client, testimony, learner
):
    # It answered 500 before: the witness request protects the evidence it points at.
    client.force_login(learner)
    response = client.post(reverse("portfolios:evidence-remove", args=[testimony.pk]), follow=True)
    assert response.status_code == 200
    assert SIGNED_TESTIMONY in response.content.decode()
    kept_as_signed(testimony)


def test_the_page_shows_a_signed_testimony_as_signed_and_offers_no_change(
    client, testimony, learner, assessor
):
    client.force_login(learner)
    page = client.get(reverse("portfolios:evidence-detail", args=[testimony.pk])).content.decode()
    assert "Signed by the witness" in page and SIGNED_LINE in page
    assert reverse("portfolios:evidence-edit", args=[testimony.pk]) not in page
    assert reverse("portfolios:evidence-remove", args=[testimony.pk]) not in page
    # Mapping it to criteria is the learner's proposal, not what the witness signed.
    assert reverse("portfolios:evidence-map", args=[testimony.pk]) in page
    client.force_login(assessor)
    review = client.get(reverse("assessment:evidence-review", args=[testimony.pk]))
    assert STATEMENT in review.content.decode() and SIGNED_LINE in review.content.decode()


def test_the_learner_cannot_change_or_remove_the_assessors_own_record(
    client, registration, assessor, learner
):
    from assessment.services import evidence_record

    record = evidence_record(
        registration=registration,
        details=EvidenceDetails(
            "Observed greeting customers",
            datetime.date(2026, 10, 5),
            EvidenceMethod.OBSERVATION,
            "Leo greeted each customer within a minute.",
        ),
        files=[],
        actor=assessor,
    )
    for attempt in (
        lambda: evidence_update(evidence=record, details=ALTERED, actor=learner),
        lambda: evidence_delete(evidence=record, actor=learner),
    ):
        with pytest.raises(EvidenceRejected) as rejected:
            attempt()
        assert rejected.value.messages == [NOT_YOUR_RECORD]
    client.force_login(learner)
    page = client.get(reverse("portfolios:evidence-detail", args=[record.pk])).content.decode()
    assert reverse("portfolios:evidence-edit", args=[record.pk]) not in page
    record.refresh_from_db()
    assert record.method == EvidenceMethod.OBSERVATION


def test_the_admin_site_offers_no_way_to_change_evidence_or_testimony():
    # The database refuses it on PostgreSQL in any case (tests/integration).
    assert not admin.site.is_registered(Evidence)
    assert not admin.site.is_registered(WitnessRequest)
