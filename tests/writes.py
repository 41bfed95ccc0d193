"""Seeing whether a request wrote anything to the database, cheaply enough to ask after every
request of the permission matrix and the junk tests.

Triggers on every table note each row inserted, updated or deleted in a temporary table; a
write that the request itself rolled back (a refusal inside `transaction.atomic`) takes its
note with it, so what is counted is what the request really changed. Row counts alone would
miss an update; the triggers see it. They are created inside the caller's transaction and go
when it is rolled back.

What is not watched, and why (`NOT_WATCHED`): sessions, which logging in and out write and the
idle timeout renews (portal.sessions); and django-axes' records of login attempts, which every
failed login writes by design, whatever else it is refused (that is how throttling counts:
portal.throttle). Only logging in writes them. And the claim readiness the centre admin's pages
keep (portfolios.ClaimReadiness, decision 19): a page that finds it out of date works it out
again and stores it, a copy of what the records say, never a record itself. Every other table
is watched, so a refusal that wrote anything else, anywhere, is still seen.

One write a GET may make, by design: an external quality assurer's page views are audited,
an entry per view (decision 29). Those audit entries (action `eqa.viewed`, which nothing else
writes) are taken off what `written` reports; any other audit entry is still counted.
"""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.models import Session
from django.db import connection

from portal.models import AuditEntry
from portfolios.models import ClaimReadiness

NOT_WATCHED = {
    Session._meta.db_table,
    *(model._meta.db_table for model in (AccessAttempt, AccessFailureLog, AccessLog)),
    ClaimReadiness._meta.db_table,
}
JOURNAL = "test_writes"
VIEW_AUDITED = "eqa.viewed"
_views_before: list[int] = []


def watch_writes() -> None:
    """Create the triggers (inside the current transaction, which must be rolled back)."""
    _views_before[:] = [views_audited()]
    tables = [t for t in connection.introspection.table_names() if t not in NOT_WATCHED]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"CREATE TEMP TABLE {JOURNAL} (name TEXT)")
            for table in tables:
                for event in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(
                        f'CREATE TEMP TRIGGER "{JOURNAL}_{table}_{event}" AFTER {event} '
                        f'ON main."{table}" FOR EACH ROW BEGIN '
                        f"INSERT INTO {JOURNAL} (name) VALUES ('{table}'); END"
                    )
        else:
            cursor.execute(f"CREATE TEMP TABLE {JOURNAL} (name TEXT)")
            cursor.execute(
                "CREATE FUNCTION pg_temp.test_note_write() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN INSERT INTO {JOURNAL} (name) VALUES (TG_TABLE_NAME); "
                "RETURN NULL; END $$"
            )
            for table in tables:
                cursor.execute(
                    f'CREATE TRIGGER "{JOURNAL}" AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                    "FOR EACH ROW EXECUTE FUNCTION pg_temp.test_note_write()"
                )


def written() -> list[str]:
    """The tables written so far in this transaction, one name per row changed (less the
    audit entries of an EQA's page views: see the module's docstring)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name FROM {JOURNAL}")
        names = [name for (name,) in cursor.fetchall()]
    for _ in range(views_audited() - (_views_before[0] if _views_before else 0)):
        names.remove(AuditEntry._meta.db_table)
    return names


def views_audited() -> int:
    return AuditEntry.objects.filter(action=VIEW_AUDITED).count()
