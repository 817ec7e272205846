"""«Сервис → Импорт лицевых счетов…»: a billing's export loaded into the office (issue 14), step by step.

1. the file (CSV or XLSX), the provider and the billing's export layout (preset);
2. the first rows as read, with a field chosen per column (the preset's guess, changeable);
3. a dry run: what the import would change and every bad row by line and column — nothing written;
4. the import itself with a progress bar and «Прервать» (a cancelled import writes nothing), then
   its counts.

Everything that reads the file or the database runs off the GUI thread (``ui/operations``); the
import itself on the network pool, not the serial database worker — a million rows take minutes, and
searches at the counter must not queue behind them.  A problem is said on the page where it is,
never in a second dialog.  The service (``services/importing/accounts_import.py``) decides everything:
permissions, the columns a preset knows, which rows are bad.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from cashier_app.domain.errors import UserError
from cashier_app.i18n import N_, tr
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages

ERROR_STYLE = "color: #c62828;"
PREVIEW_ROWS = 10
SHOWN_ERRORS = 200  # the dry run's table; the service keeps the first 1 000, the count is always whole
PRESET_LABELS = {"generic": N_("общий формат (number, full_name, balance…)")}
# The billings' own names, the same in every language.
PRESET_NAMES = {"abills": "ABillS", "ubilling": "Ubilling", "lanbilling": "LANBilling"}
NO_FIELD = "-"  # a column the import leaves alone (the service's «--map COLUMN=-»)


def report_lines(rep: Any) -> list[str]:
    """An ``ImportReport`` as the wizard says it (dry run or done)."""
    lines = [tr("Строк в файле: {n}", n=rep.rows),
             tr("Новых: {created}; изменённых: {updated}; без изменений: {unchanged}", created=rep.created,
                updated=rep.updated, unchanged=rep.unchanged),
             tr("Закрыто (нет в выгрузке): {closed}; открыто снова: {reopened}", closed=rep.closed,
                reopened=rep.reopened)]
    if rep.bad_total:
        lines.append(tr("Строк с ошибками: {n}", n=rep.bad_total))
    # A file imported before: the service's own warning says so, with the date it was loaded.
    if not rep.same_file and not rep.dry_run and not rep.changed and not rep.bad_total and not rep.cancelled:
        lines.append(tr("Изменений нет"))
    if rep.skipped_report:
        lines.append(tr("Строки с ошибками записаны в файл: {path}", path=rep.skipped_report))
    lines.extend(rep.warnings)
    return lines


class _Relay(QObject):
    """Carries ``progress(done, total)`` from the worker thread to the GUI thread (a queued signal)."""

    progressed = Signal(int, object)


class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard, payees: list[tuple[str, str]]) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Файл выгрузки"))
        self.setSubTitle(tr("Выгрузка абонентов из биллинга: CSV (любая кодировка и разделитель) или XLSX."))
        self.path = QLineEdit()
        self.path.setObjectName("path")
        self.path.setPlaceholderText(tr("путь к файлу .csv или .xlsx"))
        browse = QPushButton(tr("Обзор…"))
        browse.clicked.connect(self._browse)
        self.payee = QComboBox()
        self.payee.setObjectName("payee")
        for code, name in payees:
            self.payee.addItem(f"{name} ({code})", code)
        self.preset = QComboBox()
        self.preset.setObjectName("preset")
        for key in _presets():
            self.preset.addItem(tr(PRESET_LABELS[key]) if key in PRESET_LABELS else PRESET_NAMES.get(key, key), key)
        self.partial = QCheckBox(tr("Выгрузка не полная (не закрывать счета, которых в ней нет)"))
        self.partial.setObjectName("partial")
        self.error = QLabel("")
        self.error.setObjectName("file_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow(tr("Файл"), row)
        form.addRow(tr("Получатель"), self.payee)
        form.addRow(tr("Формат биллинга"), self.preset)
        form.addRow("", self.partial)
        form.addRow("", self.error)
        self.ready = False  # the preview for exactly these choices has arrived
        for sig in (self.path.textChanged, self.preset.currentIndexChanged, self.payee.currentIndexChanged):
            sig.connect(self._changed)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Файл выгрузки"), "", "CSV, XLSX (*.csv *.txt *.xlsx)")
        if path:
            self.path.setText(path)

    def _changed(self, *_: Any) -> None:
        self.ready = False
        self.error.clear()

    def isComplete(self) -> bool:
        return bool(self.path.text().strip()) and self.payee.count() > 0 and not self.w.busy

    def validatePage(self) -> bool:
        """The file is read (its first rows) in the background; «Далее» goes on once they are here."""
        if self.ready:
            return True
        path = Path(self.path.text().strip())
        if not path.is_file():
            self.error.setText(tr("Файл: «{path}» не найден", path=str(path)))
            return False
        self.error.clear()
        self.w.load_preview(path, self.preset.currentData(), None, self._previewed, self._failed)
        return False

    def _previewed(self, preview: Any) -> None:
        self.ready = True
        self.w.next()

    def _failed(self, exc: BaseException) -> None:
        self.error.setText(messages.error_text(exc))


class MappingPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Колонки"))
        self.setSubTitle(tr("Первые строки файла; над каждой колонкой — поле, в которое она загружается."))
        self.info = QLabel("")
        self.info.setObjectName("file_info")
        self.table = QTableWidget(0, 0)
        self.table.setObjectName("preview")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.missing = QLabel("")
        self.missing.setObjectName("missing")
        self.missing.setWordWrap(True)
        self.missing.setStyleSheet(ERROR_STYLE)
        self.combos: list[QComboBox] = []
        self.problem = False  # the chosen mapping is refused (two columns on one field…)
        lay = QVBoxLayout(self)
        lay.addWidget(self.info)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.missing)

    def initializePage(self) -> None:
        self.show_preview(self.w.preview)

    def show_preview(self, p: Any) -> None:
        fields = _fields()
        kind = "XLSX" if p.encoding == "xlsx" else tr("кодировка {enc}, разделитель «{sep}»", enc=p.encoding,
                                                          sep="Tab" if p.delimiter == "\t" else p.delimiter or "")
        self.info.setText(tr("Колонок: {n}; {kind}", n=len(p.columns), kind=kind))
        self.table.clear()
        self.table.setColumnCount(len(p.columns))
        self.table.setRowCount(len(p.rows) + 1)
        self.table.setHorizontalHeaderLabels(p.columns)
        self.combos = []
        for c, column in enumerate(p.columns):
            combo = QComboBox()
            combo.setObjectName(f"field_{c}")
            combo.addItem(tr("— не загружать —"), NO_FIELD)
            for f in fields:
                combo.addItem(f, f)
            combo.setCurrentIndex(max(0, combo.findData(p.mapping.get(column, NO_FIELD))))
            combo.currentIndexChanged.connect(lambda _i: self._mapping_changed())
            self.table.setCellWidget(0, c, combo)
            self.combos.append(combo)
        for r, values in enumerate(p.rows, start=1):
            for c, v in enumerate(values[:len(p.columns)]):
                self.table.setItem(r, c, QTableWidgetItem(v))
        self.table.resizeColumnsToContents()
        self._show_missing(p)

    def _show_missing(self, p: Any) -> None:
        self.problem = False
        self.missing.setText(tr("Не хватает обязательных полей: {fields} — выберите колонку для каждого",
                                fields=", ".join(p.unmapped_required)) if p.unmapped_required else "")
        self.completeChanged.emit()

    def mapping(self) -> dict[str, str]:
        """The file's column → field, as chosen (a column left alone maps to "")."""
        cols = self.w.preview.columns if self.w.preview is not None else []
        return {col: str(combo.currentData()) for col, combo in zip(cols, self.combos, strict=False)}

    def _mapping_changed(self) -> None:
        # The service says which required fields are still missing (one list of rules, not a twin here).
        self.w.load_preview(self.w.file_path, self.w.preset, self.mapping(), self._show_missing, self._refused)

    def _refused(self, exc: BaseException) -> None:
        self.problem = True
        self.missing.setText(messages.error_text(exc))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        p = self.w.preview
        return p is not None and not p.unmapped_required and not self.problem and not self.w.busy


