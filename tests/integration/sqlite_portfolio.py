"""Run in a subprocess on the local default (SQLite, tasks in-process): the portfolio of
tests/integration/portfolio.py. Prints the ids the concurrent-request test needs as JSON.

    DJANGO_SETTINGS_MODULE=portal.settings PORTAL_VAR_DIR=/tmp/x python -m tests.integration.sqlite_portfolio
"""

from __future__ import annotations

import json

import django


def main() -> None:
    django.setup()
    from qualifications.models import Criterion
    from tests.catalogue import take_sfj_as_operational
    from tests.integration.portfolio import portfolio_made

    take_sfj_as_operational()  # the portfolio is on it, as in every test database
    made = portfolio_made()
    planned = made.registration.planned_units.values("unit_id")
    criteria = Criterion.objects.filter(unit__in=planned).order_by("pk")
    ids = {
        "registration": made.registration.pk,
        "evidence": made.evidence.pk,
        "assessor": made.assessor.email,
        "criteria": list(criteria.values_list("pk", flat=True)),
    }
    print(json.dumps(ids))


if __name__ == "__main__":
    main()
