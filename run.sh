#!/usr/bin/env bash
# Set up everything (the first time) and start the portal with demo data on the embedded
# default: a SQLite file and uploaded files under var/, tasks run in-process, e-mail printed here.
# HOST and PORT choose where it listens (default 127.0.0.1:8000).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
portal_venv

# Links the portal sends or prints (invitations, certificates' verification address and QR code)
# lead to where this server listens, unless PUBLIC_URL says otherwise.
host=${HOST:-127.0.0.1}
case "$host" in 0.0.0.0|::|"[::]") host=127.0.0.1 ;; esac
here=http://$host:${PORT:-8000}
export PUBLIC_URL=${PUBLIC_URL:-$here}

.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py load_qualifications
.venv/bin/python manage.py seed_demo

# The address is printed once the server answers, not before: opened too early, it fails.
.venv/bin/python manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}" &
server=$!
trap 'kill "$server" 2>/dev/null' EXIT
if .venv/bin/python - "$here/healthz" <<'WAIT'
import sys, time, urllib.request
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2):
            sys.exit(0)
    except OSError:
        time.sleep(0.3)
sys.exit(1)
WAIT
then
  echo "Open $here/ and log in with a demo account above."
else
  echo "The server did not answer at $here/healthz within two minutes." >&2
fi
wait "$server"
