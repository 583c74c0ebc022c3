#!/usr/bin/env bash
# Install everything alliance needs, idempotently: Debian packages, a virtual environment in .venv,
# and the Python packages pinned in constraints.txt. Re-running is quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# espeak-ng and sox synthesize and shape the speech the tests and benchmarks use;
# chromium opens the batch summary.html in a test, as a coordinator's browser would, and chromium-driver lets
# Selenium drive it through the review workspace's browser tests;
# wrk is the load generator scripts/bench_service.py saturates the server with;
# redis-server and postgresql are the broker and database the scale-out tests start on loopback ports.
DEBIAN_PACKAGES=(espeak-ng sox chromium chromium-driver wrk redis-server postgresql)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: please install these Debian packages first: ${missing[*]}" >&2; exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv

stamp=.venv/.alliance-install
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into .venv (a few minutes the first time, about 5 GB)" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[test]"
  echo "$want" > "$stamp"
fi
