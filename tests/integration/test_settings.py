"""The settings module, run as the portal runs it: in a fresh process with a given environment.

Each test starts Django in a subprocess, so they run with the integration suite (CI runs it).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "k3y-for-the-deploy-check-only-6f1e9b0c7d2a4e8f9a1b3c5d7e9f0a2b4c6d8e",
    "ALLOWED_HOSTS": "portal.example.org",
    "DATABASE_URL": "postgres://portal:secret@db:5432/portal",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_URL": "smtp+tls://portal:secret@smtp.example.org:587",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # The variables this test sets, and any a test runner set for itself, are not inherited.
    inherited = set(PRODUCTION_ENV) | {"DJANGO_ALLOW_ASYNC_UNSAFE", "PORTAL_VAR_DIR"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    clean.update(DJANGO_SETTINGS_MODULE="portal.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_with_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_on_sqlite():
    env = {**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///db.sqlite3"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "Production runs on PostgreSQL" in result.stderr


def test_production_refuses_to_start_without_a_broker():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr


@pytest.mark.parametrize(
    "email_url",
    [None, "", "consolemail://", "dummymail://", "memorymail://", "filemail:///tmp/mail"],
    ids=["missing", "empty", "console", "dummy", "in-memory", "file"],
)
def test_production_refuses_to_start_without_a_mail_server(email_url):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_URL"}
    if email_url is not None:
        env["EMAIL_URL"] = email_url
    result = manage("check", **env)
    assert result.returncode != 0
    assert "set EMAIL_URL to a mail server" in result.stderr


@pytest.mark.parametrize(
    ("email_url", "backend"),
    [
        ("smtp://mail.internal:25", "smtp.EmailBackend"),
        ("smtps://u:p@smtp.example.org:465", "smtp.EmailBackend"),
        ("smtp+tls://u:p@smtp.example.org:587", "smtp.EmailBackend"),
    ],
)
def test_production_starts_with_a_mail_server(email_url, backend):
    script = "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST)"
    result = manage(
        "shell", "--no-imports", "-c", script, **{**PRODUCTION_ENV, "EMAIL_URL": email_url}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0].endswith(backend)


def test_the_account_settings_come_from_the_environment(tmp_path):
    script = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_AGE, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(),"
        " s.INVITATION_DAYS, s.TRUSTED_PROXY_COUNT, s.EMAIL_BACKEND)"
    )
    result = manage(
        "shell", "--no-imports", "-c", script, PORTAL_VAR_DIR=str(tmp_path),
        SESSION_IDLE_MINUTES="45", LOGIN_FAILURE_LIMIT="8", LOGIN_COOLOFF_MINUTES="60",
        INVITATION_DAYS="3", TRUSTED_PROXY_COUNT="1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "2700", "8", "3600.0", "3", "1", "django.core.mail.backends.console.EmailBackend"
    ]  # fmt: skip


def test_relaxing_a_protection_in_production_is_reported_by_the_deploy_check():
    env = {**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "false"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


def test_with_no_environment_the_portal_uses_sqlite_and_runs_tasks_in_process(tmp_path):
    script = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG)"
    )
    result = manage("shell", "--no-imports", "-c", script, PORTAL_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "True"]


def test_with_database_and_redis_urls_the_portal_uses_postgresql_and_real_workers(tmp_path):
    script = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    )
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        PORTAL_VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/portal",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "False",
        "redis://127.0.0.1:6379/3",
    ]


def test_the_local_address_in_certificates_and_e_mails_follows_the_port():
    show = "from django.conf import settings; print(settings.PUBLIC_URL)"
    env = {k: v for k, v in os.environ.items() if k not in {"PUBLIC_URL", "PORT"}}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", env)
        assert (
            manage("shell", "--no-imports", "-c", show, PORT="8123").stdout.strip()
            == "http://127.0.0.1:8123"
        )
        assert manage("shell", "--no-imports", "-c", show).stdout.strip() == "http://127.0.0.1:8000"
        said = manage(
            "shell",
            "--no-imports",
            "-c",
            show,
            PORT="8123",
            PUBLIC_URL="https://portal.example.org/",
        )
        assert said.stdout.strip() == "https://portal.example.org"
