"""Start-up time, side by side with a bare PySide6 window (issue 12 §1).

In the same run, alternately: a bare window (a process that creates QApplication and a
QMainWindow, shows it and exits after the first turn of the event loop) and
``python -m cashier_app --smoke`` on the demo office (a shown, queried main window; it prints
its own ``startup_ms``).  For each: the process's wall time and CPU time (user + system, from
``wait4``), several runs, the median; then the ratio smoke / bare.  Target: the ratio of the
wall medians under 4.

    .venv/bin/python bench/bench_startup.py [--runs 7] [--db URL] [--root DIR]

``--root``: the source tree to measure (default: this one) — to compare with an older checkout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = (
    "import sys\n"
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication(sys.argv[:1])\n"
    "w = QMainWindow()\n"
    "w.resize(1280, 720)\n"
    "w.show()\n"
    "QTimer.singleShot(0, app.quit)\n"
    "sys.exit(app.exec())\n"
)
TARGET_RATIO = 4.0


def _measure(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, float, str]:
    """(wall ms, CPU ms of the child: user + system, stdout) of one process."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=180)
    wall = (time.perf_counter() - t0) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    cpu = ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000
    return wall, cpu, proc.stdout


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--db")
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    args = ap.parse_args()
    root = str(Path(args.root).resolve())
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = root
    tmp = tempfile.mkdtemp(prefix="cashier-bench-")
    env.setdefault("CASHIER_DATA_DIR", tmp)
    env.setdefault("CASHIER_CONFIG_DIR", tmp)
    env.setdefault("CASHIER_LOG_DIR", tmp)
    env.setdefault("CASHIER_AUTOLOGIN", "cashier:cashier")  # the search checks who asks; the demo office's cashier
    smoke = [sys.executable, "-m", "cashier_app", "--smoke"] + (["--db", args.db] if args.db else [])
    bare = [sys.executable, "-c", BARE]
    # Not counted: the first smoke creates the demo office; one of each warms the disk cache.
    _measure(smoke, env, root)
    _measure(bare, env, root)
    rows: dict[str, list[tuple[float, float]]] = {"bare": [], "smoke": []}
    inner: list[int] = []
    for i in range(args.runs):
        for name, cmd in (("bare", bare), ("smoke", smoke)):  # alternated: a busy moment hits both
            wall, cpu, out = _measure(cmd, env, root)
            rows[name].append((wall, cpu))
            extra = ""
            if name == "smoke":
                inner.append(int(out.split("startup_ms=")[1].split()[0]))
                extra = f"  startup_ms={inner[-1]}"
            print(f"run {i + 1} {name:5}: wall {wall:6.0f} ms  cpu {cpu:6.0f} ms{extra}", flush=True)
    med = {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for name, r in rows.items()}
    ratio_wall = med["smoke"][0] / med["bare"][0]
    ratio_cpu = med["smoke"][1] / med["bare"][1]
    print(f"p50 bare window : wall {med['bare'][0]:.0f} ms, cpu {med['bare'][1]:.0f} ms")
    print(f"p50 --smoke     : wall {med['smoke'][0]:.0f} ms, cpu {med['smoke'][1]:.0f} ms "
          f"(its own startup_ms p50 {statistics.median(inner):.0f})")
    print(f"ratio smoke/bare: wall {ratio_wall:.2f}x, cpu {ratio_cpu:.2f}x; "
          f"target < {TARGET_RATIO:g}x: {'OK' if ratio_wall < TARGET_RATIO else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
