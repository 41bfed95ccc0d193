"""The load population (`manage.py generate_load_data`) on PostgreSQL: a small one (two centres
of 20 learners and the small centre of 5), made once for the module in a transaction that is
rolled back at the end, checked against what the services promise."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from unittest.mock import patch

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse

from assessment.models import (
    DecidedWork,
    Decision,
    RequirementShown,
    SufficiencyRecord,
    UnitSignOff,
    unit_of_item,
)
from assessment.services import summary, unit_missing
from certification.models import Certificate, Kind
from certification.readiness import NO_NEW_UNITS, readiness_of
from certification.services import snapshot_of
from home.load_data import Options, Report, generate
from home.load_data.ids import Ids, id_source
from home.load_data.writer import Batch, DanglingReference, write
from iqa.models import Action, PlanItem, Sample
from portal.audit import audit_append, audit_verification
from portal.models import AuditEntry, Centre, Role, RoleKind, User
from portfolios.evidence import evidence_facts
from portfolios.models import Evidence, EvidenceFile, Mapping, Registration
from portfolios.services import registration_facts

pytestmark = pytest.mark.django_db

PASSWORD = "load-test-secret"
SIZE = Options(
    centres=2, learners=40, assessors=10, small_centre_learners=5, seed=3, password=PASSWORD
)
LEARNERS = SIZE.learners + SIZE.small_centre_learners


@pytest.fixture(scope="module")
def population(real_services, django_db_setup, django_db_blocker) -> Iterator[Report]:
    """Made once, in a transaction rolled back when the module is done. Stored files are kept
    meanwhile (`--replace` removes them once its own transaction is over).

    Everything happens inside that one transaction, in which ids were reserved before a
    centre's chain was taken: the lock-order check cannot tell anything here, so it stands
    aside, as it does in pytest-django's own wrapping transaction."""
    assert connection.vendor == "postgresql"
    kept = patch.object(default_storage, "delete")
    unchecked = override_settings(AUDIT_CHECK_LOCK_ORDER=False)
    with django_db_blocker.unblock(), transaction.atomic(), kept, unchecked:
        try:
            yield generate(SIZE)
        finally:
            transaction.set_rollback(True)


def load_registrations() -> list[Registration]:
    return list(Registration.objects.filter(centre__name__startswith="Load centre "))


def test_every_centre_has_its_people_by_the_contract(population):
    names = sorted(
        Centre.objects.filter(name__startswith="Load centre ").values_list("name", flat=True)
    )
    assert names == ["Load centre 00", "Load centre 01", "Load centre 02"]
    people = {0: (5, 2, 1, [2]), 1: (20, 5, 1, [5]), 2: (20, 5, 1, [5])}
    for number, (learners, assessors, iqas, trainee_numbers) in people.items():
        roles = Role.objects.filter(centre__name=f"Load centre {number:02d}")
        domain = f"@c{number:02d}.load.test"
        assert roles.filter(kind=RoleKind.CENTRE_ADMIN).get().user.email == f"admin{domain}"
        emails = {
            kind: sorted(roles.filter(kind=kind).values_list("user__email", flat=True))
            for kind in (RoleKind.LEARNER, RoleKind.ASSESSOR, RoleKind.IQA)
        }
        assert emails[RoleKind.LEARNER] == sorted(
            f"learner{k}{domain}" for k in range(1, learners + 1)
        )
        assert emails[RoleKind.ASSESSOR] == sorted(
            f"assessor{k}{domain}" for k in range(1, assessors + 1)
        )
        assert emails[RoleKind.IQA] == sorted(f"iqa{k}{domain}" for k in range(1, iqas + 1))
        trainees = roles.filter(kind=RoleKind.ASSESSOR, is_trainee=True)
        assert sorted(trainees.values_list("user__email", flat=True)) == [
            f"assessor{k}{domain}" for k in trainee_numbers
        ]
        first = User.objects.get(email=f"assessor1{domain}")
        assert not roles.get(user=first).is_trainee
        assert Registration.objects.filter(assessor=first).exists()


