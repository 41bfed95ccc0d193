#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except Exception as error:
        # A database not there or not migrated is said in a sentence, not a traceback
        # (`portal.database_state`); any other error is raised as it was.
        from portal.database_state import database_error_in, what_is_wrong

        found = database_error_in(error)
        migrating = sys.argv[1:2] == ["migrate"]
        if found is not None and (said := what_is_wrong(found, migrating=migrating)):
            sys.exit(said)
        raise


if __name__ == "__main__":
    main()
