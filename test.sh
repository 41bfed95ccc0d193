#!/usr/bin/env bash
# Set up everything (the first time) and run every check and test:
#   0. the Python packages (.venv) and the npm test tools (node_modules), when they changed;
#   1. ruff (lint and format) and mypy;
#   2. the fast suite on SQLite with tasks run in-process;
#   3. the integration and browser suites on PostgreSQL and Redis, with a real Celery worker and
#      Chromium, against TEST_DATABASE_URL and TEST_REDIS_URL (local defaults below).
# Arguments are passed to pytest, e.g. ./test.sh -k login. On CI (CI=true) a missing service or
# browser is a failure; elsewhere those suites are skipped with a message that says why.
set -uo pipefail
cd "$(dirname "$0")"
# Keep compiled bytecode (and pytest's rewritten test modules) beside the sources, whatever the
# shell (or the image: Dockerfile) says: without it each test worker compiles the portal and
# rewrites every test module afresh, about ten seconds of a worker's start.
unset PYTHONDONTWRITEBYTECODE
source scripts/venv.sh
portal_venv dev || exit 1

status=0
step() { echo; echo "== $*"; }

step "front-end test tools (npm: axe-core for the accessibility checks)"
if command -v npm >/dev/null 2>&1; then
  want=$(sha256sum package-lock.json | cut -c1-64)
  if [ "$(cat node_modules/.installed 2>/dev/null)" != "$want" ]; then
    npm ci --no-audit --no-fund --loglevel=error && echo "$want" > node_modules/.installed || status=1
  fi
else
  echo "npm was not found; the browser suite's accessibility checks need it (apt-get install npm)." >&2
  [ "${CI:-}" = "true" ] && status=1
fi

step "lint, format and types"
.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy . || status=1

step "migrations match the models; catalogue: load the fixtures into a fresh database and validate them"
catalogue_db=$(mktemp -d)
(unset DATABASE_URL REDIS_URL; export PORTAL_VAR_DIR=$catalogue_db
 .venv/bin/python manage.py migrate --no-input -v 0 \
   && .venv/bin/python manage.py makemigrations --check --dry-run -v 0 \
   && .venv/bin/python manage.py load_qualifications \
   && .venv/bin/python manage.py validate_qualifications) || status=1
rm -rf "$catalogue_db"

# pytest exits 5 when a -k or -m selects nothing in one suite; that is not a failure here.
run_pytest() {
  .venv/bin/pytest "$@"
  local code=$?
  [ "$code" -eq 5 ] && code=0
  return "$code"
}

step "fast suite (SQLite, tasks in-process, one process per core)"
# The fast suite builds its SQLite schema from the models (--no-migrations: 10 s less); the step
# above checks the migrations match the models, and the integration suite migrates PostgreSQL.
(unset DATABASE_URL REDIS_URL
 run_pytest -m "not integration and not browser and not slow" -n auto --no-migrations "$@") || status=1

step "integration and browser suites (PostgreSQL, Redis, Celery worker, Chromium)"
export DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portal}
export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
if .venv/bin/python scripts/check_services.py; then
  run_pytest -m "integration or browser or slow" "$@" || status=1
elif [ "${CI:-}" = "true" ]; then
  echo "CI must run the integration and browser suites, and their services are unreachable." >&2
  status=1
else
  echo "SKIPPED: the integration and browser suites need PostgreSQL and Redis (see above)." >&2
  echo "Start them, or point TEST_DATABASE_URL and TEST_REDIS_URL at yours, and run again." >&2
fi

exit $status
