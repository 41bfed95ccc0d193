"""Queries compiled once per process and run again with other values.

A page's busiest reads are the same query each time with other ids (the user, the centre):
Django building the queryset (filters, subqueries, their aliases relabelled) and compiling it
cost several times what PostgreSQL spends running it. `compiled_once` builds the queryset once
with markers in place of the values, keeps its SQL and the converters of its columns, and runs
that SQL with the real values put where the markers were: the same SQL the ORM writes, the
rows as `values_list` gives them. Only ids are put this way, single or in lists (one SQL per
length of list), so the SQL is the same whatever they are."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Model, QuerySet

from portal.lookups import id_array

# Markers stand for the values: numbers no id ever is, each found among the query's parameters.
MARKER_BASE = -(10**15)
NEAR = 10**6

M = TypeVar("M", bound=Model)


def marker(slot: int) -> int:
    return MARKER_BASE - slot


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: tuple[Any, ...]
    # (position in params, which value, or which values for an array)
    slots: tuple[tuple[int, int | list[int]], ...]
    compiler: Any
    converters: dict[int, Any]

    def rows(self, *values: Any) -> list[tuple[Any, ...]]:
        params = list(self.params)
        for position, slot in self.slots:
            if isinstance(slot, int):
                params[position] = values[slot]
            else:  # a list is an array only on PostgreSQL (`one_of`), sent as its literal
                params[position] = id_array([values[s] for s in slot])
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            found = cursor.fetchall()
        if self.converters:
            return [tuple(row) for row in self.compiler.apply_converters(found, self.converters)]
        return found


# The ids a column can hold (a bigint's range, as `IntegerField` checks it).
BIGINT = (-(2**63), 2**63 - 1)

# Compiled queries kept per decorated function, the least recently used dropped first: each
# holds its SQL, compiler and query (about 100 KB), and a function of lists has one per shape.
SHAPES_KEPT = 32


def padded(ids: Sequence[int]) -> list[int]:
    """`ids` made up to the next power of two in length by repeating the last: the same `IN`
    (or `= ANY`) for the query, so lists of 5 to 8 ids share one compiled query, and the
    lengths of a caseload's lists make a handful of shapes, not one per length."""
    if not ids:
        return list(ids)
    size = 1 << (len(ids) - 1).bit_length()
    return [*ids, *[ids[-1]] * (size - len(ids))]


def compiled_once(build: Callable[..., QuerySet[Any]]) -> Callable[..., list[tuple[Any, ...]]]:
    """Decorate a function of ids (each argument an id, or a list of ids) that returns a
    `values_list` queryset: the decorated function returns its rows, from SQL compiled once per
    process, database vendor and length of each list (made up to a power of two: `padded`;
    the last `SHAPES_KEPT` shapes kept). The function must use its arguments only as values
    the query compares with (`=`, `IN`), where an id given twice is the same as once."""
    return _compiled(build, paged=False)


def compiled_page_once(
    build: Callable[..., QuerySet[Any]],
) -> Callable[..., list[tuple[Any, ...]]]:
    """`compiled_once` for one page of an ordered list: the decorated function is called with
    the ids, then the offset of the page's first row and the most rows to read
    (`rows(centre, first, size)`), which the SQL takes as parameters of its `LIMIT %s OFFSET
    %s` (as PostgreSQL and SQLite both do), so every page runs the one compiled SQL. The
    queryset must be ordered (with something unique last, so pages never overlap) and not
    sliced; a page past the end has no rows."""
    return _compiled(build, paged=True)


# The furthest a page may start, and the most rows it may read: a bigint's, which both databases
# take (an offset further finds nothing there either).
PAGED = (0, 2**63 - 1)


