# Sourced by run.sh and test.sh: makes .venv and installs the pinned dependencies into it, again
# only when pyproject.toml or the constraints have changed since the last install.
# Usage: portal_venv            (what the portal needs to run)
#        portal_venv dev        (that, plus what the tests and linters need)

portal_venv() {
  local extra=${1:-base}
  local python=${PYTHON:-python3}
  if ! command -v "$python" >/dev/null 2>&1; then
    echo "Python 3.11 or newer is needed, and '$python' was not found (set PYTHON=/path/to/python3)." >&2
    return 1
  fi
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Python 3.11 or newer is needed; '$python' is $("$python" --version 2>&1)." >&2
    return 1
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtual environment in .venv ..."
    "$python" -m venv .venv || return 1
  fi
  local want
  want=$(cat pyproject.toml requirements/constraints.txt | .venv/bin/python -c \
    'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
  if [ "$(cat ".venv/.installed-$extra" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  local target=.
  [ "$extra" = dev ] && target=".[dev]"
  echo "Installing the pinned dependencies ($extra) ..."
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip || return 1
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c requirements/constraints.txt "$target" || return 1
  echo "$want" > ".venv/.installed-$extra"
  # The dev set includes everything the portal needs to run.
  [ "$extra" = dev ] && echo "$want" > .venv/.installed-base
  return 0
}
