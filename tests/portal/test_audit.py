"""The audit log: one hash chain per centre, and the portal's own, each verified end to end."""

import datetime
import hashlib
import json

from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.audit import (
    GENESIS,
    Entry,
    audit_append,
    audit_append_many,
    audit_verify,
    entry_hash,
)
from portal.models import AuditEntry
from tests.audit import AuditWatch


def append(centre, subject):
    return audit_append(
        actor=None, action="test.done", subject=subject, centre_id=centre.pk if centre else None
    )


def test_each_centres_entries_form_a_chain_of_their_own(centre, other_centre):
    audit = AuditWatch()
    first = append(centre, "thing:1")
    elsewhere = append(other_centre, "thing:2")
    second = append(centre, "thing:3")
    assert second.previous_hash == first.hash
    assert elsewhere.previous_hash != first.hash
    assert audit.actions() == ["test.done"] * 3
    assert audit_verify()[1] is None


def test_a_centres_first_entry_starts_from_the_beginning(centre, other_centre):
    assert not AuditEntry.objects.filter(centre=other_centre).exists()
    assert append(other_centre, "thing:1").previous_hash == GENESIS


def test_an_entry_about_no_centre_follows_the_portals_chain(centre):
    before = AuditEntry.objects.filter(centre__isnull=True).order_by("-pk").first()
    append(centre, "thing:1")
    entry = append(None, "thing:2")
    assert entry.previous_hash == (before.hash if before else GENESIS)
    assert audit_verify()[1] is None


def test_moving_an_entry_to_another_centres_chain_is_seen_as_an_edit(centre, other_centre):
    append(centre, "thing:1")
    moved = append(centre, "thing:2")
    AuditEntry.objects.filter(pk=moved.pk).update(centre=other_centre)
    broken = audit_verify()[1]
    assert broken is not None and broken.entry_id == moved.pk


def test_an_entry_removed_from_one_chain_is_found_among_the_others(centre, other_centre, capsys):
    append(centre, "thing:1")
    gone = append(centre, "thing:2")
    append(other_centre, "thing:3")
    after = append(centre, "thing:4")
    append(other_centre, "thing:5")
    AuditEntry.objects.filter(pk=gone.pk).delete()
    broken = audit_verify()[1]
    assert broken is not None and broken.entry_id == after.pk
    assert "follow" in broken.reason


def test_verify_audit_counts_every_chain(centre, other_centre, capsys):
    append(centre, "thing:1")
    append(other_centre, "thing:2")
    append(None, "thing:3")
    call_command("verify_audit")
    total = AuditEntry.objects.count()
    assert f"The audit chain is intact: {total} entries." in capsys.readouterr().out


def many(centre, *subjects):
    return [Entry(None, "test.many", s, centre.pk if centre else None) for s in subjects]


def test_entries_appended_at_once_follow_each_other_in_their_chains_and_verify(
    centre, other_centre
):
    first = append(centre, "thing:0")
    made = audit_append_many(
        many(centre, "thing:1", "thing:2") + many(other_centre, "thing:3") + many(centre, "thing:4")
    )
    after = append(centre, "thing:5")
    here = [e for e in made if e.centre_id == centre.pk]
    # In the order given, each following the one before it in its own chain.
    assert [e.subject for e in here] == ["thing:1", "thing:2", "thing:4"]
    assert [e.previous_hash for e in here] == [first.hash, here[0].hash, here[1].hash]
    assert after.previous_hash == here[-1].hash
    [there] = [e for e in made if e.centre_id == other_centre.pk]
    assert there.previous_hash == GENESIS
    # Stored as made, in link order: the chain verifies from end to end.
    stored = list(AuditEntry.objects.filter(centre=centre).order_by("pk"))
    assert [e.subject for e in stored] == [f"thing:{n}" for n in (0, 1, 2, 4, 5)]
    assert audit_verify()[1] is None


def test_appending_many_entries_costs_the_queries_of_appending_two(centre):
    with CaptureQueriesContext(connection) as two:
        audit_append_many(many(centre, "thing:1", "thing:2"))
    # A hundred: SQLite takes at most 999 values in one statement (nine an entry), so Django
    # splits larger inserts there; PostgreSQL takes any number in one.
    with CaptureQueriesContext(connection) as hundred:
        audit_append_many(many(centre, *(f"thing:{n}" for n in range(100))))
    assert len(hundred) == len(two)
    assert AuditEntry.objects.filter(centre=centre).count() == 102
    assert audit_verify()[1] is None


def test_appending_nothing_at_once_appends_nothing(centre):
    audit = AuditWatch()
    assert audit_append_many([]) == []
    assert audit.actions() == []


def test_an_entry_is_hashed_and_stored_as_the_canonical_json_of_what_is_read_back(centre, assessor):
    """Hashed over the canonical JSON (sorted keys, no spaces, Django's encoder) of the entry as
    it is read back from the database, however it was given."""
    given = {"on": datetime.date(2026, 12, 6), "ids": (3, 1), "note": "café", "n": None}
    [appended] = audit_append_many(
        [Entry(assessor, "test.shapes", "thing:1", centre.pk, given, [given])]
    )
    assert appended.pk is not None
    stored = AuditEntry.objects.get(pk=appended.pk)
    read = {"on": "2026-12-06", "ids": [3, 1], "note": "café", "n": None}
    assert stored.before == read and stored.after == [read]
    assert appended.saved().before == read and appended.saved().hash == stored.hash
    content = {
        "at": stored.at.isoformat(),
        "actor": assessor.pk,
        "action": "test.shapes",
        "subject": "thing:1",
        "before": read,
        "after": [read],
        "previous": stored.previous_hash,
        "centre": centre.pk,
    }
    canonical = json.dumps(content, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    assert stored.hash == hashlib.sha256(canonical.encode()).hexdigest() == entry_hash(stored)
    assert audit_verify()[1] is None
