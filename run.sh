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
export PUBLIC_URL=${PUBLIC_URL:-http://$host:${PORT:-8000}}

.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py load_qualifications
.venv/bin/python manage.py seed_demo
echo "Open http://${HOST:-127.0.0.1}:${PORT:-8000}/ and log in with a demo account above."
exec .venv/bin/python manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
