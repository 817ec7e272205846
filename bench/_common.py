"""Helpers shared by the benchmarks: percentiles and a printed table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per call."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def report(name: str, ms: Sequence[float], target_ms: float | None = None) -> str:
    p50, p99 = percentile(ms, 50), percentile(ms, 99)
    verdict = ""
    if target_ms is not None:
        verdict = "  OK" if p99 <= target_ms else f"  OVER target {target_ms:g} ms"
    line = (f"{name:<34} n={len(ms):<5} p50={p50:7.2f} ms  p99={p99:7.2f} ms  "
            f"mean={statistics.fmean(ms):7.2f} ms{verdict}")
    print(line, flush=True)
    return line
