"""Benchmark: the GOST R 56042 QR encoder (``cashier_app.printing.qr``) on one core.

    PYTHONPATH=. .venv/bin/python bench/bench_qr.py [--runs 500] [--png] [--impl path/to/qr.py]

Prints codes/s and p50/p99 ms of ``qr_matrix`` (automatic mask choice, level M)
for distinct cp1251 payment strings of 100, 250 and 400 bytes; ``--png`` adds
``qr_png`` (scale 8).  ``--impl`` times another copy of the module instead (say,
the previous implementation saved elsewhere) for before/after figures.  Target:
≤ 2 ms per 250-byte code (the batch printer needs ≥ 200 ПД-4/s on 2 cores).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import percentile

SURNAMES = ("Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Соколов")
STREETS = ("ул. Ленина", "пр-кт Мира", "ул. Гагарина", "Тверская ул.", "ул. Садовая")


def payload(i: int, length: int) -> bytes:
    """A distinct ПД-4-like payment string of exactly ``length`` cp1251 bytes."""
    text = (
        "ST00011|Name=ООО «Интерра»|PersonalAcc=40702810138250123017|BankName=ПАО СБЕРБАНК"
        f"|BIC=044525225|CorrespAcc=30101810400000000225|Sum={10_000 + i * 37 % 900_000}"
        f"|Purpose=Оплата по лицевому счету {i:08d} — интернет|PayeeINN=7707083893|KPP=770701001"
        f"|PersAcc={i:08d}|LastName={SURNAMES[i % 8]}|PayerAddress=г. Москва, {STREETS[i % 5]}, "
        f"д. {i % 97 + 1}, кв. {i % 311 + 1}|TechCode=09|Category=Интернет и телевидение"
    ).encode("cp1251")
    while len(text) < length:
        text += f"|Addr{len(text)}=Дом {i} подъезд {i % 7}".encode("cp1251")
    return text[:length]


def load(impl: str | None) -> ModuleType:
    if impl is None:
        from cashier_app.printing import qr

        return qr
    spec = importlib.util.spec_from_file_location("qr_under_test", impl)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name: str, fn, payloads: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    fn(payloads[0])  # warm the per-version caches
    ms = []
    t_all = time.perf_counter()
    for p in payloads:
        t0 = time.perf_counter()
        fn(p)
        ms.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - t_all
    print(
        f"{name:<28} n={len(ms):<5} {len(ms) / elapsed:8.1f} codes/s  "
        f"p50={percentile(ms, 50):6.2f} ms  p99={percentile(ms, 99):6.2f} ms  "
        f"mean={statistics.fmean(ms):6.2f} ms",
        flush=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=500, help="codes per payload size")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 250, 400])
    ap.add_argument("--png", action="store_true", help="also time qr_png (scale 8)")
    ap.add_argument("--impl", default=None, help="path of a qr.py to time instead of the package one")
    args = ap.parse_args()

    qr = load(args.impl)
    print(f"python {sys.version.split()[0]}, module {qr.__file__}")
    for size in args.sizes:
        payloads = [payload(i, size) for i in range(args.runs)]
        version = qr.choose_version(size, "M")
        run(f"qr_matrix {size} B (v{version}-M)", qr.qr_matrix, payloads)
        if args.png:
            run(f"qr_png    {size} B (v{version}-M)", qr.qr_png, payloads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
