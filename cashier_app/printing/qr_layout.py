"""Placing a QR code on a document: the module size the box allows, and the drawing.

GOST R 56042 5.4.3 fixes the module (≥ 0.4064 mm) and the symbol (≤ 80 mm);
the box is the document's.  Before refusing, a code is tried at whole 600 dpi
dots, then at exactly the minimum module, then re-made at error-correction
level L — and a refusal quotes the very figures the check compared.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from cashier_app.domain.errors import ValidationError

# GOST R 56042 5.4.3: module ≥ 0.4064 mm, symbol ≤ 80 mm.  Modules are snapped
# to whole dots of a 600 dpi printer so every module prints the same width.
QR_MIN_MODULE_MM = 0.4064
QR_MAX_SYMBOL_MM = 80.0
QR_QUIET_MODULES = 4
_DOT_MM = 25.4 / 600


def qr_module_mm(
    n_modules: int, box_mm: float, max_module_mm: float = 0.85, *, quiet_in_box: bool = True
) -> float:
    """Largest module so the code (plus its quiet zone) fits the box.

    Whole 600 dpi dots when that reaches the standard's 0.4064 mm minimum (the
    crispest print); otherwise exactly the minimum if the code fits at it.  The
    refusal quotes the very figures this check compares.
    """
    total = n_modules + (2 * QR_QUIET_MODULES if quiet_in_box else 0)
    module = min(box_mm / total, max_module_mm, QR_MAX_SYMBOL_MM / n_modules)
    aligned = int(module / _DOT_MM) * _DOT_MM
    if aligned >= QR_MIN_MODULE_MM:
        return aligned
    if module >= QR_MIN_MODULE_MM:
        return QR_MIN_MODULE_MM
    # A user-fixable problem (too much text in the requisites), not a crash.
    need = total * QR_MIN_MODULE_MM
    zone = "" if quiet_in_box else " без полей"
    raise ValidationError(
        "QR-код",
        f"реквизиты не помещаются в QR-код бланка: модулей в стороне кода {n_modules}"
        f"{f' + {2 * QR_QUIET_MODULES} на поля' if quiet_in_box else ''}, × {QR_MIN_MODULE_MM} мм = "
        f"{need:.1f} мм, а на бланке {box_mm:g} мм{zone}; сократите назначение платежа или адрес",
    )


def fit_qr_matrix(
    matrix: Sequence[Sequence[bool]],
    box_mm: float,
    max_module_mm: float = 0.85,
    *,
    quiet_in_box: bool = True,
    payload: bytes | None = None,
) -> tuple[Sequence[Sequence[bool]], float]:
    """(matrix, module mm) to print: the given code, else the same payload at level L.

    Level M is kept whenever it fits (it survives a worn print better); L is
    the densest the reader still takes, and only after it is a code refused.
    """
    try:
        return matrix, qr_module_mm(len(matrix), box_mm, max_module_mm, quiet_in_box=quiet_in_box)
    except ValidationError:
        if payload is None:
            raise
    from cashier_app.printing.qr import qr_matrix  # the encoder is heavy; only long requisites need it

    dense = qr_matrix(payload, ec_level="L")
    return dense, qr_module_mm(len(dense), box_mm, max_module_mm, quiet_in_box=quiet_in_box)


def draw_qr(
    c: Canvas,
    matrix: Sequence[Sequence[bool]],
    left_pt: float,
    top_pt: float,
    box_mm: float,
    max_module_mm: float = 0.85,
    *,
    quiet_in_box: bool = True,
    payload: bytes | None = None,
) -> float:
    """Draw ``matrix`` as filled vector rectangles centred in the box; returns module mm.

    With ``quiet_in_box=False`` only the symbol must fit the box (a form's
    fixed 2D-code zone) and the white quiet zone may extend around it; the
    layout keeps that margin free.
    """
    matrix, module = fit_qr_matrix(matrix, box_mm, max_module_mm, quiet_in_box=quiet_in_box, payload=payload)
    n = len(matrix)
    m_pt = module * mm
    side_pt = n * m_pt
    box_pt = box_mm * mm
    # Centre the symbol; around it is the (white) quiet zone.
    x0 = left_pt + (box_pt - side_pt) / 2
    y0 = top_pt - (box_pt - side_pt) / 2
    q_pt = QR_QUIET_MODULES * m_pt
    c.saveState()
    c.setFillColorRGB(1, 1, 1)
    c.rect(x0 - q_pt, y0 - side_pt - q_pt, side_pt + 2 * q_pt, side_pt + 2 * q_pt, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    # One rectangle per horizontal run of dark modules, all in one path: about a
    # third of the operators of one-per-module and no hairline seams between them.
    parts: list[str] = []
    for r, row in enumerate(matrix):
        y = y0 - (r + 1) * m_pt
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                parts.append(f"{x0 + start * m_pt:.3f} {y:.3f} {(col - start) * m_pt:.3f} {m_pt:.3f} re")
            else:
                col += 1
    if parts:
        # Raw operators: reportlab's path object costs ~10 µs per rectangle,
        # which is most of a receipt's drawing time in a 10 000-receipt batch.
        c._code.append("\n".join(parts) + "\nf")
    c.restoreState()
    return module
