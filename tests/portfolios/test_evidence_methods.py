"""A learner labels their own evidence only with a learner's method: observations, professional
discussions and questioning are the assessor's records, and witness testimony comes from the
witness (decision 17)."""

import datetime

import pytest
from django.urls import reverse

from assessment import services as assessment_services
from portfolios.evidence import (
    NOT_A_LEARNER_METHOD,
    EvidenceDetails,
    EvidenceRejected,
    evidence_add,
    evidence_update,
)
from portfolios.models import (
    ASSESSOR_METHODS,
    LEARNER_METHODS,
    WITNESS_METHODS,
    Evidence,
    EvidenceFile,
    EvidenceMethod,
)
from tests.audit import AuditWatch
from tests.portfolios.files import pdf

NOT_THE_LEARNERS = sorted(ASSESSOR_METHODS | WITNESS_METHODS)
ON = datetime.date(2026, 10, 5)


def refusal(method: str) -> str:
    return NOT_A_LEARNER_METHOD.format(method=EvidenceMethod(method).label)


def test_every_method_is_exactly_one_of_the_learners_the_assessors_or_a_witnesss():
    groups = [LEARNER_METHODS, ASSESSOR_METHODS, WITNESS_METHODS]
    assert set().union(*groups) == set(EvidenceMethod)
    assert sum(len(group) for group in groups) == len(EvidenceMethod)


def test_the_assessors_records_take_the_assessors_methods():
    assert set(assessment_services.ASSESSOR_METHODS) == ASSESSOR_METHODS


@pytest.mark.parametrize("method", NOT_THE_LEARNERS)
def test_a_learner_cannot_add_evidence_with_an_assessors_or_a_witnesss_method(
    registration, learner, method
):
    audit = AuditWatch()
    with pytest.raises(EvidenceRejected) as rejected:
        evidence_add(
            registration=registration,
            details=EvidenceDetails("Observed by my assessor", ON, method),
            files=[pdf()],
            declared=True,
            actor=learner,
        )
    assert rejected.value.messages == [refusal(method)]
    assert not Evidence.objects.exists() and not EvidenceFile.objects.exists()
    assert audit.actions() == []


@pytest.mark.parametrize("method", sorted(LEARNER_METHODS))
def test_a_learner_adds_evidence_with_any_of_their_own_methods(registration, learner, method):
    evidence_add(
        registration=registration,
        details=EvidenceDetails("My work", ON, method),
        files=[pdf()],
        declared=True,
        actor=learner,
    )
    assert Evidence.objects.get().method == method


def test_a_learner_cannot_relabel_their_evidence_with_an_assessors_method(registration, learner):
    evidence = evidence_add(
        registration=registration,
        details=EvidenceDetails("Call log", ON, EvidenceMethod.PRODUCT),
        files=[pdf()],
        declared=True,
        actor=learner,
    )
    audit = AuditWatch()
    with pytest.raises(EvidenceRejected, match="is not a method for evidence you add yourself"):
        evidence_update(
            evidence=evidence,
            details=EvidenceDetails("Call log", ON, EvidenceMethod.OBSERVATION),
            actor=learner,
        )
    evidence.refresh_from_db()
    assert evidence.method == EvidenceMethod.PRODUCT
    assert audit.actions() == []


def test_the_upload_page_offers_only_the_learners_methods(client, registration, learner):
    client.force_login(learner)
    page = client.get(reverse("portfolios:evidence-new", args=[registration.pk])).content.decode()
    for method in LEARNER_METHODS:
        assert f'value="{method}"' in page
    for method in NOT_THE_LEARNERS:
        assert f'value="{method}"' not in page


@pytest.mark.parametrize("method", NOT_THE_LEARNERS)
def test_a_crafted_upload_with_an_assessors_method_is_refused_in_words_and_saves_nothing(
    client, registration, learner, method
):
    client.force_login(learner)
    response = client.post(
        reverse("portfolios:evidence-new", args=[registration.pk]),
        {
            "title": "Observed by my assessor",
            "occurred_on": "2026-10-05",
            "method": method,
            "evidence_files": [pdf()],
            "declaration": "on",
        },
    )
    assert response.status_code == 200
    assert refusal(method) in response.content.decode()
    assert not Evidence.objects.exists() and not EvidenceFile.objects.exists()


def test_a_crafted_change_to_an_assessors_method_is_refused_in_words_and_changes_nothing(
    client, registration, learner
):
    evidence = evidence_add(
        registration=registration,
        details=EvidenceDetails("Call log", ON, EvidenceMethod.PRODUCT),
        files=[pdf()],
        declared=True,
        actor=learner,
    )
    client.force_login(learner)
    response = client.post(
        reverse("portfolios:evidence-edit", args=[evidence.pk]),
        {"title": "Call log", "occurred_on": "2026-10-05", "method": "observation"},
    )
    assert response.status_code == 200
    assert refusal("observation") in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.method == EvidenceMethod.PRODUCT
