"""The retention period must not undercut what the domain requires."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

# DOMAIN: records are kept at least 3 years after certification.
MINIMUM_YEARS = 3


@register()
def retention_period_is_long_enough(**kwargs: Any) -> list[CheckMessage]:
    years = settings.RETENTION_YEARS
    if isinstance(years, int) and not isinstance(years, bool) and years >= MINIMUM_YEARS:
        return []
    return [
        Error(
            f"RETENTION_YEARS is {years!r}: records are kept at least {MINIMUM_YEARS} years after "
            "certification, so it must be a whole number of years, 3 or more.",
            id="privacy.E001",
        )
    ]
