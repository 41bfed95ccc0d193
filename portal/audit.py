"""The tamper-evident audit log, which every app writes through: append, and verify the chain.

Each entry names an action (`evidence.added`), a subject (`evidence:42`) and what changed, and
belongs to its centre's chain ([decision 12](../docs/decisions/0012-audit-chains.md)). Personal
data past its retention period is redacted under a seal that the chain's check accepts
([decision 15](../docs/decisions/0015-subject-access-and-retention.md))."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.transaction import Atomic
from django.utils import timezone

from portal.models import AuditEntry, User

GENESIS = "0" * 64


def entry_hash(entry: AuditEntry) -> str:
    """The hash of an entry's content and of the entry before it in its chain."""
    # Entries of the portal's chain (all written before chains were per centre) hash as they
    # always did; a centre's entry also seals which chain it belongs to. (A migration's
    # historical model of the entry, from before chains, has no centre at all.)
    return content_hash(
        entry.at, entry.actor_id, entry.action, entry.subject, entry.before, entry.after,
        entry.previous_hash, getattr(entry, "centre_id", None),
    )  # fmt: skip


def content_hash(
    at: datetime.datetime | str,
    actor_id: int | None,
    action: str,
    subject: str,
    before: Any,
    after: Any,
    previous_hash: str,
    centre_id: int | None,
) -> str:
    """`entry_hash` of an entry with this content (no model instance needed).

    `at` may be given as its ISO text already: a batch's entries share one time, made into
    text once.
    """
    content = {
        "at": at if isinstance(at, str) else at.isoformat(),
        "actor": actor_id,
        "action": action,
        "subject": subject,
        "before": before,
        "after": after,
        "previous": previous_hash,
    }
    if centre_id is not None:
        content["centre"] = centre_id
    return hashlib.sha256(encode_canonical(content).encode()).hexdigest()


# What json.dumps(..., cls=DjangoJSONEncoder) makes, with the encoder made once, not per call
# (a countersignature writes hundreds of entries).
CANONICAL = DjangoJSONEncoder(sort_keys=True, separators=(",", ":"))
ENCODER = DjangoJSONEncoder()


def one_shot(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """`encoder.encode`, by the C encoder it runs made once, not at each call with the Python
    around it. Made without the memo of the circular check (which an encoding that failed
    could leave filled for the next): a value it fails on, circular or not encodable, is
    encoded again by `encoder.encode`, to fail as that fails."""
    make = json.encoder.c_make_encoder  # type: ignore[attr-defined]
    if make is None or encoder.indent is not None or not encoder.ensure_ascii:
        return encoder.encode
    chunks = make(
        None, encoder.default, json.encoder.encode_basestring_ascii, None,
        encoder.key_separator, encoder.item_separator, encoder.sort_keys, encoder.skipkeys,
        encoder.allow_nan,
    )  # fmt: skip

    def encode(value: Any) -> str:
        try:
            return "".join(chunks(value, 0))
        except Exception:
            return encoder.encode(value)

    return encode


# An entry's values are encoded once, canonically (`linked`); those that are not plain JSON
# already, as stored, then within its canonical content.
encode_canonical = one_shot(CANONICAL)
encode_stored = one_shot(ENCODER)


def plain(value: Any) -> Any:
    """JSON as it will be stored and read back, so the hash is computed on the same data."""
    return plain_and_json(value)[0]


def plain_and_json(value: Any) -> tuple[Any, str | None]:
    """`plain(value)`, and the JSON text it was read back from (None for None, stored as
    NULL, as Django stores a JSONField's None)."""
    if value is None:
        return None, None
    text = encode_stored(value)
    # JSON already (the usual audit summary: ids, words, flags, lists of ids) reads back as an
    # equal value of the same types, so it is not read back: that was half an entry's Python.
    return (value if is_json(value) else json.loads(text)), text


# The types JSON text reads back as themselves (exactly these: a subclass, a str-valued enum
# say, reads back as its base type).
JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def is_json(value: Any) -> bool:
    """Whether `value` is what `json.loads` would read back from its JSON text: scalars of
    `JSON_SCALARS`, and lists and dicts (with str keys) of them. A tuple reads back as a list,
    an int key as a str, a date as its text, so none of them is."""
    kind = type(value)
    # Loops, not all() over generators: a call less per item, on every entry's values.
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in JSON_SCALARS and not is_json(item)):
                return False
        return True
    if kind is list:
        for item in value:  # noqa: SIM110
            if type(item) not in JSON_SCALARS and not is_json(item):
                return False
        return True
    return kind in JSON_SCALARS


