#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine, then runs all checks and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-python.sh test

# The browser twin of the sealed-bid format and its interop tests need node_modules.
(cd client_web && npm ci --no-audit --no-fund --loglevel=error)

# Browser tests drive Debian's chromium (Playwright's own browser download does not work
# here); the CJK fonts make the saved screenshots readable.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# docker/nginx.conf is checked with `nginx -t` (tests/ops/test_docker_files.py).
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
# The printed documents' tests read the PDFs with poppler's pdftotext and pdfdetach.
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# The public log's interop test checks it with Go's sumdb/note and sumdb/tlog (not our code).
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb ] || missing+=(golang-golang-x-mod-dev)
if [ ${#missing[@]} -gt 0 ]; then
  sudo_=""
  [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The project's own modules compiled once: every hub and command the tests start (hundreds)
# would otherwise compile them again where PYTHONDONTWRITEBYTECODE is set (0.35 s each).
.venv/bin/python -m compileall -q -j 0 server crypto tests bench >/dev/null

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# Four workers (pytest-xdist) on two cores: much of the suite waits for deadlines and windows
# of a few seconds, so the cores stay busy only with more workers than cores. Each worker
# takes whole modules, so that a module's tests share their hub (tests/conftest.py), the
# slowest modules first (tests/module_seconds.json). The slowest tests are listed at the
# end, so that a suite growing slow is seen early. `-n 0` as an argument runs everything in
# this one process.
.venv/bin/pytest -q -n "${BIDOPEN_TEST_WORKERS:-4}" --dist loadscope --no-loadscope-reorder \
  --durations=15 "$@"
