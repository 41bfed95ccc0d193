"""The indexes of a decision that no read uses are not there (decision 81): a countersignature
updates every decision it confirms, and each index of the table took an entry a row."""

from django.db import connection

from assessment.models import Decision


def indexed_columns() -> set[tuple[str, ...]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Decision._meta.db_table)
    return {tuple(c["columns"]) for c in found.values() if c["index"] and not c["unique"]}


def test_a_decision_has_no_index_of_who_countersigned_or_returned_it(db):
    columns = indexed_columns()
    for gone in ("countersigned_by_id", "returned_by_id"):
        assert (gone,) not in columns
    # Those that reads use stay.
    for kept in ("registration_id", "decided_by_id", "criterion_id", "range_item_id"):
        assert (kept,) in columns