# The advisory lock's first key says "the audit chains"; the second is the chain (a centre id).
CHAIN_LOCKS = 0x41554454


def lock_chain(centre_id: int | None) -> None:
    """Hold the chain until the transaction ends, so appends to it take turns.

    A write transaction takes its centre's chain first, before any row lock (several centres:
    in id order), so two transactions never hold each other's locks: a service that locked a
    row and only then appended could deadlock with one that appended and then locked that row.
    Taking it again later in the same transaction is free. With `AUDIT_CHECK_LOCK_ORDER` (the
    test settings) a transaction that breaks the rule fails at once (`LockOrderBroken`), not
    only when another request happens to interleave with it.

    On PostgreSQL a transaction-scoped advisory lock per chain: a transaction that waited for
    it then reads the chain's end afresh (each statement sees what was committed before it), so
    no two entries follow the same one. Locking the last row instead forked the chain: a waiter
    still saw the old last row. SQLite runs write transactions one at a time already
    (`transaction_mode` IMMEDIATE in the settings).
    """
    if connection.vendor != "postgresql":
        return
    key = (centre_id or 0) % 2**31
    with connection.cursor() as cursor:
        if settings.AUDIT_CHECK_LOCK_ORDER and not in_a_tests_own_transaction():
            check_lock_order(cursor, key, centre_id)
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [CHAIN_LOCKS, key])


class LockOrderBroken(RuntimeError):
    """A transaction wrote or locked a row before taking its audit chain."""


# Whether this transaction already holds the chain, and whether it has written or locked any
# row: PostgreSQL gives a transaction its id at its first write or row lock (a lock is written
# into the row), and not for reads or advisory locks.
LOCK_ORDER = """
    SELECT EXISTS (
        SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
        AND classid = %s AND objid = %s AND objsubid = 2 AND granted
    ), txid_current_if_assigned() IS NOT NULL
"""


def check_lock_order(cursor: Any, key: int, centre_id: int | None) -> None:
    cursor.execute(LOCK_ORDER, [CHAIN_LOCKS, key])
    held, wrote = cursor.fetchone()
    if wrote and not held:
        raise LockOrderBroken(
            f"This transaction wrote or locked a row before taking the audit chain of centre "
            f"{centre_id}: take the chain first (portal.audit.lock_chain), or it can deadlock "
            "with a transaction that took the chain and then that row."
        )


def opened_blocks(by_a_test: bool) -> list[Atomic]:
    """The transaction blocks open now on the connection that a test's own wrapping
    transaction opened (pytest-django's `db`), or those the code opened."""
    return [
        block
        for block in connection.atomic_blocks
        if getattr(block, "_from_testcase", False) == by_a_test
    ]


def in_a_tests_own_transaction() -> bool:
    """Inside a test's own wrapping transaction (pytest-django's `db`) the test's setup has
    written already, so the order cannot be told; tests on committed data (`transactional_db`,
    and every server and worker they start) are checked."""
    return bool(opened_blocks(by_a_test=True))


def chain_of(centre_id: int | None) -> QuerySet[AuditEntry]:
    if centre_id is None:
        return AuditEntry.objects.filter(centre__isnull=True)
    return AuditEntry.objects.filter(centre_id=centre_id)


def audit_append(
    *,
    actor: User | None,
    action: str,
    subject: str,
    centre_id: int | None,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Add an entry at the end of the centre's chain (`centre_id` None: the portal's chain).
    Must run inside the caller's transaction, which then holds that chain until it ends."""
    [appended] = audit_append_many([Entry(actor, action, subject, centre_id, before, after)])
    return appended.saved()


@dataclass(frozen=True)
class Entry:
    """An entry to append: what `audit_append` takes, for `audit_append_many`."""

    actor: User | None
    action: str
    subject: str
    centre_id: int | None
    before: Any = None
    after: Any = None


