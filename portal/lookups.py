"""`one_of("pk", ids)`: a filter on many ids sent as one array (PostgreSQL's `= ANY(%s)`).

Django's `pk__in=ids` prepares, checks and places each id of the list one at a time in Python,
which for the hundreds of ids of a bulk countersignature cost more than the rest of the
queries' Python; the database plans both the same way (it reads an IN list as `= ANY`)."""

from __future__ import annotations

from collections.abc import Iterable
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


def one_of(field: str, ids: Iterable[int]) -> OneOf:
    """A filter: `field` is one of `ids` (for `.filter()`, like `field__in=ids`)."""
    return OneOf(F(field), [int(pk) for pk in ids])
