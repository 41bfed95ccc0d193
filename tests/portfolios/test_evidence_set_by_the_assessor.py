"""Once the assessor has said whether evidence is real work or simulated, and its kind, the
learner cannot change either back (decision 53); a form sent without "Real work or simulated"
keeps what the evidence says rather than making it real work."""

import datetime

import pytest
from django.urls import reverse

from assessment.services import evidence_classify
from portal.refusals import Refused
from portfolios.evidence import SET_BY_THE_ASSESSOR, EvidenceDetails, evidence_add, evidence_update
from portfolios.forms import EvidenceEditForm
from portfolios.models import Evidence
from tests.audit import AuditWatch
from tests.portfolios.files import pdf

DAY = datetime.date(2026, 10, 6)


@pytest.fixture
def evidence(registration, learner):
    details = EvidenceDetails("Role play of a complaint", DAY, "product")
    return evidence_add(
        registration=registration, details=details, files=[pdf()], declared=True, actor=learner
    )


def edit(client, evidence, **changed):
    data = {
        "title": evidence.title,
        "occurred_on": DAY.isoformat(),
        "method": "product",
        "description": "",
        **changed,
    }
    return client.post(reverse("portfolios:evidence-edit", args=[evidence.pk]), data)


def test_the_learner_cannot_put_back_real_work_once_the_assessor_said_simulated(
    client, registration, learner, assessor, evidence
):
    evidence_classify(evidence=evidence, setting="simulated", kind="performance", actor=assessor)
    evidence.refresh_from_db()
    assert evidence.classified_by == assessor and evidence.classified_at is not None
    client.force_login(learner)
    page = client.get(reverse("portfolios:evidence-edit", args=[evidence.pk]))
    form = page.context["form"]
    assert form.fields["setting"].disabled and form.fields["kind"].disabled
    html = page.content.decode()
    assert 'data-testid="set-by-assessor"' in html and "only your assessor can change" in html
    assert "Your assessor set this on" in html
    # Sent anyway: ignored, while the other details are saved.
    edit(client, evidence, title="Role play, week 2", setting="real_work", kind="supplementary")
    evidence.refresh_from_db()
    assert evidence.title == "Role play, week 2"
    assert (evidence.setting, evidence.kind) == ("simulated", "performance")


def test_the_service_refuses_a_change_of_what_the_assessor_set(learner, assessor, evidence):
    evidence_classify(evidence=evidence, setting="simulated", kind="", actor=assessor)
    evidence.refresh_from_db()
    audit = AuditWatch()
    details = EvidenceDetails(evidence.title, DAY, "product", setting="real_work")
    with pytest.raises(Refused) as refused:
        evidence_update(evidence=evidence, details=details, actor=learner)
    assert refused.value.messages == [SET_BY_THE_ASSESSOR]
    assert Evidence.objects.get().setting == "simulated" and audit.actions() == []


def test_until_the_assessor_says_the_learner_changes_both(client, learner, evidence):
    client.force_login(learner)
    edit(client, evidence, setting="simulated", kind="performance")
    evidence.refresh_from_db()
    assert (evidence.setting, evidence.kind) == ("simulated", "performance")
    form = EvidenceEditForm(evidence=evidence)
    assert not form.fields["setting"].disabled


def test_a_form_sent_without_the_setting_keeps_what_the_evidence_says(client, learner, evidence):
    Evidence.objects.filter(pk=evidence.pk).update(setting="simulated")
    client.force_login(learner)
    edit(client, evidence, title="Renamed")
    evidence.refresh_from_db()
    assert (evidence.title, evidence.setting) == ("Renamed", "simulated")
