# The registration the portfolio tests build on serves here too.
from qualifications.kept_units import UnitRows, read_units
from qualifications.models import Unit
from tests.portfolios.conftest import cvq_registration, registration, sfj

__all__ = ["cvq_registration", "registration", "sfj"]


def rows_of(code: str) -> UnitRows:
    """A unit's catalogue rows, as the unit page reads them."""
    unit = Unit.objects.get(code=code)
    return read_units([unit.pk])[unit.pk]
