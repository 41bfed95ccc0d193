# The registration the portfolio tests build on serves here too.
from tests.portfolios.conftest import registration, sfj

__all__ = ["registration", "sfj"]
