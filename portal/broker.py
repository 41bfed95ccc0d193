"""Sending tasks to the workers from a request, which must answer whatever the broker does.

With Redis down a publish fails at once; with Redis hung (stopped, or cut off without the
connection being closed) it fails after the transport's timeouts (`REDIS_TIMEOUT` in the
settings: about six seconds in all, two tries). Either way the caller carries on: a document
stays pending for its sweep, an e-mail is sent in-process. After a failure this process sends
nothing for `PAUSE` seconds, so that a claim of thirty certificates waits for the broker once,
not thirty times; what it would have sent is left to the same fallbacks.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from celery import Task
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)

# What a publish raises when the broker cannot be reached or does not answer in time.
BROKER_DOWN = (OperationalError, OSError)
PAUSE = 30.0

_lock = threading.Lock()
_down_until = 0.0


def broker_paused() -> bool:
    """Whether a publish failed in this process less than PAUSE seconds ago."""
    return time.monotonic() < _down_until


def _pause() -> None:
    global _down_until
    with _lock:
        _down_until = time.monotonic() + PAUSE


def publish(task: Task, *args: Any) -> bool:  # type: ignore[type-arg]
    """Send `task(*args)` to the workers; False, never an exception, when the broker cannot
    take it. (Where tasks run in-process, the local default, the task runs now.) The arguments
    are not logged: an e-mail's carry its links."""
    eager = task.app.conf.task_always_eager
    if not eager and broker_paused():
        return False
    try:
        task.delay(*args)
    except BROKER_DOWN as error:
        if not eager:
            _pause()
        log.warning("%s not sent: the broker is unavailable (%s)", task.name, error)
        return False
    return True


def send_or_run(task: Task, *args: Any) -> None:  # type: ignore[type-arg]
    """Send `task(*args)` to the workers; where there are none (the local default) or the broker
    cannot take it, run it here and now, once. Its failure is logged, never raised: the caller's
    work is already saved."""
    if not task.app.conf.task_always_eager and publish(task, *args):
        return
    try:
        task(*args)
    except Exception:
        log.exception("%s failed, run in-process", task.name)