class CheckPage(QWizardPage):
    """The dry run: the whole file checked and counted, nothing written."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Проверка"))
        self.setSubTitle(tr("Файл прочитан целиком, в базу ничего не записано."))
        self.summary = QLabel("")
        self.summary.setObjectName("dry_summary")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("dry_progress")
        self.progress_text = QLabel("")
        self.errors = QTableWidget(0, 3)
        self.errors.setObjectName("errors")
        self.errors.setHorizontalHeaderLabels([tr("Строка"), tr("Колонка"), tr("Ошибка")])
        self.errors.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.errors.horizontalHeader().setStretchLastSection(True)
        self.errors.verticalHeader().setVisible(False)
        self.skip_bad = QCheckBox(tr("Загрузить хорошие строки, плохие записать в отдельный файл"))
        self.skip_bad.setObjectName("skip_bad")
        self.skip_bad.toggled.connect(lambda _c: self.initializePage())
        # «Загрузить» starts the import; once started there is no going back to the dry run.
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, tr("Загрузить"))
        self.report: Any = None
        lay = QVBoxLayout(self)
        lay.addWidget(self.progress)
        lay.addWidget(self.progress_text)
        lay.addWidget(self.summary)
        lay.addWidget(self.errors, 1)
        lay.addWidget(self.skip_bad)

    def initializePage(self) -> None:
        self.report = None
        self.errors.setRowCount(0)
        self.summary.setStyleSheet("")
        self.summary.setText(tr("Проверяю файл…"))
        self.skip_bad.setEnabled(False)  # one dry run at a time; a toggle starts the next
        self.w.start_run(dry_run=True, skip_bad=self.skip_bad.isChecked(), progress=self.progress,
                         progress_text=self.progress_text, done=self._done, failed=self._failed)
        self.completeChanged.emit()

    def _done(self, rep: Any) -> None:
        self.report = rep
        self.skip_bad.setEnabled(True)
        lines = report_lines(rep)
        if rep.bad_total and not self.skip_bad.isChecked():
            lines.append(tr("Файл не загружается, пока в нём есть ошибки: исправьте их или отметьте «Загрузить "
                            "хорошие строки…»"))
        self.summary.setStyleSheet(ERROR_STYLE if rep.bad_total else "")
        self.summary.setText("\n".join(lines))
        shown = rep.bad[:SHOWN_ERRORS]
        self.errors.setRowCount(len(shown))
        for r, e in enumerate(shown):
            for c, v in enumerate((str(e.line), e.column, e.message)):
                self.errors.setItem(r, c, QTableWidgetItem(v))
        self.errors.resizeColumnsToContents()
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.skip_bad.setEnabled(True)
        self.summary.setStyleSheet(ERROR_STYLE)
        self.summary.setText(messages.error_text(exc))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        rep = self.report
        return (rep is not None and not self.w.busy and not rep.cancelled
                and (not rep.bad_total or self.skip_bad.isChecked()) and rep.rows > rep.bad_total)


class RunPage(QWizardPage):
    """The import: a progress bar and «Прервать»; then what it did."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle(tr("Импорт"))
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress_text = QLabel("")
        self.progress_text.setObjectName("progress_text")
        self.summary = QLabel("")
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.stop_button = QPushButton(tr("Прервать"))
        self.stop_button.setObjectName("stop")
        self.stop_button.clicked.connect(self.w.request_cancel)
        self.report: Any = None
        lay = QVBoxLayout(self)
        lay.addWidget(self.progress)
        lay.addWidget(self.progress_text)
        lay.addWidget(self.summary)
        lay.addStretch(1)
        lay.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignLeft)

    def initializePage(self) -> None:
        self.report = None
        self.summary.setStyleSheet("")
        self.summary.setText(tr("Загружаю…"))
        self.stop_button.setEnabled(True)
        self.w.start_run(dry_run=False, skip_bad=self.w.check_page.skip_bad.isChecked(), progress=self.progress,
                         progress_text=self.progress_text, done=self._done, failed=self._failed)

    def _done(self, rep: Any) -> None:
        self.report = rep
        self.stop_button.setEnabled(False)
        if rep.cancelled:
            self.summary.setStyleSheet(ERROR_STYLE)
            self.summary.setText(tr("Импорт прерван: в базе ничего не изменено."))
        else:
            self.summary.setText("\n".join([tr("Импорт завершён."), *report_lines(rep)]))
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.stop_button.setEnabled(False)
        self.summary.setStyleSheet(ERROR_STYLE)
        text = messages.error_text(exc)
        if isinstance(exc, UserError):
            text = tr("Не загружено, в базе ничего не изменено: {err}", err=text)
        self.summary.setText(text)
        self.report = exc
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.report is not None and not self.w.busy