def test_counts_are_in_proportion_to_the_learners(population):
    rows = population.rows
    assert rows["portfolios.Registration"] == LEARNERS
    assessors, iqas, admins = SIZE.assessors + 2, 2 + 1, 3  # and the small centre's 2, 1, 1
    people = LEARNERS + assessors + iqas + admins
    assert (
        rows["portal.User"]
        == rows["portal.Role"]
        == people
        == User.objects.filter(email__endswith=".load.test").count()
    )
    # The stages spread: some just registered, some waiting for review, some certified.
    registrations = load_registrations()
    without_evidence = [r for r in registrations if not r.evidence.exists()]
    assert 0 < len(without_evidence) < LEARNERS / 3
    assert Evidence.objects.filter(judged_at__isnull=True).exists()
    certified = Certificate.objects.filter(registration__in=registrations).count()
    assert 0 < certified < LEARNERS / 4
    decisions = Decision.objects.filter(registration__in=registrations).count()
    assert 20 * LEARNERS < decisions < 80 * LEARNERS
    assert rows["assessment.Decision"] == decisions
    mappings = Mapping.objects.filter(evidence__registration__in=registrations).count()
    assert decisions < mappings < 1.5 * decisions
    assert AuditEntry.objects.filter(centre__name__startswith="Load centre ").count() > decisions


def test_the_audit_chains_verify(population):
    verification = audit_verification()
    assert verification.broken is None
    assert verification.count == AuditEntry.objects.count() >= population.rows["portal.AuditEntry"]
    call_command("verify_audit")  # exits 1 if broken
    for centre in Centre.objects.filter(name__startswith="Load centre "):
        assert AuditEntry.objects.filter(centre=centre).count() > 0


def test_a_changed_audit_entry_is_caught(population):
    entry = AuditEntry.objects.filter(action="decision.recorded").order_by("pk")[5]
    with transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(subject="decision:0")
        assert audit_verification().broken is not None
        transaction.set_rollback(True)


def test_every_signed_off_unit_has_every_item_met_by_a_decision_that_counts(population):
    sign_offs = list(
        UnitSignOff.objects.select_related("registration").filter(
            registration__in=load_registrations()
        )
    )
    assert len(sign_offs) > LEARNERS
    assert {
        s.pk: unit_missing(s.registration, s.unit_id)
        for s in sign_offs
        if unit_missing(s.registration, s.unit_id)
    } == {}
    # Among them C&G and CVQ units, whose evidence requirements and sufficiency were recorded
    # (decision 52) and C&G's conditions ticked: unit_missing above holds them to it.
    registrations = load_registrations()
    assert RequirementShown.objects.filter(registration__in=registrations).exists()
    assert SufficiencyRecord.objects.filter(registration__in=registrations, evidence=None).exists()
    assert any(s.conditions for s in sign_offs)
    achieved = [s for s in sign_offs if s.learner_signed_at is not None]
    assert all(s.learner_signature == s.registration.learner.full_name for s in achieved)
    assert all(s.signed_by_id == s.registration.assessor_id for s in sign_offs)


def test_every_certificate_is_of_a_registration_ready_for_it(population):
    certificates = list(Certificate.objects.filter(registration__in=load_registrations()))
    assert {c.kind for c in certificates} == {Kind.FULL, Kind.UNIT}
    for certificate in certificates:
        ready = readiness_of(certificate.registration)
        if certificate.kind == Kind.FULL:
            assert ready.full_ready, ready.full_reasons
            assert certificate.snapshot["credits"] == ready.verdict.counted_credits
        else:
            # Issued, it lists every unit claimable: what holds a second one back is that alone.
            assert ready.unit_reasons == [NO_NEW_UNITS.format(number=certificate.number)]
        made = snapshot_of(certificate.registration, certificate.kind, ready.claimable_units)
        assert certificate.snapshot["units"] == made["units"]
        assert certificate.snapshot["learner_name"] == certificate.registration.learner.full_name
        assert certificate.status == "pending"


