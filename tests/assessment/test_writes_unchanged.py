"""A decision, a trainee's decision, countersigning and returning write exactly the rows they
wrote before round five of issue 17 changed how they read and write them (the notice read in
one query, the decided work kept in one statement, the countersigned decisions' units and
samples read with their lock): every row of the tables they touch is compared before and
after, and what changed must be exactly what is listed here, from scratch.

This file passed unchanged at `a768e8a` (the code before those changes) and passes after them.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from assessment.kept import fill_sql
from assessment.models import DecidedWork, Decision, Outcome
from assessment.services import (
    SAMPLED_AMONG_THOSE_CHOSEN,
    DecisionRefused,
    Judgement,
    decision_countersign,
    decision_record,
    decision_return,
    summary,
)
from iqa.models import Sample, Stage, Verdict
from portal.audit import audit_verify
from portal.models import AuditEntry, Notification, NotificationKind, RoleKind
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.mapping import Targets
from portfolios.models import Evidence, Mapping, MappingStatus, Registration
from qualifications.models import Criterion
from tests.portfolios.files import pdf

ON = datetime.date(2026, 10, 6)
MET = Judgement(Outcome.MET, "product", ON, "Well done.")
NOT_YET = Judgement(Outcome.NOT_YET, "product", ON, "Not yet: say more.")

# What is compared of each table: every column but ids of rows made anew and times.
TABLES: dict[type[Model], tuple[str, ...]] = {
    Decision: (
        "registration_id", "criterion_id", "range_item_id", "knowledge_item_id", "outcome",
        "method", "assessed_on", "feedback", "decided_by_id", "provisional",
        "countersigned_by_id", "current", "returned_by_id", "return_reason",
    ),
    Decision.evidence.through: ("decision_id", "evidence_id"),
    Mapping: (
        "evidence_id", "criterion_id", "range_item_id", "knowledge_item_id", "status",
        "proposed_by_id",
    ),
    AuditEntry: ("centre_id", "actor_id", "action", "subject", "before", "after"),
    Notification: (
        "recipient_id", "kind", "key", "text", "link", "centre_id", "role_kind", "read_at",
    ),
    Evidence: ("registration_id", "title", "judged_at"),
}  # fmt: skip


def rows() -> dict[str, dict[int, tuple[Any, ...]]]:
    found = {
        model.__name__: {
            row[0]: row[1:] for row in model._default_manager.values_list("pk", *fields)
        }
        for model, fields in TABLES.items()
    }
    # Kept lines have no identity of their own: compared as a sorted list.
    kept = DecidedWork.objects.values_list(
        "registration_id", "unit_id", "decided_by_id", "countersigned_by_id", "method",
        "assessed_on",
    )  # fmt: skip
    found["DecidedWork"] = dict(enumerate(sorted(kept, key=str)))
    return found


def changes(before: dict[str, dict[int, Any]], after: dict[str, dict[int, Any]]) -> dict:
    """For each table: the rows added, changed (old, new) and removed."""
    out = {}
    for table, now in after.items():
        was = before[table]
        added = [now[pk] for pk in sorted(now.keys() - was.keys())]
        changed = [
            (was[pk], now[pk]) for pk in sorted(now.keys() & was.keys()) if was[pk] != now[pk]
        ]
        removed = [was[pk] for pk in sorted(was.keys() - now.keys())]
        if added or changed or removed:
            out[table] = {"added": added, "changed": changed, "removed": removed}
    return out


def kept_from_scratch() -> list[tuple[Any, ...]]:
    """The decided work as the migration fills it, from every current decision."""
    from django.db import connection

    DecidedWork.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(fill_sql("1 = 1"))
    return sorted(
        DecidedWork.objects.values_list(
            "registration_id", "unit_id", "decided_by_id", "countersigned_by_id", "method",
            "assessed_on",
        ),
        key=str,
    )  # fmt: skip


@pytest.fixture
def evidence(registration, learner) -> Evidence:
    return evidence_add(
        registration=registration,
        details=EvidenceDetails("Call log", ON, "product"),
        files=[pdf()],
        declared=True,
        actor=learner,
    )


def criteria_of(registration: Registration, n: int) -> list[int]:
    planned = registration.planned_units.values("unit_id")
    found = Criterion.objects.filter(unit__in=planned).order_by("unit__code", "position", "pk")
    return list(found.values_list("pk", flat=True)[:n])


def decision_lines(registration, criteria, judgement, by, provisional, current=True):
    return [
        (
            registration.pk, c, None, None, judgement.outcome, judgement.method, judgement.assessed_on,
            judgement.feedback, by.pk, provisional, None, current, None, "",
        )
        for c in criteria
    ]  # fmt: skip


def audit_line(actor, action, subject, before, after, centre):
    return (centre, actor.pk, action, subject, before, after)


@pytest.mark.parametrize("trainee", [False, True], ids=["assessor", "trainee"])
def test_a_decision_writes_its_decisions_links_mappings_entries_notice_and_kept_work(
    registration, evidence, assessor, trainee_assessor, learner, trainee
):
    actor = trainee_assessor if trainee else assessor
    if trainee:
        Registration.objects.filter(pk=registration.pk).update(assessor=trainee_assessor)
        registration.refresh_from_db()
    first, second, third = criteria_of(registration, 3)
    # The learner proposed one mapping; the first criterion was decided "not yet" before.
    Mapping.objects.create(
        evidence=evidence, criterion_id=second, proposed_by=learner, status=MappingStatus.PROPOSED
    )
    [earlier] = decision_record(
        registration=registration, targets=Targets(criteria=frozenset([first])),
        judgement=NOT_YET, evidence=[evidence], actor=actor,
    )  # fmt: skip
    earlier_summary = summary(earlier)
    mapping_pks = dict(Mapping.objects.filter(evidence=evidence).values_list("criterion_id", "pk"))
    before = rows()
    made = decision_record(
        registration=registration, targets=Targets(criteria=frozenset([first, second, third])),
        judgement=MET, evidence=[evidence], actor=actor,
    )  # fmt: skip
    after = rows()
    found = changes(before, after)
    decisions = [d.pk for d in made]
    centre = registration.centre_id
    # The kept work is compared with a from-scratch computation below (its lines are the same
    # here: the earlier decision was on the same unit, by the same person, on the same day).
    assert sorted(found.keys() - {"DecidedWork"}) == [
        "AuditEntry", "Decision", "Decision_evidence", "Mapping", "Notification",
    ]  # fmt: skip
    assert found["Decision"] == {
        "added": decision_lines(registration, [first, second, third], MET, actor, trainee),
        "changed": [(
            decision_lines(registration, [first], NOT_YET, actor, trainee)[0],
            decision_lines(registration, [first], NOT_YET, actor, trainee, current=False)[0],
        )],
        "removed": [],
    }  # fmt: skip
    assert found["Decision_evidence"] == {
        "added": [(d, evidence.pk) for d in decisions], "changed": [], "removed": [],
    }  # fmt: skip
    # The "not yet" decision had rejected its mapping, the learner's was proposed: both
    # confirmed; the third made confirmed.
    assert found["Mapping"] == {
        "added": [(evidence.pk, third, None, None, MappingStatus.CONFIRMED, actor.pk)],
        "changed": [
            (
                (evidence.pk, c, None, None, was, by),
                (evidence.pk, c, None, None, MappingStatus.CONFIRMED, by),
            )
            for c, was, by in sorted(
                [
                    (first, MappingStatus.REJECTED, actor.pk),
                    (second, MappingStatus.PROPOSED, learner.pk),
                ],
                key=lambda line: mapping_pks[line[0]],
            )
        ],
        "removed": [],
    }
    after_of = {
        d.pk: {
            "registration": registration.pk, "criterion": d.criterion_id, "range_item": None,
            "knowledge_item": None, "outcome": "met", "provisional": trainee,
            "decided_by": actor.pk, "evidence": [evidence.pk], "feedback": MET.feedback,
        }
        for d in made
    }  # fmt: skip
    assert found["AuditEntry"] == {
        "added": [
            audit_line(
                actor, "decision.recorded", f"decision:{d.pk}",
                earlier_summary if d.criterion_id == first else None, after_of[d.pk], centre,
            )
            for d in made
        ],
        "changed": [],
        "removed": [],
    }  # fmt: skip
    waiting = ", awaiting countersignature by a qualified assessor (nothing counts until then)"
    text = f"{actor.full_name} judged “Call log”: 3 items met{waiting if trainee else ''}."
    assert found["Notification"] == {
        "added": [(
            learner.pk, NotificationKind.EVIDENCE_JUDGED, f"decisions:{decisions[0]}",
            f"{text} Feedback: {MET.feedback}", reverse("portfolios:evidence-detail", args=[evidence.pk]), centre,
            RoleKind.LEARNER, None,
        )],
        "changed": [],
        "removed": [],
    }  # fmt: skip
    assert sorted(after["DecidedWork"].values(), key=str) == kept_from_scratch()
    assert audit_verify()[1] is None


def provisional_decisions(registrations, trainee, evidence_of, n):
    made = []
    for registration in registrations:
        made += decision_record(
            registration=registration,
            targets=Targets(criteria=frozenset(criteria_of(registration, n))),
            judgement=MET,
            evidence=[evidence_of[registration.pk]],
            actor=trainee,
        )
    return made


@pytest.fixture
def two_learners(registration, evidence, trainee_assessor, centre, centre_admin, sfj, learner):
    from portfolios.services import RegistrationDetails, registration_create
    from tests.factories import RoleFactory, UserFactory

    other = UserFactory.create(email="second.learner@example.org")
    RoleFactory.create(user=other, centre=centre, kind=RoleKind.LEARNER)
    second = registration_create(
        centre=centre,
        details=RegistrationDetails(
            learner=other, qualification=sfj, start_date=ON, assessor=trainee_assessor
        ),
        optional_units=["SFJ-CS2-07", "K/503/0421", "T/506/2126"],
        actor=centre_admin,
    )
    Registration.objects.filter(pk=registration.pk).update(assessor=trainee_assessor)
    registration.refresh_from_db()
    other_evidence = evidence_add(
        registration=second,
        details=EvidenceDetails("Shift notes", ON, "product"),
        files=[pdf()],
        declared=True,
        actor=other,
    )
    return [registration, second], {registration.pk: evidence, second.pk: other_evidence}


def test_countersigning_writes_the_decisions_countersigned_their_entries_and_kept_work(
    two_learners, trainee_assessor, assessor
):
    registrations, evidence_of = two_learners
    made = provisional_decisions(registrations, trainee_assessor, evidence_of, 3)
    summaries = {d.pk: summary(d) for d in made}
    before = rows()
    assert decision_countersign(decisions=made, actor=assessor) == 6
    after = rows()
    found = changes(before, after)
    assert sorted(found) == ["AuditEntry", "DecidedWork", "Decision"]
    assert found["Decision"]["added"] == found["Decision"]["removed"] == []
    assert found["Decision"]["changed"] == [
        (was, (*was[:9], False, assessor.pk, *was[11:]))
        for was in (before["Decision"][d.pk] for d in sorted(made, key=lambda d: d.pk))
    ]
    assert found["AuditEntry"] == {
        "added": [
            audit_line(
                assessor, "decision.countersigned", f"decision:{pk}", summaries[pk],
                {**summaries[pk], "provisional": False}, registrations[0].centre_id,
            )
            for pk in sorted(summaries)
        ],
        "changed": [],
        "removed": [],
    }  # fmt: skip
    assert sorted(after["DecidedWork"].values(), key=str) == kept_from_scratch()
    assert audit_verify()[1] is None


def test_returning_writes_the_decision_returned_its_entry_notice_and_kept_work(
    two_learners, trainee_assessor, assessor
):
    registrations, evidence_of = two_learners
    first, *_ = provisional_decisions(registrations[:1], trainee_assessor, evidence_of, 2)
    was_summary = summary(first)
    before = rows()
    decision_return(decision=first, reason="Say which calls.", actor=assessor)
    after = rows()
    found = changes(before, after)
    assert sorted(found.keys() - {"DecidedWork"}) == ["AuditEntry", "Decision", "Notification"]
    was = before["Decision"][first.pk]
    assert found["Decision"]["changed"] == [
        (was, (*was[:11], False, assessor.pk, "Say which calls."))
    ]
    assert found["AuditEntry"]["added"] == [
        audit_line(
            assessor, "decision.returned", f"decision:{first.pk}", was_summary,
            {**was_summary, "current": False, "returned": "Say which calls."},
            registrations[0].centre_id,
        )
    ]  # fmt: skip
    [notice] = found["Notification"]["added"]
    assert notice[0] == trainee_assessor.pk and notice[1] == NotificationKind.DECISION_RETURNED
    assert sorted(after["DecidedWork"].values(), key=str) == kept_from_scratch()


def test_countersigning_is_refused_while_an_iqa_sample_holds_a_decision_naming_the_first(
    two_learners, trainee_assessor, assessor, iqa
):
    registrations, evidence_of = two_learners
    made = provisional_decisions(registrations, trainee_assessor, evidence_of, 2)
    held = sorted(made, key=lambda d: d.pk)[1:3]
    taken = Sample.objects.create(
        registration=registrations[0], unit_id=Criterion.objects.get(pk=held[0].criterion_id).unit_id,
        assessor=trainee_assessor, stage=Stage.INTERIM, valid=True, authentic=True,
        current=True, sufficient=True, reliable=True, verdict=Verdict.AGREE, feedback="Fine.",
        sampled_by=iqa, sampled_at=timezone.now(),
    )  # fmt: skip
    taken.decisions.set(held)
    before = rows()
    with pytest.raises(DecisionRefused) as refused:
        decision_countersign(decisions=made, actor=assessor)
    first = Decision.objects.get(pk=held[0].pk)
    learner = first.registration.learner.full_name
    assert str(refused.value) == SAMPLED_AMONG_THOSE_CHOSEN.format(
        asked=len(made), item=first.target, learner=learner
    )
    assert changes(before, rows()) == {}
    # Once the lock is lifted, they are countersigned.
    Sample.objects.filter(pk=taken.pk).update(
        lock_lifted_at=timezone.now(), lock_lifted_by=iqa, lock_lift_reason="Seen again."
    )
    assert decision_countersign(decisions=made, actor=assessor) == len(made)
