"""Evidence removed by a request just before this one (a double click on "Remove", a second tab
editing or mapping it, the assessor deciding on it): each later request is told the evidence
is gone, changes nothing and writes nothing to the audit log. Each request here holds the
evidence as it was read before the removal, as a request that passed its access check just
before the removal committed does."""

import pytest

from assessment.services import EVIDENCE_GONE, MAPPING_GONE, GoneMeanwhile, mapping_review
from portfolios.evidence import GONE, EvidenceGone, evidence_delete, evidence_update
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Evidence, Mapping
from tests.assessment.test_repeats import decide
from tests.assessment.test_reviews import criteria, learner_evidence, propose
from tests.audit import AuditWatch
from tests.portfolios.test_evidence import DETAILS


@pytest.fixture
def removed(registration, learner):
    """Evidence as a second request read it, just before the first removed it."""
    evidence = learner_evidence(registration, learner)
    stale = Evidence.objects.get(pk=evidence.pk)
    evidence_delete(evidence=evidence, actor=learner)
    return stale


def test_removing_evidence_twice_says_it_is_gone_and_logs_one_removal(removed, learner):
    audit = AuditWatch()
    with pytest.raises(EvidenceGone) as gone:
        evidence_delete(evidence=removed, actor=learner)
    assert gone.value.messages == [GONE]
    assert audit.actions() == []


def test_editing_or_mapping_evidence_removed_meanwhile_says_it_is_gone(removed, learner):
    audit = AuditWatch()
    with pytest.raises(EvidenceGone):
        evidence_update(evidence=removed, details=DETAILS, actor=learner)
    with pytest.raises(EvidenceGone):
        targets = Targets(criteria=criteria("A/506/2130", "4.1"))
        mapping_propose(evidence=removed, targets=targets, actor=learner)
    assert audit.actions() == [] and not Evidence.objects.exists()


def test_deciding_on_evidence_removed_meanwhile_says_so(registration, assessor, removed):
    audit = AuditWatch()
    with pytest.raises(GoneMeanwhile) as gone:
        decide(registration, assessor, removed)
    assert gone.value.messages == [EVIDENCE_GONE]
    assert audit.actions() == []


def test_reviewing_a_mapping_whose_evidence_was_removed_meanwhile_says_so(
    registration, learner, assessor
):
    evidence = learner_evidence(registration, learner)
    propose(evidence, learner)
    mapping = Mapping.objects.select_related("evidence__registration").get(evidence=evidence)
    evidence_delete(evidence=evidence, actor=learner)
    audit = AuditWatch()
    with pytest.raises(GoneMeanwhile) as gone:
        mapping_review(mapping=mapping, confirm=True, feedback="", actor=assessor)
    assert gone.value.messages == [MAPPING_GONE]
    assert audit.actions() == []
