#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(sys.argv)
    except DatabaseError as error:
        # A database not there or not migrated is said in a sentence, not a traceback
        # (`portal.database_state`); any other database error is raised as it was.
        from portal.database_state import what_is_wrong

        if said := what_is_wrong(error, migrating=sys.argv[1:2] == ["migrate"]):
            sys.exit(said)
        raise


if __name__ == "__main__":
    main()
