"""Start-up stays light: Django set up and the URL configuration loaded (what every management
command's system checks, every web worker and every Celery worker do) import no heavy module.

WeasyPrint alone took about a third of a second to import (issue 17): it is imported where a PDF
is rendered. The check runs in a fresh interpreter, since this one has imported everything the
other tests needed; starting one makes it an integration test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.integration.conftest import ROOT

pytestmark = pytest.mark.integration

# Imported only where they are used: WeasyPrint (and its fonts) where a PDF is rendered, segno
# where a certificate's QR code is drawn, the Redis client when the cache is first used.
HEAVY = ("weasyprint", "fontTools", "segno", "redis")

PROGRAM = """
import json, sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # imports every app's views
import portal.celery, certification.tasks, iqa.tasks  # the tasks a worker registers
print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))
"""


def modules_at_start_up(environment: dict[str, str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("services", ["local", "real"])
def test_start_up_imports_no_heavy_module(services: str) -> None:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    if services == "local":  # SQLite and tasks in-process: the settings take another path
        environment.pop("DATABASE_URL", None)
        environment.pop("REDIS_URL", None)
    loaded = modules_at_start_up(environment)
    assert "django" in loaded and "portal" in loaded  # the program really ran
    assert sorted(loaded.intersection(HEAVY)) == []
