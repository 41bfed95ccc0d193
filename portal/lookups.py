"""`one_of("pk", ids)`: a filter on many ids sent as one array (PostgreSQL's `= ANY(%s)`).

Django's `pk__in=ids` prepares, checks and places each id of the list one at a time in Python,
which for the hundreds of ids of a bulk countersignature cost more than the rest of the
queries' Python; the database plans both the same way (it reads an IN list as `= ANY`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import F, Lookup


class OneOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "one_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return self.rhs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, params = compiler.compile(self.lhs)
        if connection.vendor == "postgresql":
            array = f"{self.lhs.output_field.cast_db_type(connection)}[]"
            return f"{lhs} = ANY(%s::{array})", (*params, self.rhs)
        if not self.rhs:
            return "1 = 0", tuple(params)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", (*params, *self.rhs)


def id_array(ids: Sequence[int]) -> str:
    """PostgreSQL's literal of an array of ids (`{1,2,3}`), to send as one parameter: psycopg2
    writes a list as ARRAY[1, 2, 3], a constant a value for PostgreSQL to parse and fold (0.2 ms
    a query for the 149 ids of a countersignature, more than the query's own index scan).
    `portal.compiled` sends `one_of`'s lists so."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"


def one_of(field: str, ids: Iterable[int]) -> OneOf:
    """A filter: `field` is one of `ids` (for `.filter()`, like `field__in=ids`)."""
    return OneOf(F(field), [int(pk) for pk in ids])