def _compiled(
    build: Callable[..., QuerySet[Any]], paged: bool
) -> Callable[..., list[tuple[Any, ...]]]:
    @functools.lru_cache(maxsize=SHAPES_KEPT)
    def compile_for(vendor: str, shape: tuple[int | None, ...]) -> Compiled | None:
        count = sum(1 if n is None else n for n in shape)
        markers = iter([marker(slot) for slot in range(count)])
        given = [next(markers) if n is None else [next(markers) for _ in range(n)] for n in shape]
        query = build(*given).query
        if paged and (
            query.is_sliced or query.select_for_update or query.combinator or not query.order_by
        ):
            raise ValueError(f"{build.__qualname__}: a page of an ordered list, not sliced")
        compiler = query.get_compiler(connection=connection)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # an empty list: no row
            return None

        def is_marker(value: Any) -> bool:
            return type(value) is int and MARKER_BASE - count < value <= MARKER_BASE

        def near(value: Any) -> bool:  # a marker changed on its way (an id + 1, say)
            return type(value) is int and MARKER_BASE - count - NEAR <= value <= MARKER_BASE + NEAR

        found: list[tuple[int, int | list[int]]] = []
        for position, value in enumerate(params):
            if is_marker(value):
                found.append((position, MARKER_BASE - value))
            elif isinstance(value, list) and value and all(is_marker(v) for v in value):
                found.append((position, [MARKER_BASE - v for v in value]))  # an array (`one_of`)
            elif near(value) or (isinstance(value, list) and any(near(v) for v in value)):
                raise ValueError(f"{build.__qualname__}: a value is not compared with as it is")
        # Written into the SQL rather than sent as a parameter: the SQL would keep the marker.
        if str(-MARKER_BASE)[:-3] in sql:
            raise ValueError(f"{build.__qualname__}: a value is written into the SQL")
        params = list(params)
        if paged:
            # Where the ORM writes a slice's LIMIT and OFFSET (after the ORDER BY, nothing after
            # it when the query is not a subquery and locks nothing), as parameters: the two
            # values after the ids.
            sql += " LIMIT %s OFFSET %s"
            found += [(len(params), count + 1), (len(params) + 1, count)]
            params += [None, None]
        # A value may be missing: a condition the list's length emptied (`x IN ()` in an OR),
        # which is the same for any values of that length.
        columns = [expression for expression, _, _ in compiler.select]
        converters = compiler.get_converters(columns)
        return Compiled(sql, tuple(params), tuple(found), compiler, converters)

    @functools.wraps(build)
    def rows(*values: int | Sequence[int]) -> list[tuple[Any, ...]]:
        if paged:
            *values, first, size = values  # type: ignore[assignment]
            if not all(type(v) is int and PAGED[0] <= v <= PAGED[1] for v in (first, size)):
                raise ValueError(f"{build.__qualname__}: no page at {first!r} of {size!r} rows")
        for value in values:
            # An id as text ("12") would be read as a list of its characters.
            if isinstance(value, (str, bytes)) or not isinstance(value, (int, Sequence)):
                raise TypeError(f"{build.__qualname__}: an id or a list of ids, not {value!r}")
        values = tuple(v if isinstance(v, int) else padded(v) for v in values)
        shape = tuple(None if isinstance(v, int) else len(v) for v in values)
        flat = [v for value in values for v in ([value] if isinstance(value, int) else value)]
        if not all(BIGINT[0] <= v <= BIGINT[1] for v in flat):
            # No row has it (an id from an address, say): the ORM's lookup finds nothing for a
            # number no column holds, where the database would refuse it (SQLite: a 500).
            return []
        compiled = compile_for(connection.vendor, shape)
        if compiled is None:
            return []
        return compiled.rows(*flat, first, size) if paged else compiled.rows(*flat)

    rows.compile_for = compile_for  # type: ignore[attr-defined]
    return rows


def from_row(model: type[M], names: tuple[str, ...], values: Sequence[Any]) -> M:
    """A model object from the values of some of its fields (`names`, attribute names), as
    `.only()` loads one: `Model.from_db` takes them in the model's order of fields, which is
    checked once per model and names."""
    in_model_order(model, names)
    return model.from_db(connection.alias, names, values)


@functools.cache
def in_model_order(model: type[Model], names: tuple[str, ...]) -> None:
    """Refuse (ValueError) attribute names not in the order of the model's fields, the order
    `Model.from_db` takes values in; `from_row` and `portal.made.makes` both ask."""
    fields = [f.attname for f in model._meta.concrete_fields]
    places = [fields.index(name) for name in names]
    if places != sorted(places):
        raise ValueError(f"{model.__name__}: {names} not in the order of the model's fields")