def audit_append_many(entries: Sequence[Entry]) -> list[Appended]:
    """Add entries at the end of their chains, in the order given, in a fixed number of
    statements whatever their number: for each chain (in chain order) its lock and its last
    hash, then every entry linked to the one before it and inserted in one statement.

    As safe as appending them one by one: each chain's lock is held until the caller's
    transaction ends, so nothing else is appended to it meanwhile, and the rows are inserted
    in link order, so their ids follow the chain as `audit_verify` walks it. The caller has
    taken the chains first already (before any row lock, the house order); taking one again
    here is free. Returns what was stored, with each entry's id (`Appended.saved()` for the
    entry as a model instance: not made for all of them, since it cost as much as the rest)."""
    chains = sorted({e.centre_id for e in entries}, key=chain_order)
    rows: list[Appended] = []
    # No savepoint of its own inside the caller's transaction (two statements more on every
    # write): an error here fails the caller's transaction as a whole, as it must anyway.
    with transaction.atomic(savepoint=False):
        for centre_id in chains:
            lock_chain(centre_id)
        at = timezone.now()
        stamp = at.isoformat()
        # Each actor's id read once, not once an entry (the request's user is a lazy object,
        # each of whose attributes costs a few calls).
        actor_ids: dict[int, int | None] = {}
        for e in entries:
            if id(e.actor) not in actor_ids:
                actor_ids[id(e.actor)] = e.actor.pk if e.actor else None
        for centre_id in chains:
            last = chain_of(centre_id).order_by("-pk").values_list("hash", flat=True).first()
            previous = last or GENESIS
            for e in entries:
                if e.centre_id == centre_id:
                    rows.append(linked(e, at, stamp, actor_ids[id(e.actor)], previous))
                    previous = rows[-1].hash
        ids: list[int] = []
        if connection.vendor != "postgresql":
            made = AuditEntry.objects.bulk_create(row.unsaved() for row in rows)
            ids = [entry.pk for entry in made]
        elif rows:
            ids = _insert(rows)
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
    return rows


@dataclass(slots=True)
class Appended:
    """An entry as it is stored, with its `before` and `after` as JSON text too (written as
    such, not encoded again for the database), and its id once inserted."""

    at: Any
    centre_id: int | None
    actor_id: int | None
    action: str
    subject: str
    before: Any
    after: Any
    previous_hash: str
    hash: str
    before_json: str | None
    after_json: str | None
    pk: int | None = None

    def unsaved(self) -> AuditEntry:
        return AuditEntry(**{column: getattr(self, column) for column in COLUMNS})

    def saved(self) -> AuditEntry:
        """The entry as read back from the database, without asking it."""
        assert self.pk is not None
        values = [self.pk if name == "id" else getattr(self, name) for name in FIELDS]
        return AuditEntry.from_db(connection.alias, FIELDS, values)


FIELDS = [field.attname for field in AuditEntry._meta.concrete_fields]
# The columns an entry is written with: all but its id.
COLUMNS = [name for name in FIELDS if name != "id"]


def linked(
    e: Entry, at: datetime.datetime, stamp: str, actor_id: int | None, previous: str
) -> Appended:
    """The entry as stored, following the entry whose hash is `previous`: its batch's time
    `at` (and as text, `stamp`) and its actor's id (read once a batch) given.

    Values plain JSON already (`is_json`: the usual summary of ids, words and flags) are each
    encoded once, canonically: that text is what is stored (PostgreSQL's jsonb keeps the value,
    not the text: the same value as from `encode_stored`'s text) and what the content hashed
    is made of (`canonical_content`), byte for byte the text `content_hash` encodes. Any other
    value is stored and hashed as `plain` reads it back, encoded again within the content."""
    before, after = e.before, e.after
    if is_json(before) and is_json(after):
        before_json = None if before is None else encode_canonical(before)
        after_json = None if after is None else encode_canonical(after)
        content = canonical_content(
            stamp, actor_id, e.action, e.subject, before_json or "null", after_json or "null",
            previous, e.centre_id,
        )  # fmt: skip
        if content is not None:
            digest = hashlib.sha256(content.encode()).hexdigest()
            return Appended(
                at, e.centre_id, actor_id, e.action, e.subject, before, after, previous, digest,
                before_json, after_json,
            )  # fmt: skip
    before, before_json = plain_and_json(before)
    after, after_json = plain_and_json(after)
    digest = content_hash(
        stamp, actor_id, e.action, e.subject, before, after, previous, e.centre_id
    )
    return Appended(
        at, e.centre_id, actor_id, e.action, e.subject, before, after, previous, digest,
        before_json, after_json,
    )  # fmt: skip


