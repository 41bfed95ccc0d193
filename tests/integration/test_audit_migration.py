"""The audit log's move from assessment to portal, on PostgreSQL: entries written into the old
table before the move are the same entries, in an intact chain, after it."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from portal.audit import GENESIS, audit_append, audit_verify, entry_hash, plain
from portal.models import AuditEntry, User

BEFORE_THE_MOVE = [("assessment", "0004_unlock"), ("portal", "0001_initial")]
THE_MOVE = {("portal", "0002_audit_entry"), ("assessment", "0005_audit_log_moves_to_portal")}


def migrate(targets: list[tuple[str, str]] | None = None) -> MigrationExecutor:
    """Migrate the test database to `targets` (the latest migrations by default)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return MigrationExecutor(connection)  # a fresh one knows what is applied now


@pytest.fixture
def before_the_move(real_services, transactional_db) -> Iterator[MigrationExecutor]:
    """The database as it was before the move; migrated to the latest again afterwards,
    whatever the test did, so the tests after it see the schema they expect."""
    plan = MigrationExecutor(connection).migration_plan(BEFORE_THE_MOVE)
    assert all(backwards for _, backwards in plan)
    assert {(m.app_label, m.name) for m, _ in plan} >= THE_MOVE
    try:
        yield migrate(BEFORE_THE_MOVE)
    finally:
        migrate()


def append_old(old: Any, *, actor_id: int | None, action: str, subject: str, **change: Any) -> Any:
    """Append to the chain in the old table the way assessment's audit_append did."""
    last = old.objects.order_by("-pk").first()
    entry = old(
        at=timezone.now(),
        actor_id=actor_id,
        action=action,
        subject=subject,
        before=plain(change.get("before")),
        after=plain(change.get("after")),
        previous_hash=last.hash if last else GENESIS,
    )
    # entry_hash reads only the entry's attributes, which the historical model has too.
    entry.hash = entry_hash(cast(AuditEntry, entry))
    entry.save()
    return entry


@pytest.mark.django_db(transaction=True)
def test_entries_written_before_the_move_are_the_same_intact_chain_after_it(
    before_the_move, capsys
):
    assert connection.vendor == "postgresql"
    tables = connection.introspection.table_names()
    assert "assessment_auditentry" in tables and "portal_auditentry" not in tables
    then = before_the_move.loader.project_state(BEFORE_THE_MOVE).apps
    old = then.get_model("assessment", "AuditEntry")
    # Made as the schema of the time had people: the model of today has columns added since.
    assessor = then.get_model("portal", "User").objects.create(
        email="assessor@example.org", full_name="Ann Assessor", password="!"
    )
    written = [
        append_old(
            old,
            actor_id=assessor.pk,
            action="decision.recorded",
            subject="decision:1",
            after={"outcome": "met", "on": datetime.date(2026, 10, 6), "targets": [3, 1, 2]},
        ),
        append_old(
            old,
            actor_id=assessor.pk,
            action="unit.signed_off",
            subject="sign_off:1",
            before={"status": "open"},
            after={"status": "signed", "signature": "Samir Patel — “assessor”"},
        ),
        append_old(old, actor_id=None, action="witness.confirmed", subject="witness_request:1"),
    ]
    kept = [(e.pk, e.hash, e.previous_hash) for e in written]
    total = old.objects.count()

    migrate()
    assessor = User.objects.get(pk=assessor.pk)  # the same person, as the model of today

    tables = connection.introspection.table_names()
    assert "portal_auditentry" in tables and "assessment_auditentry" not in tables
    assert audit_verify() == (total, None)
    moved = AuditEntry.objects.filter(pk__in=[pk for pk, *_ in kept]).order_by("pk")
    assert [(e.pk, e.hash, e.previous_hash) for e in moved] == kept
    assert [e.actor for e in moved] == [assessor, assessor, None]
    call_command("verify_audit")
    assert f"The audit chain is intact: {total} entries." in capsys.readouterr().out

    # The chain goes on from the last entry written before the move, in the renamed table.
    latest = audit_append(
        actor=assessor,
        action="evidence.added",
        subject="evidence:1",
        centre_id=None,
        after={"files": 1},
    )
    assert latest.pk > kept[-1][0] and latest.previous_hash == kept[-1][1]
    assert audit_verify() == (total + 1, None)
    call_command("verify_audit")
    assert f"The audit chain is intact: {total + 1} entries." in capsys.readouterr().out