def test_only_trainees_decisions_are_provisional_and_qualified_colleagues_countersign(population):
    decisions = Decision.objects.filter(registration__in=load_registrations())
    trainees = set(
        Role.objects.filter(kind=RoleKind.ASSESSOR, is_trainee=True).values_list("user", flat=True)
    )
    assert trainees
    provisional = set(decisions.filter(provisional=True).values_list("decided_by", flat=True))
    assert provisional and provisional <= trainees
    countersigned = decisions.filter(countersigned_by__isnull=False).select_related("registration")
    assert countersigned.exists()
    for decision in countersigned:
        assert decision.decided_by_id in trainees
        assert decision.countersigned_by_id not in trainees | {decision.decided_by_id}
        assert Role.objects.filter(
            user=decision.countersigned_by_id,
            centre=decision.registration.centre_id,
            kind=RoleKind.ASSESSOR,
        ).exists()
    by_trainees = decisions.filter(decided_by__in=trainees, provisional=False)
    assert not by_trainees.filter(countersigned_by__isnull=True).exists()
    # One current decision per item, and some superseded ones kept.
    current = Counter(
        decisions.filter(current=True).values_list(
            "registration", "criterion", "range_item", "knowledge_item"
        )
    )
    assert max(current.values()) == 1
    assert decisions.filter(current=False).exists()


def test_mappings_are_in_states_their_evidence_and_decisions_explain(population):
    mappings = Mapping.objects.filter(evidence__registration__in=load_registrations())
    assert set(mappings.values_list("status", flat=True)) == {"proposed", "confirmed", "rejected"}
    assert not mappings.filter(status="proposed", evidence__judged_at__isnull=False).exists()
    judged = Evidence.objects.filter(judged_at__isnull=False, registration__in=load_registrations())
    assert not judged.exclude(mappings__status__in=["confirmed", "rejected"]).exists()
    decided = {
        (d.criterion_id, d.range_item_id, d.knowledge_item_id, e, d.outcome)
        for d in Decision.objects.filter(registration__in=load_registrations())
        for e in d.evidence.values_list("pk", flat=True)
    }
    for m in mappings.exclude(status="proposed"):
        key = (m.criterion_id, m.range_item_id, m.knowledge_item_id, m.evidence_id)
        if m.status == "confirmed":
            assert (*key, "met") in decided
        elif m.reviewed_by_id is None:  # settled by a decision that was "not yet"
            assert (*key, "not_yet") in decided
        else:  # rejected by the assessor's review, with feedback
            assert m.feedback and (*key, "met") not in decided


def test_the_audit_entries_say_what_the_services_would_have_logged(population):
    registrations = load_registrations()
    for registration in registrations:
        entry = AuditEntry.objects.get(subject=f"registration:{registration.pk}")
        units = sorted(registration.planned_units.values_list("unit__code", flat=True))
        assert entry.after == {
            **registration_facts(registration),
            "start_date": registration.start_date.isoformat(),
            "planned_end_date": str(registration.planned_end_date),
            "units": units,
        }
        assert entry.actor_id == registration.created_by_id
    evidence = Evidence.objects.filter(registration__in=registrations)[:50]
    for item in evidence:
        entry = AuditEntry.objects.get(
            subject=f"evidence:{item.pk}", action__startswith="evidence."
        )
        facts = {**evidence_facts(item), "occurred_on": item.occurred_on.isoformat(), "files": 1}
        assert entry.after == facts and entry.actor_id == item.created_by_id
    for decision in Decision.objects.filter(registration__in=registrations)[:300]:
        entry = AuditEntry.objects.get(
            subject=f"decision:{decision.pk}", action="decision.recorded"
        )
        said = summary(decision)
        if decision.countersigned_by_id:
            said["provisional"] = True  # as recorded, before the countersignature
        assert entry.after == said


def test_samples_take_current_decisions_that_count_and_actions_block_claims(population):
    samples = Sample.objects.filter(registration__in=load_registrations())
    assert (
        samples.exists() and PlanItem.objects.filter(plan__centre__name="Load centre 01").exists()
    )
    for sample in samples.prefetch_related("decisions"):
        decisions = list(sample.decisions.all())
        assert decisions and all(d.current and not d.provisional for d in decisions)
        assert {getattr(d.target, "unit_id", None) for d in decisions} == {sample.unit_id}
        assert sample.sampled_by_id not in {d.decided_by_id for d in decisions}
        if sample.stage == "summative":
            assert UnitSignOff.objects.filter(
                registration=sample.registration_id,
                unit=sample.unit_id,
                signed_at__lte=sample.sampled_at,
            ).exists()
    assert Action.objects.filter(sample__in=samples).exists()


