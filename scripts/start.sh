#!/usr/bin/env bash
# Installs the hub on a fresh machine and starts it with a demo opening to watch.
# Everything stays in ./data (SQLite and local files); nothing else to install or start.
# A second start with nothing changed installs nothing: it listens within a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the install depends on; the source itself is installed editable, so a change to it
# needs no reinstall.
stamp=.venv/.bidopen-installed
wanted=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/bidopen ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "Installing bidopen into .venv (once; again only when pyproject.toml or constraints.txt change)…"
  scripts/install-python.sh
  echo "$wanted" > "$stamp"
fi
# The printed documents (PDF) embed a CJK font: Debian's fonts-noto-cjk, installed once.
# Without apt-get (or root or sudo) the hub still starts and refuses only the PDFs, with
# the error pdf_font_missing (docs/operations.md, "Printed documents").
if [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] && [ -z "${BIDOPEN_PDF_FONT:-}" ] \
  && command -v apt-get >/dev/null 2>&1; then
  sudo_=""
  [ "$(id -u)" = 0 ] || sudo_="sudo -n"  # never stops the start to ask for a password
  echo "Installing fonts-noto-cjk for the printed documents (once)…"
  { $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq fonts-noto-cjk >/dev/null; } \
    || echo "Could not install fonts-noto-cjk: PDFs will be refused until a CJK font is installed (BIDOPEN_PDF_FONT)." >&2
fi
exec .venv/bin/bidopen serve --demo "$@"
