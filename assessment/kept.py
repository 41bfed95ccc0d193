"""The decided work kept for the IQA (`DecidedWork`): written again from the current decisions
of the registrations a service touched, in one DELETE and one INSERT ... SELECT, whatever the
number of decisions."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.db import connection
from django.db.models import Field, Model

from assessment.models import DecidedWork, Decision
from qualifications.models import Criterion, KnowledgeItem, RangeItem


def keep_decided_work(
    registrations: Iterable[int],
    deciders: Iterable[int] | None = None,
    units: Iterable[int] | None = None,
) -> int:
    """Write the kept work of these registrations again from their current decisions, and say
    how many lines they have. Called by every service that changes which decisions are current
    or who countersigned them, inside its transaction, after it has locked the registrations.

    With `deciders` (and `units`), only the lines of those people's decisions (on items of
    those units) on these registrations, and the count said is of those: a line is one of its
    decider's decisions on one unit, so a service that changed only decisions by these people
    on these units (countersigning a trainee's, returning one) leaves every other line as it
    was, and need not write the other lines of the same registrations again. The same
    condition deletes and fills, so whatever lines it names are written again exactly from the
    decisions, as `fill_decided_work` would write them."""
    ids = sorted(set(registrations))
    by = sorted(set(deciders)) if deciders is not None else []
    of = sorted(set(units)) if units is not None else []
    if not ids or (deciders is not None and not by) or (units is not None and not of):
        return 0
    found, params = names(), [*ids, *by, *of]
    fill = fill_sql(lines(DECISIONS, ids, by, of).format(**found))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The old lines deleted and the new written in one statement: the DELETE sees only
            # the lines there before the statement, the INSERT reads the decisions alone.
            named = lines(KEPT, ids, by, of).format(**found)
            gone = f"WITH gone AS (DELETE FROM {found['kept']} WHERE {named}) "
            cursor.execute(gone + fill, [*params, *params])
            return cursor.rowcount
        old = DecidedWork.objects.filter(registration_id__in=ids)
        old = old.filter(decided_by_id__in=by) if by else old
        (old.filter(unit_id__in=of) if of else old).delete()
        cursor.execute(fill, params)
        return cursor.rowcount


# The unit of a decision's item, in `FILL` (`unit_of_item` as SQL: an item is exactly one of
# the three).
UNIT_OF_ITEM = "COALESCE(c.{criterion_unit}, r.{range_item_unit}, k.{knowledge_item_unit})"
# A line's registration, decider and unit: in the kept table, and in `FILL`'s decisions.
KEPT = ("{k_registration}", "{k_decided_by}", "{k_unit}")
DECISIONS = ("d.{d_registration}", "d.{d_decided_by}", UNIT_OF_ITEM)


def lines(columns: tuple[str, str, str], ids: list[int], by: list[int], of: list[int]) -> str:
    """The condition naming the lines of these registrations (and deciders, units, if any)."""
    return " AND ".join(
        f"{column} IN ({', '.join(['%s'] * len(values))})"
        for column, values in zip(columns, (ids, by, of), strict=True)
        if values
    )


def fill_decided_work() -> None:
    """Fill the kept work of every registration from its current decisions (what
    `generate_load_data` writes in bulk; the migration does the same)."""
    DecidedWork.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(fill_sql("1 = 1"))


def fill_sql(where: str) -> str:
    return FILL.format(**names(), where=where)


@functools.cache
def names() -> dict[str, str]:
    """The tables and columns `FILL` names, quoted, as the models give them."""
    quote = connection.ops.quote_name
    items = {"criterion": Criterion, "range_item": RangeItem, "knowledge_item": KnowledgeItem}
    found = {
        "kept": quote(DecidedWork._meta.db_table),
        "decision": quote(Decision._meta.db_table),
        **{f"{name}_table": quote(model._meta.db_table) for name, model in items.items()},
        **{f"{name}_id": column(model) for name, model in items.items()},
        **{f"{name}_unit": column(model, "unit") for name, model in items.items()},
    }
    for name in (
        "registration",
        "criterion",
        "range_item",
        "knowledge_item",
        "decided_by",
        "countersigned_by",
        "method",
        "assessed_on",
        "current",
    ):
        found[f"d_{name}"] = column(Decision, name)
    for name in ("registration", "unit", "decided_by", "countersigned_by", "method"):
        found[f"k_{name}"] = column(DecidedWork, name)
    found["k_assessed_on"] = column(DecidedWork, "assessed_on")
    return found


def column(model: type[Model], field: str | None = None) -> str:
    found = model._meta.get_field(field) if field else model._meta.pk
    assert isinstance(found, Field) and found.column
    return connection.ops.quote_name(found.column)


# The distinct lines of current decisions, each with the unit of its item (`unit_of_item` as
# SQL: an item is exactly one of the three). Written as SQL: INSERT ... SELECT, no row read
# into Python.
FILL = (
    "INSERT INTO {kept} ({k_registration}, {k_unit}, {k_decided_by}, {k_countersigned_by}, "
    "{k_method}, {k_assessed_on}) "
    "SELECT DISTINCT d.{d_registration}, "
    f"{UNIT_OF_ITEM}, "
    "d.{d_decided_by}, d.{d_countersigned_by}, d.{d_method}, d.{d_assessed_on} "
    "FROM {decision} d "
    "LEFT JOIN {criterion_table} c ON c.{criterion_id} = d.{d_criterion} "
    "LEFT JOIN {range_item_table} r ON r.{range_item_id} = d.{d_range_item} "
    "LEFT JOIN {knowledge_item_table} k ON k.{knowledge_item_id} = d.{d_knowledge_item} "
    "WHERE d.{d_current} AND {where}"
)
