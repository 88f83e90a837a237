#!/usr/bin/env bash
# Installs the project into ./.venv with the versions pinned in constraints.txt.
# Usage: scripts/install-python.sh [EXTRAS]   (e.g. `test`; none for the hub alone)
# pip installs uv (pinned too), and uv installs the rest: it fetches and unpacks the
# packages in parallel, a fresh install in seconds rather than a minute and a half. The
# packages are compiled to bytecode as they are installed (as pip does, and uv does not by
# default): where PYTHONDONTWRITEBYTECODE is set, every process would compile them again.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
target="."
[ -z "${1:-}" ] || target=".[$1]"
uv_pin=$(grep -E '^uv==' constraints.txt)
.venv/bin/pip install --quiet --disable-pip-version-check "$uv_pin"
.venv/bin/uv pip install --quiet --compile-bytecode --python .venv/bin/python \
  -c constraints.txt -e "$target"
