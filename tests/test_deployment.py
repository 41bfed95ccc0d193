"""The production stack's own files: docker-compose.yml and the image's build steps."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[1]


def compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


# What an operator sets in .env (the values only have to be there).
SET = {
    "SECRET_KEY": "s",
    "POSTGRES_PASSWORD": "p",
    "EMAIL_URL": "smtp://mail:25",
    "TRUSTED_PROXY_COUNT": "1",
}


def compose_config(**env: str) -> subprocess.CompletedProcess[str]:
    command = compose_command()
    need(command, "validating docker-compose.yml needs docker compose or docker-compose")
    assert command is not None
    return subprocess.run(
        [*command, "-f", "docker-compose.yml", "config"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_compose_file_is_valid_and_runs_web_worker_database_and_redis():
    result = compose_config(**SET)
    assert result.returncode == 0, result.stderr
    for service in ("db:", "redis:", "migrate:", "web:", "worker:"):
        assert f"\n  {service}\n" in result.stdout
    assert result.stdout.count("healthcheck:") == 4  # db, redis, web and worker
    assert "celery" in result.stdout  # the worker; the web service runs the image's gunicorn
    assert "load_qualifications" in result.stdout  # a new stack has its catalogue
    assert "8000" in result.stdout.split("\n  web:\n")[1].split("\n  worker:\n")[0]
    assert "credential_key ensure" in result.stdout  # and its credential signing key
    for volume in ("pgdata:", "redisdata:", "media:", "credential-keys:"):
        assert f"\n  {volume}" in result.stdout.split("\nvolumes:")[-1]


def test_the_compose_file_refuses_to_start_without_its_secrets():
    result = compose_config(**{**SET, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "set SECRET_KEY in .env" in result.stderr


def test_the_compose_file_refuses_to_start_without_a_mail_server():
    result = compose_config(**{**SET, "EMAIL_URL": ""})
    assert result.returncode != 0
    assert "set EMAIL_URL in .env" in result.stderr


def test_the_compose_file_refuses_to_start_until_told_whether_a_proxy_stands_in_front():
    result = compose_config(**{**SET, "TRUSTED_PROXY_COUNT": ""})
    assert result.returncode != 0
    assert "set TRUSTED_PROXY_COUNT in .env" in result.stderr
    result = compose_config(**{**SET, "TRUSTED_PROXY_COUNT": "0"})  # no proxy: also a choice
    assert re.search(r"TRUSTED_PROXY_COUNT: ['\"]?0['\"]?\n", result.stdout), result.stderr


def test_the_example_environment_leaves_the_proxy_count_for_the_operator_to_choose():
    settings = dict(
        line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )  # fmt: skip
    assert settings["TRUSTED_PROXY_COUNT"] == ""
