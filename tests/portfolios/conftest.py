import datetime

import pytest

from qualifications.models import Qualification

SFJ = "SFJ-L2-CS"
SFJ_ENOUGH = ["SFJ-CS2-07", "K/503/0421", "T/506/2126"]  # 5 + 7 + 3 = 15 optional credits
START = datetime.date(2026, 9, 1)


@pytest.fixture
def sfj(catalogue_db) -> Qualification:
    return Qualification.objects.get(code=SFJ)
