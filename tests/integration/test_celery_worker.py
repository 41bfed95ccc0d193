import os

import pytest
from django.conf import settings

from portal.tasks import report_worker_health
from tests.factories import CentreFactory


@pytest.mark.django_db(transaction=True)
def test_a_task_sent_through_redis_runs_in_a_real_worker_that_reads_postgresql(celery_worker):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    CentreFactory.create_batch(3)

    result = report_worker_health.delay()
    answer = result.get(timeout=60)

    assert answer["database"] == "postgresql"
    # The worker sees the three centres committed by this test in the test database.
    assert answer["centres"] == 3
    # And it is another process: the task did not run here, in eager mode.
    assert answer["pid"] != os.getpid()
