import os
import socket

from celery import shared_task
from django.db import connection

from portal.models import Centre


@shared_task(time_limit=30, soft_time_limit=20)
def report_worker_health() -> dict[str, object]:
    """Say what the worker sees, so operators and tests can confirm it reaches the database.

    It answers with the database engine in use, the number of centres there and which process
    answered; the process lets a caller prove the task ran in a worker rather than in-process.
    """
    return {
        "database": connection.vendor,
        "centres": Centre.objects.count(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
