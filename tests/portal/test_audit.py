"""The audit log: one hash chain per centre, and the portal's own, each verified end to end."""

import datetime
import enum
import hashlib
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.audit import (
    GENESIS,
    Entry,
    array_literal,
    audit_append,
    audit_append_many,
    audit_verify,
    canonical_content,
    encode_stored,
    entry_hash,
    ids_literal,
    is_json,
    linked,
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


# What an entry's values were made into before values already plain JSON skipped the read
# back (`portal.audit.plain_and_json`): kept here to compare the texts and hashes with.
OLD_ENCODER = DjangoJSONEncoder()
OLD_CANONICAL = DjangoJSONEncoder(sort_keys=True, separators=(",", ":"))


def old_plain_and_json(value):
    if value is None:
        return None, None
    text = OLD_ENCODER.encode(value)
    return json.loads(text), text


def old_hash(at, actor_id, action, subject, before, after, previous, centre_id):
    content = {
        "at": at.isoformat(),
        "actor": actor_id,
        "action": action,
        "subject": subject,
        "before": before,
        "after": after,
        "previous": previous,
    }
    if centre_id is not None:
        content["centre"] = centre_id
    return hashlib.sha256(OLD_CANONICAL.encode(content).encode()).hexdigest()


class Colour(enum.IntEnum):
    RED = 1


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, datetime.UTC])),
    st.times(),
    st.timedeltas(),
    st.decimals(allow_nan=False, places=3),
    st.uuids(),
    st.just(Colour.RED),
    st.text(max_size=5).map(mark_safe),
    st.sampled_from([gettext_lazy("Met"), "café", "日本語", "\u202eevil", "\ud800"]),
)
KEYS = st.one_of(st.text(max_size=6), st.integers(-3, 3), st.booleans(), st.none())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(deadline=None, max_examples=400)
@given(before=VALUES, after=VALUES, actor_id=st.one_of(st.none(), st.integers(1, 10**6)))
@example(
    before={"registration": 7, "evidence": [3, 1], "provisional": True, "feedback": "Bien"},
    after={"registration": 7, "evidence": [3, 1], "provisional": False, "feedback": "Bien"},
    actor_id=4,
)
@example(before={"n": 1.0, "m": [1, True, None]}, after=(1, 2), actor_id=None)
@example(before={1: "a", "1": "b"}, after={"d": Decimal("1.50")}, actor_id=None)
def test_an_entry_is_stored_and_hashed_as_before_values_plain_already_skipped_the_read_back(
    before, after, actor_id
):
    """Values already plain JSON are not read back from their text (`is_json`): the entry's
    texts, hash and values (and their types) are the same as when every value was."""
    at = datetime.datetime(2026, 12, 7, 13, 5, 1, 123456, tzinfo=datetime.UTC)
    entry = Entry(None, "test.shapes", "thing:1", 5, before, after)
    made = linked(entry, at, at.isoformat(), actor_id, "ab" * 32)
    old_before, old_before_json = old_plain_and_json(before)
    old_after, old_after_json = old_plain_and_json(after)
    # The texts stored hold the same JSON values (the text itself is not kept: jsonb).
    assert as_json(made.before_json) == as_json(old_before_json)
    assert as_json(made.after_json) == as_json(old_after_json)
    # repr tells True from 1, 1.0 from 1, a tuple from a list, a str subclass from a str.
    assert repr(made.before) == repr(old_before) and repr(made.after) == repr(old_after)
    assert type(made.before) is type(old_before) and type(made.after) is type(old_after)
    old = old_hash(at, actor_id, "test.shapes", "thing:1", old_before, old_after, "ab" * 32, 5)
    assert made.hash == old


def as_json(text):
    """The JSON value a text holds, as canonical text: tells 1 from 1.0 and true, not the order
    of keys nor the spaces."""
    return None if text is None else OLD_CANONICAL.encode(json.loads(text))


