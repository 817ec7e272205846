#!/usr/bin/env bash
# Set up .venv (first run), create the demo office, start the card sandbox, the register emulator and
# the billing emulator, start the app.
# Extra arguments go to the app: ./run.sh --smoke, ./run.sh --db postgresql://…, ./run.sh find 271556
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "Installing into .venv (first run takes a few minutes)…" >&2
  { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e .; } >.venv/install.log 2>&1 \
    || { cat .venv/install.log >&2; echo "install failed; see .venv/install.log" >&2; exit 1; }
  rm -f .venv/.installed-*; touch "$stamp"
fi
# The local bank sandbox, so a card payment works on day one (skipped if the port is taken
# or the sandbox is not part of this version).
if .venv/bin/python - <<'PY' 2>/dev/null
import importlib.util, socket, sys
if importlib.util.find_spec("cashier_app.emulators.bank.server") is None:
    sys.exit(1)
s = socket.socket()
s.settimeout(0.3)
sys.exit(0 if s.connect_ex(("127.0.0.1", 8765)) != 0 else 1)
PY
then
  mkdir -p "${XDG_STATE_HOME:-$HOME/.local/state}/cashier-app"
  nohup .venv/bin/cashier-app gateway-sandbox --host 127.0.0.1 --port 8765 \
    >"${XDG_STATE_HOME:-$HOME/.local/state}/cashier-app/sandbox.log" 2>&1 &
fi
# The local register emulator (ATOL Web Server on its own default port 16732), so a receipt is made
# on day one; skipped likewise if the port is taken (a real ATOL Web Server may be listening there).
if .venv/bin/python - <<'PY' 2>/dev/null
import importlib.util, socket, sys
if importlib.util.find_spec("cashier_app.emulators.register.server") is None:
    sys.exit(1)
s = socket.socket()
s.settimeout(0.3)
sys.exit(0 if s.connect_ex(("127.0.0.1", 16732)) != 0 else 1)
PY
then
  mkdir -p "${XDG_STATE_HOME:-$HOME/.local/state}/cashier-app"
  nohup .venv/bin/cashier-app fiscal-sandbox --host 127.0.0.1 --port 16732 \
    >"${XDG_STATE_HOME:-$HOME/.local/state}/cashier-app/fiscal-sandbox.log" 2>&1 &
fi
# The local billing emulator (OSMP check/pay, ABillS dialect) on 8766, knowing the demo payee interra's
# subscribers (read only from the office database); skipped likewise if the port is taken.
if .venv/bin/python - <<'PY' 2>/dev/null
import importlib.util, socket, sys
if importlib.util.find_spec("cashier_app.emulators.billing.server") is None:
    sys.exit(1)
s = socket.socket()
s.settimeout(0.3)
sys.exit(0 if s.connect_ex(("127.0.0.1", 8766)) != 0 else 1)
PY
then
  state_dir="${XDG_STATE_HOME:-$HOME/.local/state}/cashier-app"
  mkdir -p "$state_dir"
  office_db=$(.venv/bin/python - "$@" <<'PY'
import sys
from cashier_app.settings import default_db_url
args = sys.argv[1:]
url = next((a.split("=", 1)[1] for a in args if a.startswith("--db=")), None)
if url is None and "--db" in args and args.index("--db") + 1 < len(args):
    url = args[args.index("--db") + 1]
print(url or default_db_url())
PY
)
  nohup .venv/bin/cashier-app billing-sandbox --host 127.0.0.1 --port 8766 --dialect abills \
    --office-db "$office_db" --payee interra --state "$state_dir/billing-sandbox.sqlite3" \
    >"$state_dir/billing-sandbox.log" 2>&1 &
fi
exec .venv/bin/cashier-app "$@"
