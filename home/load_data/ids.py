"""Ids for the generated rows, given before anything is written, because rows refer to each
other (and audit entries name them) while a centre is being made.

On PostgreSQL they come from each table's own sequence, in blocks: a short transaction moves
the sequence past a block while the table takes no inserts (`LOCK TABLE`), so whoever writes
to the table meanwhile, the portal or another generating process, never gets one of them, and
nothing is held while the centre is made and written. Elsewhere (SQLite, one writer at a time)
they follow on from each table's largest id.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Model

# A table's first block is one id; each next one twice the last, up to this. The ids left over
# in a process's last block of a table (fewer than it used) are a gap in the table's ids.
LARGEST_BLOCK = 65536


def table_name(model: type[Model]) -> str:
    return str(model._meta.db_table)


class IdSource:
    def next(self, model: type[Model]) -> int:
        raise NotImplementedError


class SequenceBlocks(IdSource):
    """PostgreSQL: blocks of ids taken from the tables' sequences (see the module's note)."""

    def __init__(self) -> None:
        self.blocks: dict[type[Model], list[int]] = {}  # [next id, last id of the block]
        self.sizes: dict[type[Model], int] = defaultdict(lambda: 1)

    def next(self, model: type[Model]) -> int:
        block = self.blocks.get(model)
        if block is None or block[0] > block[1]:
            block = self.blocks[model] = self.reserve(model)
        block[0] += 1
        return block[0] - 1

    def reserve(self, model: type[Model]) -> list[int]:
        first, size = model not in self.blocks, self.sizes[model]
        self.sizes[model] = min(size * 2, LARGEST_BLOCK)
        table = table_name(model)
        # The first time, past every id in the table too, in case rows were given ids by hand
        # and the sequence was left behind; after that the sequence is past them.
        start_at = f"GREATEST(nextval(%s), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}))"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute(f"SELECT {start_at if first else 'nextval(%s)'}", [sequence])
            start = int(cursor.fetchone()[0])
            cursor.execute("SELECT setval(%s, %s)", [sequence, start + size - 1])
        return [start, start + size - 1]


class Counters(IdSource):
    """One writer at a time (SQLite): each table's next id after its largest."""

    def __init__(self) -> None:
        self.last: dict[type[Model], int] = {}

    def next(self, model: type[Model]) -> int:
        if model not in self.last:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table_name(model)}")
                self.last[model] = int(cursor.fetchone()[0])
        self.last[model] += 1
        return self.last[model]


def id_source() -> IdSource:
    return SequenceBlocks() if connection.vendor == "postgresql" else Counters()


class Ids:
    """The ids one centre's rows were given, as ranges per table (to check them afterwards)."""

    def __init__(self, source: IdSource) -> None:
        self.source = source
        self.ranges: dict[type[Model], list[list[int]]] = defaultdict(list)

    def next(self, model: type[Model]) -> int:
        pk = self.source.next(model)
        ranges = self.ranges[model]
        if ranges and ranges[-1][1] == pk - 1:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
        return pk