class ImportWizard(QWizard):
    """``payees``: (code, name) of the providers the administrator may load accounts into."""

    def __init__(self, ctx: DeskContext, runner: Any, payees: list[tuple[str, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.preview: Any = None
        self.busy = False
        self.close_when_stopped = False
        self.cancel_event = threading.Event()
        self.relay = _Relay(self)
        self._bar: QProgressBar | None = None
        self._bar_text: QLabel | None = None
        self.progress_seen = 0  # progress reports received from the running import (tests read it)
        self.relay.progressed.connect(self._progressed)
        self.setWindowTitle(tr("Импорт лицевых счетов"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.resize(960, 620)
        self.file_page = FilePage(self, payees)
        self.mapping_page = MappingPage(self)
        self.check_page = CheckPage(self)
        self.run_page = RunPage(self)
        for page in (self.file_page, self.mapping_page, self.check_page, self.run_page):
            self.addPage(page)

    # --- what the pages chose -------------------------------------------------------------------
    @property
    def file_path(self) -> Path:
        return Path(self.file_page.path.text().strip())

    @property
    def preset(self) -> str:
        return str(self.file_page.preset.currentData())

    @property
    def payee_code(self) -> str:
        return str(self.file_page.payee.currentData())

    # --- background work ------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        page = self.currentPage()
        if page is not None:
            page.completeChanged.emit()

    def load_preview(self, path: Path, preset: str, mapping: dict[str, str] | None, done: Any, failed: Any) -> None:
        from cashier_app.services.importing import accounts_import

        self._set_busy(True)

        def ok(p: Any) -> None:
            self.preview = p
            self._set_busy(False)
            done(p)

        def bad(exc: BaseException) -> None:
            self._set_busy(False)
            failed(exc)

        self.runner.run_db(lambda: accounts_import.preview(path, preset=preset, mapping=mapping,
                                                           rows=PREVIEW_ROWS), ok, bad)

    def start_run(self, *, dry_run: bool, skip_bad: bool, progress: QProgressBar, progress_text: QLabel,
                  done: Any, failed: Any) -> None:
        """The import (or its dry run) on the network pool; progress and «Прервать» reach it from here."""
        from cashier_app.services.importing import accounts_import

        ctx, path, code, preset = self.ctx, self.file_path, self.payee_code, self.preset
        mapping, partial = self.mapping_page.mapping() or None, self.file_page.partial.isChecked()
        event = threading.Event()
        self.cancel_event = event
        self._bar, self._bar_text = progress, progress_text
        progress_text.clear()
        progress.setRange(0, 0)  # busy until the first figure comes
        relay = self.relay
        self._set_busy(True)

        def work() -> Any:
            return accounts_import.run(ctx, path, payee_code=code, preset=preset, mapping=mapping, dry_run=dry_run,
                                       skip_bad=skip_bad, partial=partial,
                                       progress=lambda n, total: relay.progressed.emit(n, total),
                                       cancel=event.is_set)

        def ok(rep: Any) -> None:
            self._set_busy(False)
            progress.setRange(0, 1)
            progress.setValue(1)
            done(rep)
            self._closing()

        def bad(exc: BaseException) -> None:
            self._set_busy(False)
            progress.setRange(0, 1)
            progress.setValue(0)
            failed(exc)
            self._closing()

        self.runner.run_net(work, ok, bad)

    def _progressed(self, n: int, total: Any) -> None:
        self.progress_seen += 1
        bar, text = self._bar, self._bar_text
        if bar is None or text is None:
            return
        if total:
            bar.setRange(0, int(total))
            bar.setValue(min(int(n), int(total)))
        else:
            bar.setRange(0, 0)  # the importer streams: the whole count is known only at the end
        text.setText(tr("Прочитано строк: {n}", n=n) if not total else tr("Прочитано строк: {n} из {total}", n=n,
                                                                          total=total))

    def request_cancel(self) -> None:
        """«Прервать»: the import stops at its next check and writes nothing."""
        self.cancel_event.set()
        self.run_page.stop_button.setEnabled(False)
        self.run_page.summary.setText(tr("Прерываю…"))

    def reject(self) -> None:
        # Closing while an import runs would leave it running unseen: stop it first, close when it says so.
        if self.busy:
            self.close_when_stopped = True
            self.cancel_event.set()
            return
        super().reject()

    def _closing(self) -> None:
        if self.close_when_stopped:
            self.close_when_stopped = False
            super().reject()


def _presets() -> list[str]:
    from cashier_app.domain.import_fields import PRESETS

    return list(PRESETS)


def _fields() -> list[str]:
    from cashier_app.domain.import_fields import FIELDS

    return list(FIELDS)