QUOTED = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def canonical_content(
    at: str,
    actor_id: int | None,
    action: str,
    subject: str,
    before_json: str,
    after_json: str,
    previous: str,
    centre_id: int | None,
) -> str | None:
    """What `content_hash` encodes (`encode_canonical` of the content: keys sorted, no spaces,
    ASCII), made around the canonical texts of `before` and `after` encoded already, so they
    are not encoded again; None for a content of other types than these (its texts, ids), left
    to `content_hash`."""
    if not (type(action) is type(subject) is type(previous) is type(at) is str):
        return None
    if not (actor_id is None or type(actor_id) is int):
        return None
    if not (centre_id is None or type(centre_id) is int):
        return None
    actor = "null" if actor_id is None else str(actor_id)
    centre = "" if centre_id is None else f',"centre":{centre_id}'
    return (
        f'{{"action":{QUOTED(action)},"actor":{actor},"after":{after_json},"at":{QUOTED(at)},'
        f'"before":{before_json}{centre},"previous":{QUOTED(previous)},'
        f'"subject":{QUOTED(subject)}}}'
    )


# One statement for any number of rows (as Django's bulk_create writes them on PostgreSQL, but
# with the JSON as the text already made, not encoded again one value at a time). Each column
# is one array literal (`array_literal`), not an array of one parameter a row: psycopg2 writes a
# list as ARRAY[...] of a constant each, some 1,300 for a countersignature's 149 entries, which
# PostgreSQL took about a millisecond more to parse and fold than the nine literals. The
# entries of a batch share their time, given once.
INSERT = " ".join(
    f"""
    INSERT INTO {AuditEntry._meta.db_table}
        (at, centre_id, actor_id, action, subject, before, after, previous_hash, hash)
    SELECT %s::timestamptz, * FROM UNNEST(
        %s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[],
        %s::text[]::jsonb[], %s::text[]::jsonb[], %s::varchar[], %s::varchar[]
    )
    RETURNING id
    """.split()
)


def _insert(rows: list[Appended]) -> list[int]:
    """Insert the rows in their order (so their ids follow it) and return their ids."""
    [at] = {r.at for r in rows}  # a batch's entries share their time (`audit_append_many`)
    params = [
        at,
        ids_literal([r.centre_id for r in rows]),
        ids_literal([r.actor_id for r in rows]),
        array_literal([r.action for r in rows]),
        array_literal([r.subject for r in rows]),
        array_literal([r.before_json for r in rows]),
        array_literal([r.after_json for r in rows]),
        array_literal([r.previous_hash for r in rows]),
        array_literal([r.hash for r in rows]),
    ]
    with connection.cursor() as cursor:
        cursor.execute(INSERT, params)
        return [pk for (pk,) in cursor.fetchall()]


NUL = "\x00"
# Stands for None in a column of texts: no JSON text holds it (the encoder writes every control
# character escaped, `\u0001`).
NONE = "\x01"


def array_literal(texts: list[str | None]) -> str:
    """A PostgreSQL array literal of these texts (None: NULL), made in a few calls whatever
    their number: joined by NUL, every backslash and double quote escaped, each NUL then the
    end of one quoted element and the start of the next. No text PostgreSQL stores holds a NUL:
    one in a text is refused, as psycopg2 refuses it. None stands as `NONE` in the joined text
    (each element on its own if a text holds it)."""
    if not texts:
        return "{}"
    nones = texts.count(None)
    given = [NONE if text is None else text for text in texts] if nones else texts
    joined = NUL.join(cast(list[str], given))
    if joined.count(NUL) != len(texts) - 1:
        raise ValueError("A string literal cannot contain NUL (0x00) characters.")
    if nones and joined.count(NONE) != nones:  # a text holds NONE: each element on its own
        return (
            "{" + ",".join("NULL" if t is None else array_literal([t])[1:-1] for t in texts) + "}"
        )
    escaped = joined.replace("\\", "\\\\").replace('"', '\\"').replace(NUL, '","')
    literal = '{"' + escaped + '"}'
    return literal.replace(f'"{NONE}"', "NULL") if nones else literal