def test_the_work_kept_for_the_iqa_is_what_the_current_decisions_say(population):
    fields = ("registration", "unit", "decided_by", "countersigned_by", "method", "assessed_on")
    kept = list(DecidedWork.objects.values_list(*fields))
    afresh = (
        Decision.objects.filter(current=True)
        .annotate(unit=unit_of_item())
        .values_list(*fields)
        .distinct()
    )
    assert len(kept) == len(set(kept)) == population.rows["assessment.DecidedWork"] > 0
    assert set(kept) == set(afresh)


def test_evidence_files_are_stored_with_their_hash(population):
    import hashlib

    files = EvidenceFile.objects.filter(registration__in=load_registrations())
    assert files.count() == Evidence.objects.filter(registration__in=load_registrations()).count()
    for row in files[:100]:
        with default_storage.open(str(row.file.name)) as stored:
            content = stored.read()
        assert hashlib.sha256(content).hexdigest() == row.sha256 and len(content) == row.size


def test_the_accounts_log_in_with_the_password(population):
    for email in (
        "learner1@c01.load.test",
        "assessor1@c01.load.test",
        "iqa1@c00.load.test",
        "admin@c02.load.test",
    ):
        answer = Client().post(reverse("login"), {"username": email, "password": PASSWORD})
        assert answer.status_code == 302, email
    wrong = Client().post(reverse("login"), {"username": "admin@c01.load.test", "password": "x"})
    assert wrong.status_code == 200


def test_a_second_run_is_refused_and_changes_nothing(population):
    before = User.objects.count(), Decision.objects.count()
    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_load_data", "--centres", "1", "--learners", "3", "--assessors", "1")
    assert (User.objects.count(), Decision.objects.count()) == before


def test_replace_removes_the_population_and_makes_it_again(population):
    with transaction.atomic():
        report = generate(SIZE, replace=True)
        assert sum(report.removed.values()) == sum(population.rows.values())
        assert report.rows == population.rows
        assert audit_verification().broken is None
        transaction.set_rollback(True)


def test_new_rows_after_the_population_take_ids_of_their_own(population):
    """The sequences were moved past the ids the generator gave, so what the portal writes
    next does not collide with them."""
    with transaction.atomic():
        Centre.objects.create(name="Made afterwards")
        User.objects.create_user("afterwards@example.org", "Made Afterwards", "x")
        audit_append(actor=None, action="test.written", subject="test:1", centre_id=None)
        decision = Decision.objects.filter(registration__in=load_registrations()).last()
        assert decision is not None
        decision.pk, decision.current = None, False
        decision.save()
        transaction.set_rollback(True)


def test_a_row_that_refers_to_nothing_is_refused(population):
    batch = Batch(Ids(id_source()))
    batch.add(
        Role,
        user_id=0,
        centre_id=Centre.objects.get(name="Load centre 00").pk,
        kind="learner",
        created_at="2026-01-01T00:00Z",
    )
    with pytest.raises(DanglingReference, match=r"portal\.Role\.user_id: 1"), transaction.atomic():
        write(batch)


def test_every_certificate_is_issued_under_direct_claims_status_granted_before_it(population):
    """As `certificate_claim` issues at once only under Direct Claims Status (decision 29)."""
    from certification.models import DirectClaimsStatus, Release

    certificates = Certificate.objects.filter(registration__in=load_registrations())
    certificates = certificates.select_related("registration")
    assert certificates.exists()
    for certificate in certificates:
        registration = certificate.registration
        [status] = DirectClaimsStatus.objects.filter(
            centre=registration.centre_id, qualification=registration.qualification_id
        )
        assert status.in_force and status.granted_at < certificate.issued_at
        assert status.granted_by.is_staff
        assert certificate.release == Release.DIRECT
