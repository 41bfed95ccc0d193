"""Real work or simulated, and the kind of evidence (decision 51): given by the learner at
upload and by the assessor on their records, corrected by the assessor until it is judged."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from assessment.services import (
    CLASSIFIED_WHEN_JUDGED,
    DecisionRefused,
    Judgement,
    decision_record,
    evidence_classify,
)
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.models import Evidence, EvidenceMethod
from qualifications.models import Criterion
from tests.audit import AuditWatch
from tests.portfolios.files import pdf

DAY = datetime.date(2026, 10, 6)


@pytest.fixture
def evidence(registration, learner):
    details = EvidenceDetails("Call recording", DAY, "product")
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def test_evidence_added_without_saying_is_real_work_of_a_kind_not_stated(evidence):
    assert (evidence.setting, evidence.kind) == ("real_work", "")


def test_the_learner_says_at_upload_that_the_evidence_is_simulated_and_its_kind(
    client, registration, learner
):
    client.force_login(learner)
    client.post(
        reverse("portfolios:evidence-new", args=[registration.pk]),
        {
            "title": "Role play of a complaint",
            "occurred_on": "2026-10-05",
            "method": EvidenceMethod.PRODUCT,
            "setting": "simulated",
            "kind": "performance",
            "evidence_files": [pdf()],
            "declaration": "on",
        },
    )
    evidence = Evidence.objects.get()
    assert (evidence.setting, evidence.kind) == ("simulated", "performance")
    page = client.get(reverse("portfolios:evidence-detail", args=[evidence.pk])).content.decode()
    assert "Simulated" in page and "Performance evidence" in page


def test_the_upload_form_offers_real_work_first(client, registration, learner):
    client.force_login(learner)
    form = client.get(reverse("portfolios:evidence-new", args=[registration.pk])).context["form"]
    assert form["setting"].value() == "real_work"


def test_the_assessor_says_how_their_record_was_made(client, registration, assessor):
    client.force_login(assessor)
    client.post(
        reverse("assessment:record-new", args=[registration.pk]),
        {
            "title": "Questions on complaints",
            "occurred_on": "2026-10-06",
            "method": "questioning",
            "setting": "real_work",
            "kind": "knowledge",
            "description": "Asked about the complaints procedure.",
        },
    )
    assert Evidence.objects.get().kind == "knowledge"


def test_the_assessor_corrects_an_unjudged_item_and_the_audit_log_keeps_both(
    registration, assessor, evidence
):
    audit = AuditWatch()
    evidence_classify(evidence=evidence, setting="simulated", kind="performance", actor=assessor)
    evidence.refresh_from_db()
    assert (evidence.setting, evidence.kind) == ("simulated", "performance")
    entry = audit.entries().get()
    assert entry.action == "evidence.classified"
    assert entry.before == {"setting": "real_work", "kind": ""}
    assert entry.after == {"setting": "simulated", "kind": "performance"}


def test_saving_it_unchanged_writes_nothing(registration, assessor, evidence):
    audit = AuditWatch()
    evidence_classify(evidence=evidence, setting="real_work", kind="", actor=assessor)
    assert audit.actions() == []


def test_judged_evidence_keeps_what_it_was_judged_as(registration, assessor, evidence):
    criterion = Criterion.objects.get(unit__code="A/506/2130", number="4.1")
    decision_record(
        registration=registration,
        targets=Targets(criteria=frozenset({criterion.pk})),
        judgement=Judgement("met", "product", DAY),
        evidence=[evidence],
        actor=assessor,
    )
    audit = AuditWatch()
    with pytest.raises(DecisionRefused) as refused:
        evidence_classify(evidence=evidence, setting="simulated", kind="", actor=assessor)
    assert refused.value.messages == [CLASSIFIED_WHEN_JUDGED]
    evidence.refresh_from_db()
    assert evidence.setting == "real_work" and audit.actions() == []


def test_only_the_learners_assessor_corrects_it(registration, learner, iqa, evidence):
    for actor in (learner, iqa):
        with pytest.raises(PermissionDenied):
            evidence_classify(evidence=evidence, setting="simulated", kind="", actor=actor)
    evidence.refresh_from_db()
    assert evidence.setting == "real_work"


def test_the_review_page_shows_and_corrects_it(client, registration, assessor, evidence):
    client.force_login(assessor)
    review = reverse("assessment:evidence-review", args=[evidence.pk])
    page = client.get(review)
    assert page.context["classify_form"]["setting"].value() == "real_work"
    assert "Kind of evidence not stated" in page.content.decode()
    client.post(
        reverse("assessment:evidence-classify", args=[evidence.pk]),
        {"setting": "simulated", "kind": "supplementary"},
    )
    page = client.get(review).content.decode()
    assert 'data-testid="setting">Simulated<' in page
    assert 'data-testid="kind">Supplementary evidence<' in page


def test_an_unknown_kind_is_said_under_its_field_on_the_review_page(
    client, registration, assessor, evidence
):
    client.force_login(assessor)
    response = client.post(
        reverse("assessment:evidence-classify", args=[evidence.pk]),
        {"setting": "simulated", "kind": "rumour"},
        follow=True,
    )
    assert response.context["classify_form"].errors["kind"]
    evidence.refresh_from_db()
    assert evidence.setting == "real_work"


def test_the_learner_says_on_a_written_account_that_it_is_simulated_and_its_kind(
    client, registration, learner
):
    client.force_login(learner)
    url = reverse("portfolios:evidence-write", args=[registration.pk])
    form = client.get(url).content.decode()
    assert 'name="setting"' in form and 'name="kind"' in form
    client.post(
        url,
        {
            "title": "A complaint handled in a role play",
            "occurred_on": "2026-10-05",
            "text": "In the training room I played the adviser and calmed the customer down.",
            "setting": "simulated",
            "kind": "supplementary",
            "declaration": "on",
        },
    )
    evidence = Evidence.objects.get()
    assert evidence.method == EvidenceMethod.REFLECTIVE_ACCOUNT
    assert (evidence.setting, evidence.kind) == ("simulated", "supplementary")
