"""The import wizard end to end (offscreen, real worker threads, real SQLite office): file → columns → dry run
→ import → counts; the same file again says «Изменений нет: файл уже загружен»; bad rows are listed by line and
column and block the import until «загрузить хорошие» is ticked; a missing required column is said on the
columns page; «Прервать» mid-import writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QWizard
from sqlalchemy import func, select

from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from cashier_app.ui.import_wizard import ImportWizard
from cashier_app.ui.operations import OperationRunner
from tests.billing_gui.gui_helpers import ctx_for, isp_payee

HEADER = "number;full_name;phone;address;tariff;monthly_charge;balance;blocked"


def _csv(path: Path, rows: list[str], header: str = HEADER, encoding: str = "utf-8") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding)
    return path


def _rows(n: int, start: int = 990_001) -> list[str]:
    return [f"{start + i};Импортов Иван {i};+7 912 000-{i % 100:02d}-{i % 97:02d};г. Калуга, ул. Новая, д. {1 + i % 90}"
            f";Импорт 300;300,00;{i % 7 * 10},50;0" for i in range(n)]


def _count(db: Database, numbers: list[str]) -> int:
    with db.read() as uow:
        return int(uow.session.execute(select(func.count()).select_from(m.Account)
                                       .where(m.Account.number.in_(numbers))).scalar_one())


def _wizard(qtbot: Any, db: Database) -> tuple[ImportWizard, OperationRunner]:
    code, name = isp_payee(db)
    runner = OperationRunner()
    wiz = ImportWizard(ctx_for(db, "admin"), runner, [(code, name)])
    qtbot.addWidget(wiz)
    wiz.show()
    return wiz, runner


def _to_check_page(qtbot: Any, wiz: ImportWizard, path: Path, *, partial: bool = True) -> None:
    wiz.file_page.path.setText(str(path))
    wiz.file_page.partial.setChecked(partial)  # the demo payee's other accounts must stay open
    wiz.next()
    qtbot.waitUntil(lambda: wiz.currentPage() is wiz.mapping_page, timeout=5_000)
    qtbot.waitUntil(lambda: wiz.mapping_page.isComplete(), timeout=5_000)
    wiz.next()
    qtbot.waitUntil(lambda: wiz.check_page.report is not None and not wiz.busy, timeout=20_000)


def test_wizard_dry_run_import_and_the_same_file_again(qtbot: Any, fresh_db: Database, tmp_path: Path) -> None:
    path = _csv(tmp_path / "abonents.csv", _rows(3), encoding="cp1251")
    numbers = [r.split(";")[0] for r in _rows(3)]
    wiz, runner = _wizard(qtbot, fresh_db)
    try:
        assert not wiz.file_page.isComplete()  # no file yet
        wiz.file_page.path.setText(str(tmp_path / "nope.csv"))
        wiz.next()
        assert wiz.currentPage() is wiz.file_page and "не найден" in wiz.file_page.error.text()
        wiz.file_page.path.setText(str(path))
        wiz.file_page.partial.setChecked(True)
        wiz.next()
        qtbot.waitUntil(lambda: wiz.currentPage() is wiz.mapping_page, timeout=5_000)
        page = wiz.mapping_page
        assert "cp1251" in page.info.text() and page.table.columnCount() == 8
        assert [c.currentData() for c in page.combos] == HEADER.split(";")  # the generic preset's guess
        assert page.table.item(1, 1).text() == "Импортов Иван 0"  # read as windows-1251, not mojibake
        assert page.isComplete()
        wiz.grab().save("/tmp/h5_wizard_columns.png")
        wiz.next()
        qtbot.waitUntil(lambda: wiz.check_page.report is not None and not wiz.busy, timeout=20_000)
        rep = wiz.check_page.report
        assert rep.dry_run and rep.created == 3 and rep.bad_total == 0
        assert "Новых: 3" in wiz.check_page.summary.text() and wiz.check_page.isComplete()
        assert _count(fresh_db, numbers) == 0  # a dry run writes nothing
        commit = wiz.button(QWizard.WizardButton.CommitButton)
        assert commit.isVisible() and commit.text() == "Загрузить"
        commit.click()
        assert wiz.currentPage() is wiz.run_page
        assert not wiz.button(QWizard.WizardButton.BackButton).isEnabled()  # no way back to the dry run
        qtbot.waitUntil(lambda: wiz.run_page.isComplete(), timeout=20_000)
        done = wiz.run_page.report
        assert not done.dry_run and done.created == 3 and done.written, done
        assert wiz.run_page.summary.text().startswith("Импорт завершён.")
        wiz.grab().save("/tmp/h5_wizard_done.png")
        assert _count(fresh_db, numbers) == 3
    finally:
        runner.wait_idle(10_000)
    wiz.accept()

    again, runner2 = _wizard(qtbot, fresh_db)
    try:
        _to_check_page(qtbot, again, path)
        assert again.check_page.report.unchanged == 3 and again.check_page.report.created == 0
        again.next()
        qtbot.waitUntil(lambda: again.run_page.isComplete(), timeout=20_000)
        rep = again.run_page.report
        assert rep.same_file and not rep.written, rep
        assert "Изменений нет: файл уже загружен" in again.run_page.summary.text()
    finally:
        runner2.wait_idle(10_000)
    with fresh_db.read() as uow:
        runs = uow.session.execute(select(m.ImportRun.state).where(m.ImportRun.kind == "accounts")).scalars().all()
        audits = uow.session.execute(select(func.count()).select_from(m.AuditEvent)
                                     .where(m.AuditEvent.action == "import.accounts")).scalar_one()
    assert runs.count("done") == 2 and audits == 2


def test_bad_rows_are_listed_and_block_until_skip_is_ticked(qtbot: Any, fresh_db: Database, tmp_path: Path) -> None:
    rows = _rows(4)
    cells = rows[1].split(";")
    cells[6] = "12,3,4"
    rows[1] = ";".join(cells)
    path = _csv(tmp_path / "bad.csv", rows)
    wiz, runner = _wizard(qtbot, fresh_db)
    try:
        _to_check_page(qtbot, wiz, path)
        page = wiz.check_page
        assert page.report.bad_total == 1 and not page.isComplete()
        assert page.errors.rowCount() == 1
        assert (page.errors.item(0, 0).text(), page.errors.item(0, 1).text()) == ("3", "balance")
        assert "12,3,4" in page.errors.item(0, 2).text()
        assert "исправьте" in page.summary.text()
        wiz.grab().save("/tmp/h5_wizard_errors.png")
        page.skip_bad.setChecked(True)  # a new dry run with the good rows only
        qtbot.waitUntil(lambda: page.report is not None and not wiz.busy and page.isComplete(), timeout=20_000)
        wiz.next()
        qtbot.waitUntil(lambda: wiz.run_page.isComplete(), timeout=20_000)
        rep = wiz.run_page.report
        assert rep.created == 3 and rep.bad_total == 1 and rep.skipped_report
        assert rep.skipped_report in wiz.run_page.summary.text()
    finally:
        runner.wait_idle(10_000)
    assert _count(fresh_db, [r.split(";")[0] for r in _rows(4)]) == 3


def test_missing_required_column_is_said_and_chosen_on_the_columns_page(qtbot: Any, fresh_db: Database,
                                                                        tmp_path: Path) -> None:
    path = _csv(tmp_path / "own.csv", ["990101;Свой Формат;100.00", "990102;Второй Абонент;-5"],
                header="Лицевой;Абонент;Сальдо")
    wiz, runner = _wizard(qtbot, fresh_db)
    try:
        wiz.file_page.path.setText(str(path))
        wiz.next()
        qtbot.waitUntil(lambda: wiz.currentPage() is wiz.mapping_page and not wiz.busy, timeout=5_000)
        page = wiz.mapping_page
        assert not page.isComplete() and "number" in page.missing.text() and "full_name" in page.missing.text()
        combos: list[QComboBox] = page.combos
        combos[0].setCurrentIndex(combos[0].findData("number"))
        qtbot.waitUntil(lambda: not wiz.busy, timeout=5_000)
        assert not page.isComplete() and "full_name" in page.missing.text()
        combos[1].setCurrentIndex(combos[1].findData("number"))  # two columns on one field: refused, said
        qtbot.waitUntil(lambda: not wiz.busy, timeout=5_000)
        assert not page.isComplete() and page.missing.text()
        combos[1].setCurrentIndex(combos[1].findData("full_name"))
        combos[2].setCurrentIndex(combos[2].findData("balance"))
        qtbot.waitUntil(lambda: not wiz.busy and page.isComplete(), timeout=5_000)
        assert page.missing.text() == ""
        assert page.mapping() == {"Лицевой": "number", "Абонент": "full_name", "Сальдо": "balance"}
        wiz.next()
        qtbot.waitUntil(lambda: wiz.check_page.report is not None and not wiz.busy, timeout=20_000)
        assert wiz.check_page.report.created == 2
    finally:
        runner.wait_idle(10_000)


def test_stop_mid_import_writes_nothing(qtbot: Any, fresh_db: Database, tmp_path: Path) -> None:
    rows = _rows(12_000, start=5_000_001)
    path = _csv(tmp_path / "big.csv", rows)
    numbers = [rows[0].split(";")[0], rows[-1].split(";")[0]]
    wiz, runner = _wizard(qtbot, fresh_db)
    try:
        _to_check_page(qtbot, wiz, path)
        assert wiz.check_page.report.created == 12_000
        seen = wiz.progress_seen
        wiz.next()
        qtbot.waitUntil(lambda: wiz.progress_seen > seen, timeout=20_000)  # under way: a chunk is written
        assert wiz.busy and "Прочитано строк:" in wiz.run_page.progress_text.text()
        wiz.run_page.stop_button.click()
        qtbot.waitUntil(lambda: wiz.run_page.isComplete(), timeout=20_000)
        rep = wiz.run_page.report
        assert rep.cancelled and not rep.written, rep
        assert "ничего не изменено" in wiz.run_page.summary.text()
    finally:
        runner.wait_idle(20_000)
    assert _count(fresh_db, numbers) == 0
    with fresh_db.read() as uow:
        n = uow.session.execute(select(func.count()).select_from(m.Account)
                                .where(m.Account.number.like("5%"), func.length(m.Account.number) == 7)).scalar_one()
    assert n == 0
