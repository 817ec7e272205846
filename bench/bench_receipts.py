"""Benchmark: a batch of ПД-4 receipts into one PDF, and single-receipt latency.

    PYTHONPATH=. .venv/bin/python bench/bench_receipts.py [--count 10000] [--workers 2]

Prints receipts/s, peak memory (parent and pool workers, from getrusage), the
resident set at a few points of the run (it must stay flat: constant memory),
bytes per page, and the p50/p99 latency of one receipt from DTO to PDF bytes
(QR payload + matrix + drawing).  Receipts are generated lazily, so the input
does not count towards memory either.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

from cashier_app.printing.documents import qr_payload, receipt_qr
from cashier_app.printing.dto import DocumentKind, PayeeDTO, PayerDTO, ReceiptDTO, TargetKind
from cashier_app.printing.pd4 import Pd4Batch, draw_pd4, render_pd4
from cashier_app.printing.pdf_base import new_canvas

PAYEE = PayeeDTO(
    code="interra", name="ООО «Интерра»", inn="7707083893", kpp="773601001",
    account="40702810138250123017", bank_name="ПАО СБЕРБАНК", bic="044525225",
    corr_account="30101810400000000225", postal_index="117997", address="г. Москва, ул. Вавилова, д. 19",
    tech_code="",  # derived per receipt: 09 for accounts, 11 for bookings
)  # fmt: skip
SURNAMES = ("Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Соколов")
NAMES = ("Иван", "Петр", "Сергей", "Алексей", "Дмитрий", "Андрей", "Михаил", "Николай")
STREETS = ("ул. Ленина", "пр-кт Мира", "ул. Гагарина", "Тверская ул.", "ул. Садовая")


def synthetic(count: int) -> Iterator[ReceiptDTO]:
    """Distinct receipts (every QR differs), half ISP accounts, half bookings."""
    for i in range(count):
        surname, name = SURNAMES[i % 8], NAMES[(i // 8) % 8]
        payer = PayerDTO(
            full_name=f"{surname} {name} {NAMES[(i // 64) % 8]}ович",
            address=f"г. Москва, {STREETS[i % 5]}, д. {i % 97 + 1}, кв. {i % 311 + 1}",
            postal_index=f"{101000 + i % 900:06d}",
        )
        booking = i % 2 == 1
        number = f"{7_700_000 + i}" if booking else f"{i:08d}"
        yield ReceiptDTO(
            document_number=f"{i + 1:06d}",
            kind=DocumentKind.PD4,
            payee=PAYEE,
            payer=payer,
            target_kind=TargetKind.BOOKING if booking else TargetKind.ACCOUNT,
            target_number=number,
            purpose=(f"Оплата тура по заявке {number}" if booking else f"Оплата услуг связи, л/с {number}"),
            amount_minor=50_000 + (i * 7919) % 10_000_000,
            issue_date=date(2026, 11, 23),
            **(_rate(i) if booking else {}),
        )


def _rate(i: int) -> dict[str, object]:
    return {
        "currency": "USD",
        "rate": Decimal("92.4567"),
        "rate_date": date(2026, 11, 23),
        "tour_amount_minor": 1_000 + i,
    }


def rss_mb() -> float:
    """Current resident set of this process (Linux), MB."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kB on Linux


def bench_batch(count: int, workers: int, chunk: int, out: Path) -> None:
    marks = {count // 10, count // 2, count}
    rss_points: list[tuple[int, float]] = []
    t0 = time.perf_counter()
    with Pd4Batch(out, workers=workers, chunk_size=chunk) as batch:
        for n, receipt in enumerate(synthetic(count), 1):
            batch.add(receipt)
            if n in marks:
                rss_points.append((n, rss_mb()))
    elapsed = time.perf_counter() - t0
    size = out.stat().st_size
    pages = batch.pages
    print(f"batch: {count} receipts, workers={workers}, chunk={chunk}")
    print(f"  time            {elapsed:8.2f} s")
    print(f"  throughput      {count / elapsed:8.1f} receipts/s")
    print(f"  file            {size / 2**20:8.2f} MB, {pages} pages (2 receipts/page)")
    print(f"  per page        {size / pages / 1024:8.1f} KB")
    print(f"  peak RSS parent {maxrss_mb(resource.RUSAGE_SELF):8.1f} MB")
    print(f"  peak RSS worker {maxrss_mb(resource.RUSAGE_CHILDREN):8.1f} MB (largest child)")
    print("  RSS during run  " + ", ".join(f"{n}: {mb:.1f} MB" for n, mb in rss_points))


def bench_components(samples: int) -> None:
    """Where the time of one receipt goes: QR matrix vs drawing."""
    receipts = list(synthetic(samples))
    t = time.perf_counter()
    matrices = [receipt_qr(r)[1] for r in receipts]
    qr_ms = (time.perf_counter() - t) / samples * 1000
    c = new_canvas(io.BytesIO())
    t = time.perf_counter()
    for r, m in zip(receipts, matrices, strict=True):
        draw_pd4(c, r, 4.5, m)
        c.showPage()
    draw_ms = (time.perf_counter() - t) / samples * 1000
    print(f"components (one core): QR payload+matrix {qr_ms:.2f} ms, drawing {draw_ms:.2f} ms per receipt")


def bench_latency(samples: int) -> None:
    receipts = list(synthetic(samples))
    render_pd4(receipts[0])  # fonts, caches
    times = []
    for r in receipts:
        t = time.perf_counter()
        render_pd4(r)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"single receipt DTO → PDF bytes ({samples} samples): "
          f"p50 {statistics.median(times):.1f} ms, p99 {p99:.1f} ms")  # fmt: skip


def verify(out: Path, count: int) -> None:
    """Sanity: the first and the last page decode to the right payloads."""
    if shutil.which("pdftoppm") is None:
        print("verify: pdftoppm missing, skipped")
        return
    import zxingcpp
    from PIL import Image

    receipts = list(synthetic(count))
    pages = (count + 1) // 2
    with tempfile.TemporaryDirectory() as tmp:
        for page in (1, pages):
            prefix = Path(tmp) / f"p{page}"
            subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", "-f", str(page),
                            "-l", str(page), str(out), str(prefix)], check=True)  # fmt: skip
            got = sorted(b.bytes for b in zxingcpp.read_barcodes(Image.open(f"{prefix}.png")))
            want = sorted(qr_payload(r) for r in receipts[2 * (page - 1) : 2 * page])
            print(f"verify page {page}: {'OK' if got == want else 'MISMATCH'} ({len(got)} codes)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--chunk", type=int, default=100, help="receipts per worker task (even)")
    ap.add_argument("--latency-samples", type=int, default=300)
    ap.add_argument("--out", type=Path, default=None, help="keep the PDF here")
    args = ap.parse_args()

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    bench_latency(args.latency_samples)
    bench_components(min(args.latency_samples, 200))
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "batch.pdf"
        bench_batch(args.count, args.workers, args.chunk, out)
        verify(out, args.count)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
