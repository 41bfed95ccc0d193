"""schemathesis against the live API (decision 57): gunicorn on PostgreSQL serving a world of two
centres (tests/world.py), and schemathesis reading the OpenAPI document the server publishes and
sending every operation valid and invalid inputs with a valid token of one centre: no answer is a
500, every answer matches the document (status, content type, headers, body), invalid input is
refused with a 4xx, and a call without the token is refused."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from django.test import override_settings

from tests.catalogue import load_test_world
from tests.integration.conftest import ROOT
from tests.integration.served import gunicorn
from tests.world import build_world

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "ignored_auth",
    ]
)
METHODS = {"get", "post", "put", "patch", "delete"}
EXAMPLES = os.environ.get("API_FUZZ_EXAMPLES", "25")


def test_schemathesis_finds_no_500_and_every_answer_matches_the_document(
    real_services, transactional_db, tmp_path: Path
):
    load_test_world()
    # Built as committed data for the server to read; the test process's own lock-order check
    # stands aside as it does for the matrix's world (tests/matrix.py).
    with override_settings(AUDIT_CHECK_LOCK_ORDER=False):
        world = build_world()
    with gunicorn(tmp_path) as base:
        report = tmp_path / "schemathesis.ndjson"
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{base}/api/v1/schema/?format=json",
            "--url",
            base,
            "--header",
            f"Authorization: Bearer {world.ours.api_secret}",
            "--checks",
            CHECKS,
            "--mode",
            "all",
            "--max-examples",
            EXAMPLES,
            "--seed",
            "2157",
            "--generation-deterministic",
            "--suppress-health-check",
            "all",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
            "--no-color",
        ]
        run = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=1200, check=False
        )
        with urllib.request.urlopen(f"{base}/api/v1/schema/?format=json", timeout=30) as answer:
            paths = json.load(answer)["paths"]
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-4000:]
    # Every operation of the document was tested, and something was sent to each.
    operations = sum(1 for path in paths.values() for method in path if method in METHODS)
    assert operations >= 15
    assert re.search(rf"Tested: {operations}\b", run.stdout), run.stdout[-4000:]
    assert report.read_text().strip()
