#!/usr/bin/env bash
# Installs the hub on a fresh machine and starts it with a demo opening to watch.
# Everything stays in ./data (SQLite and local files); nothing else to install or start.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -c constraints.txt -e .
exec .venv/bin/bidopen serve --demo "$@"
