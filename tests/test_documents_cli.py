"""``cashier-app receipt | receipts | reprint | documents`` as a shell user runs them."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TODAY
from tests.test_cli import cli
from tests.test_documents_service import debtor, journal_count, payable_booking


def url(db) -> str:  # type: ignore[no-untyped-def]
    return db.engine.url.render_as_string(hide_password=False)


def test_receipt_reprint_and_listing(fresh_db, tmp_path: Path) -> None:
    out, again = tmp_path / "a.pdf", tmp_path / "b.pdf"
    account = debtor(fresh_db)
    p = cli("receipt", "pd4", "--account", account, "--amount", "1 500,00", "--date", TODAY.isoformat(),
            "-o", str(out), "--db", url(fresh_db), user="admin")
    assert p.returncode == 0, p.stderr
    number = p.stdout.split("\t")[0]
    assert number.startswith("D-") and out.read_bytes().startswith(b"%PDF")
    p = cli("reprint", number, "-o", str(again), "--db", url(fresh_db), user="admin")
    assert p.returncode == 0, p.stderr
    assert again.read_bytes() == out.read_bytes()
    p = cli("documents", "--account", account, "--db", url(fresh_db), user="admin")
    assert p.returncode == 0 and number in p.stdout and "1\xa0500,00" in p.stdout


def test_refusal_exits_non_zero_one_reason_per_line_and_writes_nothing(fresh_db, tmp_path: Path) -> None:
    out = tmp_path / "post.pdf"
    p = cli("receipt", "post112", "--booking", payable_booking(fresh_db), "--payer-name", "Иванов",
            "--payer-address", "", "--payer-index", "12", "--amount", "1", "--date", TODAY.isoformat(),
            "-o", str(out), "--db", url(fresh_db), user="admin")
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    lines = [ln.strip() for ln in p.stderr.splitlines() if ln.strip()]
    assert lines[0].startswith("cashier-app: документ не сформирован")
    reasons = lines[1:]
    assert any("только полная оплата" in r for r in reasons)
    assert sum("не заполнено поле" in r for r in reasons) == 7
    assert not out.exists() and not [f for f in tmp_path.iterdir() if f.suffix in (".pdf", ".tmp")]
    assert journal_count(fresh_db) == 0


def test_bad_arguments_name_the_field(fresh_db, tmp_path: Path) -> None:
    base = ("--db", url(fresh_db))
    for args, field in (
        (("receipt", "pd4", "--account", "0000001", "--amount", "-5", "-o", str(tmp_path / "x.pdf")), "--amount"),
        (("receipt", "info", "--booking", "1", "-o", str(tmp_path / "x.pdf")), "--method"),
        (("receipt", "pd4", "--account", "0000001", "--date", "31.12.2026", "-o", str(tmp_path / "x.pdf")), "--date"),
        (("receipt", "pd4", "--account", "0000001", "-o", str(tmp_path / "no" / "x.pdf")), "-o"),
        (("receipts", "--debtors", "--limit", "0", "-o", str(tmp_path / "x.pdf")), "--limit"),
        (("receipts", "--debtors", "--workers", "-1", "-o", str(tmp_path / "x.pdf")), "--workers"),
    ):
        p = cli(*args, *base, user="admin")
        assert p.returncode == 2, (args, p.stderr)
        assert field in p.stderr and "Traceback" not in p.stderr
    p = cli("receipt", "pd4", "--account", "nope", "-o", str(tmp_path / "x.pdf"), *base, user="admin")
    assert p.returncode == 2 and "не найден" in p.stderr
    p = cli("reprint", "D-999", "-o", str(tmp_path / "x.pdf"), *base, user="admin")
    assert p.returncode == 2 and "не найден" in p.stderr
    assert journal_count(fresh_db) == 0
    assert not [f for f in tmp_path.iterdir() if f.suffix in (".pdf", ".tmp")]


def test_receipts_debtors_batch_with_progress(fresh_db, tmp_path: Path) -> None:
    out = tmp_path / "debtors.pdf"
    p = cli("receipts", "--debtors", "--payee", "interra", "--limit", "12", "--date", TODAY.isoformat(),
            "-o", str(out), "--db", url(fresh_db), user="admin")
    assert p.returncode == 0, p.stderr
    assert "12/12 (100 %)" in p.stderr and "/s" in p.stderr
    number, count, pages = p.stdout.split("\t")[:3]
    assert count.startswith("12 ") and pages.startswith("6 ")
    again = tmp_path / "again.pdf"
    assert cli("reprint", number, "-o", str(again), "--db", url(fresh_db), user="admin").returncode == 0
    assert again.read_bytes() == out.read_bytes()
