"""Model objects read by SQL compiled once per process (`portal.compiled`).

`compiled_once` gives rows as `values_list` does. A page that opens one object with what it
joins (`select_related`) and annotates needs the objects themselves, made as a queryset makes
them; building and compiling that queryset (seven tables joined) cost the review page and
every page of a registration some 5,000 Python calls, for a row PostgreSQL reads by its id.
`objects_once` keeps the compiled query and makes the objects from its rows with Django's own
machinery (`Model.from_db`, the related populators of `select_related`, the annotations), as
`ModelIterable` does."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

from portal.compiled import Compiled, compiled_once, padded

# id of a compiled query -> (that query, how its rows become objects). A `Compiled` is not
# hashable (it holds dicts); its identity is checked, since an id may be reused once the query
# is dropped (`compiled_once` keeps a bounded number).

_makers: dict[int, tuple[Compiled, Callable[[tuple[Any, ...]], Model]]] = {}
MAKERS_KEPT = 64


def _maker(compiled: Compiled) -> Callable[[tuple[Any, ...]], Model]:
    """How a row of the compiled query becomes its object, worked out once per query."""
    kept = _makers.get(id(compiled))
    if kept is not None and kept[0] is compiled:
        return kept[1]
    if len(_makers) >= MAKERS_KEPT:
        _makers.clear()
    make = _make(compiled)
    _makers[id(compiled)] = (compiled, make)
    return make


def _make(compiled: Compiled) -> Callable[[tuple[Any, ...]], Model]:
    compiler = compiled.compiler
    select, klass_info = compiler.select, compiler.klass_info
    annotations = list((compiler.annotation_col_map or {}).items())
    model = klass_info["model"]
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    names = [f[0].target.attname for f in select[start:end]]
    alias = connection.alias
    # As `ModelIterable` makes them once for all its rows: a populator keeps nothing of a row.
    populators = get_related_populators(klass_info, select, alias)  # type: ignore[call-arg]

    def make(row: tuple[Any, ...]) -> Model:
        obj = model.from_db(alias, names, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, at in annotations:
            setattr(obj, name, row[at])
        return obj

    return make


def objects_once(build: Callable[..., QuerySet[Any]]) -> Callable[..., list[Any]]:
    """Decorate a function of ids (each an id or a list of ids, as `compiled_once` takes them)
    returning a queryset of model objects (with `select_related` and annotations; not
    `values`, `prefetch_related`, `defer` or `only`): the decorated function returns the
    queryset's objects, read by its SQL compiled once per process (`compiled_once`), made as
    the queryset would make them."""
    rows = compiled_once(build)

    @functools.wraps(build)
    def objects(*ids: int | Sequence[int]) -> list[Any]:
        found = rows(*ids)  # nothing for an id no column holds, as the ORM's lookup
        if not found:
            return []
        # The shape `compiled_once` compiled for (a list made up to a power of two: `padded`).
        shape = tuple(None if isinstance(v, int) else len(padded(v)) for v in ids)
        compiled = rows.compile_for(connection.vendor, shape)  # type: ignore[attr-defined]
        make = _maker(compiled)
        return [make(row) for row in found]

    return objects