@settings(deadline=None, max_examples=300)
@given(
    action=st.text(max_size=12),
    subject=st.text(max_size=12),
    actor_id=st.one_of(st.none(), st.integers(1, 10**12)),
    centre_id=st.one_of(st.none(), st.integers(1, 10**6)),
    before=VALUES,
    after=VALUES,
)
@example(
    action="decision.countersigned",
    subject="decision:7",
    actor_id=4,
    centre_id=2,
    before={"registration": 7, "evidence": [3, 1], "provisional": True, "feedback": "Bien"},
    after={"registration": 7, "evidence": [3, 1], "provisional": False, "feedback": "Bien"},
)
@example(action='q"\\', subject="日本語", actor_id=None, centre_id=None, before=None, after=[])
def test_an_entry_made_around_its_values_texts_hashes_as_its_content_encoded_whole(
    action, subject, actor_id, centre_id, before, after
):
    """Each value encoded once (`linked`, `canonical_content`): the entry's hash is that of its
    whole content encoded canonically, as before, whatever its words, ids and values."""
    at = datetime.datetime(2026, 12, 7, 13, 5, 1, 123456, tzinfo=datetime.UTC)
    made = linked(Entry(None, action, subject, centre_id, before, after), at, at.isoformat(),
                  actor_id, "cd" * 32)  # fmt: skip
    old_before, old_after = old_plain_and_json(before)[0], old_plain_and_json(after)[0]
    old = old_hash(at, actor_id, action, subject, old_before, old_after, "cd" * 32, centre_id)
    assert made.hash == old
    if is_json(before) and is_json(after):
        content = canonical_content(
            at.isoformat(), actor_id, action, subject,
            made.before_json or "null", made.after_json or "null",
            "cd" * 32, centre_id,
        )  # fmt: skip
        assert content is not None
        assert hashlib.sha256(content.encode()).hexdigest() == old


def test_a_value_that_cannot_be_encoded_fails_as_the_encoder_fails_and_leaves_nothing_behind():
    """`one_shot` runs the C encoder without its circular check's memo: a circular value, or
    one the encoder does not know, fails as `DjangoJSONEncoder().encode` fails, and the
    values encoded after it (the same list, now fixed) are encoded as before."""
    looped: list[object] = [1]
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference detected"):
        encode_stored(looped)
    with pytest.raises(TypeError, match="not JSON serializable"):
        encode_stored({"x": object()})
    looped.pop()
    assert encode_stored([looped, looped]) == OLD_ENCODER.encode([looped, looped]) == "[[1], [1]]"
    assert encode_stored("é") == OLD_ENCODER.encode("é") == '"\\u00e9"'


TRICKY = [
    'say "hi"',
    "back\\slash\\",
    "{braces}, commas",
    "NULL",
    "",
    " spaced ",
    "日本語 \u202e",
    '\\"',
    "tab\there",
    "\x01",
]


def test_entries_are_stored_as_appended_whatever_their_text(centre, other_centre, assessor):
    """Written on PostgreSQL as one array literal a column (`array_literal`): every text comes
    back as it was given, in its chain and order, and the chains still verify."""
    entries = [
        Entry(assessor if i % 2 else None, text or "x", text, chain, before, after)
        for i, text in enumerate(TRICKY)
        for chain, before, after in [
            (centre.pk, {"note": text, text: [1, None]}, None),
            (None, None, [text, {"n": 1.5}]),
            (other_centre.pk, text, {"q": '"', "b": "\\"}),
        ]
    ]
    appended = audit_append_many(entries)
    stored = AuditEntry.objects.in_bulk([row.pk for row in appended])
    for row in appended:
        entry = stored[row.pk]
        assert (entry.at, entry.centre_id, entry.actor_id, entry.action, entry.subject) == (
            row.at, row.centre_id, row.actor_id, row.action, row.subject
        )  # fmt: skip
        assert (entry.before, entry.after) == (row.before, row.after)
        assert (entry.previous_hash, entry.hash) == (row.previous_hash, row.hash)
        assert entry_hash(entry) == entry.hash
    in_chain = [row.pk or 0 for row in appended if row.centre_id == centre.pk]
    assert in_chain == sorted(in_chain)  # inserted in link order
    assert audit_verify()[1] is None


@pytest.mark.integration  # on PostgreSQL, in the second suite (the fast suite is SQLite's)
def test_an_array_literal_reads_back_as_its_texts(db):
    """PostgreSQL reads `array_literal` and `ids_literal` back as the lists they were made of."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's array literals")
    texts: list[str | None] = [*TRICKY, None, '{"a": [1, "\\u00e9"]}', None]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::text[], %s::bigint[]", [array_literal(texts), ids_literal([3, None, 1])]
        )
        assert cursor.fetchone() == (texts, [3, None, 1])
        cursor.execute("SELECT %s::text[]", [array_literal(["only"])])
        assert cursor.fetchone() == (["only"],)


def test_an_empty_array_literal_is_an_empty_array():
    assert array_literal([]) == "{}" and ids_literal([]) == "{}"


def test_a_nul_in_a_text_is_refused_as_psycopg2_refuses_it():
    """A NUL would split a text in two elements of the literal, shifting the columns after it."""
    with pytest.raises(ValueError, match="NUL"):
        array_literal(["decision:1", "decision:\x002"])
