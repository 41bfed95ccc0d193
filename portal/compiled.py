"""Queries compiled once per process and run again with other values.

A page's busiest reads are the same query each time with other ids (the user, the centre):
Django building the queryset (filters, subqueries, their aliases relabelled) and compiling it
cost several times what PostgreSQL spends running it. `compiled_once` builds the queryset once
with markers in place of the values, keeps its SQL and the converters of its columns, and runs
that SQL with the real values put where the markers were: the same SQL the ORM writes, the
rows as `values_list` gives them. Only single values (ids, not lists of them) are put this way,
so the SQL is the same whatever they are."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

# Markers stand for the values: numbers no id ever is, each found among the query's parameters.
MARKER_BASE = -(10**15)


def marker(slot: int) -> int:
    return MARKER_BASE - slot


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position in params, which value)
    compiler: Any
    converters: dict[int, Any]

    def rows(self, *values: Any) -> list[tuple[Any, ...]]:
        params = list(self.params)
        for position, slot in self.slots:
            params[position] = values[slot]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            found = cursor.fetchall()
        if self.converters:
            return [tuple(row) for row in self.compiler.apply_converters(found, self.converters)]
        return found


def compiled_once(build: Callable[..., QuerySet[Any]]) -> Callable[..., list[tuple[Any, ...]]]:
    """Decorate a function of single values (ids) that returns a `values_list` queryset: the
    decorated function returns its rows, from SQL compiled once per process and database
    vendor. The function must use its arguments only as values the query compares with."""

    @functools.cache
    def compile_for(vendor: str, count: int) -> Compiled:
        query = build(*(marker(slot) for slot in range(count))).query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots = tuple(
            (position, MARKER_BASE - value)
            for position, value in enumerate(params)
            if type(value) is int and MARKER_BASE - count < value <= MARKER_BASE
        )
        if {slot for _, slot in slots} != set(range(count)):
            raise ValueError(f"{build.__qualname__}: a value is not compared with as it is")
        columns = [expression for expression, _, _ in compiler.select]
        converters = compiler.get_converters(columns)
        return Compiled(sql, tuple(params), slots, compiler, converters)

    @functools.wraps(build)
    def rows(*values: int) -> list[tuple[Any, ...]]:
        return compile_for(connection.vendor, len(values)).rows(*values)

    rows.compile_for = compile_for  # type: ignore[attr-defined]
    return rows
