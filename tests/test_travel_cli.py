"""``cashier-app rates|bonuses|agency``: results on stdout, mistakes as one line with exit 2."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from cashier_app.storage import models as m
from tests.conftest import TODAY
from tests.test_bonuses_service import add_booking, set_balance
from tests.test_cli import _one_clean_line, cli


def _url(db) -> str:  # type: ignore[no-untyped-def]
    return db.engine.url.render_as_string(hide_password=False)


def test_rates_set_list_import_and_refusals(fresh_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = _url(fresh_db)
    ok = cli("rates", "set", "USD", "92,4567", "--date", "2031-03-02", "--db", url, user="admin")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "USD\t2031-03-02\t92.4567"
    line = _one_clean_line(cli("rates", "set", "USD", "92", "--date", "2031-03-02", "--db", url, user="cashier"))
    assert "Недостаточно прав" in line
    bad = tmp_path / "bad.csv"
    bad.write_text("currency;date;rate\nEUR;2031-03-02;99,1\nEUR;2031-03-03;-1\n", encoding="utf-8")
    line = _one_clean_line(cli("rates", "import", str(bad), "--db", url, user="admin"))
    assert "Строка 3, поле rate" in line
    with fresh_db.read() as uow:
        assert uow.session.execute(select(func.count()).select_from(m.ExchangeRate).where(
            m.ExchangeRate.currency == "EUR", m.ExchangeRate.day >= TODAY.replace(year=2031, month=1, day=1))).scalar_one() == 0
    good = tmp_path / "good.csv"
    good.write_text("currency,date,rate\nEUR,2031-03-02,99,1\n", encoding="utf-8")
    res = cli("rates", "import", str(good), "--db", url, user="admin")
    assert res.returncode == 0 and "новых 1" in res.stdout
    listed = cli("rates", "list", "--since", "2031-03-01", "--db", url, user="cashier")
    assert listed.stdout.splitlines() == ["EUR\t2031-03-02\t99.1000\tadmin", "USD\t2031-03-02\t92.4567\tadmin"]


def test_bonuses_accrue_twice_spend_and_agency_report(fresh_db) -> None:  # type: ignore[no-untyped-def]
    url = _url(fresh_db)
    first = cli("bonuses", "accrue", "--db", url, user="admin")
    assert first.returncode == 0, first.stderr
    second = cli("bonuses", "accrue", "--db", url, user="admin")
    assert second.stdout.startswith("новых начислений: 0, стали активными: 0")
    number = add_booking(fresh_db, price=100_000, paid=90_000)
    set_balance(fresh_db, "manager", "plus", 50_000)
    line = _one_clean_line(cli("bonuses", "spend", number, "--plus", "100,01", "--db", url, user="manager"))
    assert "Недостаточно бонусов" in line
    line = _one_clean_line(cli("bonuses", "spend", number, "--plus", "1,001", "--db", url, user="manager"))
    assert line.startswith("cashier-app: --plus:")
    ok = cli("bonuses", "spend", number, "--plus", "100", "--db", url, user="manager")
    assert ok.returncode == 0 and "списано 100,00" in ok.stdout, ok.stderr
    line = _one_clean_line(cli("bonuses", "burn", "--month", "2026-13", "--db", url, user="admin"))
    assert "--month" in line
    rep = cli("agency", "report", "--quarter", f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}", "--agency", "2", "--db", url)
    assert rep.returncode == 0
    assert rep.stdout.splitlines()[2].split("\t")[6] == "9"