def ids_literal(ids: list[int | None]) -> str:
    """A PostgreSQL array literal of these ids (None: NULL)."""
    return "{" + ",".join(map(str, ids)).replace("None", "NULL") + "}"


# The action of a seal: an entry naming entries of its chain whose content was redacted, each
# with the hash of what it holds now.
REDACTED = "audit.redacted"


def chain_order(centre_id: int | None) -> int:
    """Chains are locked in this order (the portal's first), so no two transactions wait on each
    other's."""
    return centre_id or 0


def audit_redact(
    *,
    changes: Sequence[tuple[AuditEntry, Any, Any]],
    actor: User | None,
    subject: str,
    after: dict[str, Any],
) -> list[AuditEntry]:
    """Give entries new content (`changes`: entry, before, after) with personal data taken out,
    and seal each chain touched with one entry that names them and the hash of their new content
    (with `after`'s facts beside). Returns the seals; none when nothing changed.

    An entry's own hash and link stay as they were, so the chain still links and any hash of it
    published elsewhere still stands; `audit_verify` accepts an entry whose content no longer
    matches its hash only when a later, intact entry of its chain seals exactly that content.
    Runs inside the caller's transaction, which then holds the chains touched until it ends."""
    sealed: dict[int | None, dict[str, str]] = {}
    with transaction.atomic():
        for centre_id in sorted({entry.centre_id for entry, _, _ in changes}, key=chain_order):
            lock_chain(centre_id)
        for entry, before, after_redaction in changes:
            entry.before, entry.after = plain(before), plain(after_redaction)
            entry.save(update_fields=["before", "after"])
            sealed.setdefault(entry.centre_id, {})[str(entry.pk)] = entry_hash(entry)
        return [
            audit_append(
                actor=actor,
                action=REDACTED,
                subject=subject,
                centre_id=centre_id,
                after={**after, "redacted": entries},
            )
            for centre_id, entries in sorted(sealed.items(), key=lambda item: chain_order(item[0]))
        ]


@dataclass(frozen=True)
class Break:
    entry_id: int
    reason: str


@dataclass(frozen=True)
class Verification:
    count: int  # entries checked
    broken: Break | None  # the first broken link, if any
    redacted: int  # entries whose content was redacted under a seal


EDITED = "its content no longer matches its hash (it was edited)"
UNLINKED = "it does not follow the entry before it (one was removed or altered)"


def seals_of(entry: AuditEntry) -> dict[int, str]:
    """What a seal names: each redacted entry's id and the hash of its content since."""
    named = entry.after.get("redacted") if isinstance(entry.after, dict) else None
    if not isinstance(named, dict):
        return {}
    return {int(pk): digest for pk, digest in named.items() if str(pk).isdigit()}


def audit_verify() -> tuple[int, Break | None]:
    """Walk every chain; return how many entries were checked and the first broken link."""
    verification = audit_verification()
    return verification.count, verification.broken


def audit_verification() -> Verification:
    """Walk every chain in one pass, keeping each chain's last hash.

    An entry whose content does not match its hash waits for a later entry of its chain to seal
    exactly what it holds now (`audit_redact`); one still waiting at the end was edited. The
    first broken link is the earliest entry that was edited or does not follow the one before."""
    previous: dict[int | None, str] = {}  # the last hash seen of each chain
    waiting: dict[int, tuple[int | None, str]] = {}  # entry: its chain and its content's hash
    unlinked: Break | None = None
    count = redacted = 0
    for entry in AuditEntry.objects.order_by("pk").iterator():
        count += 1
        if unlinked is None and entry.previous_hash != previous.get(entry.centre_id, GENESIS):
            unlinked = Break(entry.pk, UNLINKED)
        content = entry_hash(entry)
        if content != entry.hash:
            waiting[entry.pk] = (entry.centre_id, content)
        elif entry.action == REDACTED:
            for pk, sealed in seals_of(entry).items():
                if waiting.get(pk) == (entry.centre_id, sealed):
                    del waiting[pk]
                    redacted += 1
        previous[entry.centre_id] = entry.hash
    breaks = [Break(pk, EDITED) for pk in waiting] + ([unlinked] if unlinked else [])
    broken = min(breaks, key=lambda b: b.entry_id) if breaks else None
    return Verification(count, broken, redacted)
