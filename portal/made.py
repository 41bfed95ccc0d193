"""Model objects made from rows by the dozen, as `Model.from_db` makes them, in a few calls.

`from_db` makes an object of some fields (`.only()`, `portal.compiled.from_row`) through
`Model.__init__`: the signals sent before and after, a pass over every field of the model
(setting each loaded one, skipping the deferred) and its state; some 60 Python calls an object.
A caseload of 50 learners made its registrations so for some 3,000 of the home page's calls.
`makes` gives the same object, its loaded fields in its `__dict__` in the model's order, the
others deferred, its state saying it came from the database: what `from_db` leaves, without the
pass over the fields. Where something would make `from_db` do more (a receiver of either
signal, a model's own `from_db`), it is `from_db` that makes them.
tests/portal/test_made.py holds the two to the same objects."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from portal.compiled import from_row, in_model_order

M = TypeVar("M", bound=Model)


def makes(model: type[M], names: tuple[str, ...]) -> Callable[[Sequence[Any]], M]:
    """A function making `model` objects from the values of `names` (attribute names, in the
    model's order of fields), as `from_row` (`Model.from_db`) makes them. Asked once for a
    batch of rows: whether anything listens to the model's signals is looked at then."""
    if (
        model.from_db.__func__ is not Model.from_db.__func__  # type: ignore[attr-defined]
        or pre_init.has_listeners(model)
        or post_init.has_listeners(model)
    ):
        return lambda values: from_row(model, names, values)
    in_model_order(model, names)  # as from_row checks them
    alias = connection.alias
    new = model.__new__

    def make(values: Sequence[Any]) -> M:
        state = ModelState()
        state.adding = False
        state.db = alias
        made = new(model)
        fields = made.__dict__
        fields["_state"] = state
        fields.update(zip(names, values, strict=True))
        return made

    return make
