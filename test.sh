#!/usr/bin/env bash
# Set up .venv with test extras, run ruff and the whole suite offscreen.
# Extra arguments go to pytest: ./test.sh -k lookup, ./test.sh -m slow
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-test-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "Installing into .venv (first run takes a few minutes)…" >&2
  { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e '.[test]'; } >.venv/install.log 2>&1 \
    || { cat .venv/install.log >&2; echo "install failed; see .venv/install.log" >&2; exit 1; }
  rm -f .venv/.installed-test-*; touch "$stamp"
fi
if ! command -v pdftoppm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  # Documents are checked by rasterising them as a printer would; poppler does that.
  (apt-get install -y -q poppler-utils >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q poppler-utils >/dev/null 2>&1; }) || true
fi
if [ "${CI:-}" = "true" ] && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] \
   && ! .venv/bin/python -c 'import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(("127.0.0.1",5432)))' 2>/dev/null; then
  # Under CI the PostgreSQL tests must run: start the local server if it is down.
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
