"""What the database keeps as made, and the one deliberate way past it.

On PostgreSQL, triggers (migration 0008) refuse any change to a witness's signed testimony, the
evidence made from it and its files. Erasing a learner's personal data at the end of the
retention period must still reach them; it says so for its own transaction, and for no other.
"""

from __future__ import annotations

from django.db import connection, transaction


def erasing_personal_data() -> None:
    """Let this transaction anonymise signed testimony (the retention run, and nothing else).
    `SET LOCAL` ends with the transaction, so the permission cannot outlive it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Erasure is allowed inside a transaction only.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL portal.erasing_personal_data = 'on'")
