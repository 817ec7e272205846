"""Guards against known defects of the Qt binding the app runs on."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    ready = Signal(object, object, bool)
    count = Signal(int)


def test_signal_emit_keeps_reference_counts(qapp) -> None:  # type: ignore[no-untyped-def]
    """PySide6 6.12.0 decrements True's refcount on every emit; a long day at the counter would abort."""
    e = _Emitter()
    e.ready.connect(lambda *_: None)
    e.count.connect(lambda *_: None)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(200):
        e.ready.emit(None, i, i % 2 == 0)
        e.count.emit(i)
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before


def test_pdf_preview_modules_are_available() -> None:
    from PySide6 import QtPdf, QtPdfWidgets, QtPrintSupport

    assert QtPdf.QPdfDocument and QtPdfWidgets.QPdfView and QtPrintSupport.QPrintDialog
