"""The image's build step, run as the Dockerfile runs it.

A slow test (a fresh Django process collects and compresses every static file), so it runs with
the integration suite.
"""

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.test_settings import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parents[2]


def test_the_image_build_step_collects_static_files_with_hashed_names(tmp_path):
    # The same command the Dockerfile runs, with its placeholder variables.
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="portal.settings", STATIC_ROOT=str(tmp_path))
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "css/portal.css" in manifest
    assert list(tmp_path.glob("css/portal.*.css.gz")), "WhiteNoise should pre-compress CSS"
