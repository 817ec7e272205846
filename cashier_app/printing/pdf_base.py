"""reportlab helpers shared by every printed document.

All coordinates handed to the helpers are millimetres measured from the *top*
left corner of a :class:`Sheet` (forms are specified that way), converted to
PDF points in one place.  Canvases are created with ``invariant=1`` so a
reprint of the same DTO is byte-identical (no creation date, no random ID),
and fonts are TrueType subsets so a page stays a few tens of kilobytes.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from cashier_app.domain.errors import ValidationError
from cashier_app.printing.qr_layout import QR_MAX_SYMBOL_MM as QR_MAX_SYMBOL_MM
from cashier_app.printing.qr_layout import QR_MIN_MODULE_MM as QR_MIN_MODULE_MM
from cashier_app.printing.qr_layout import QR_QUIET_MODULES as QR_QUIET_MODULES
from cashier_app.printing.qr_layout import draw_qr
from cashier_app.printing.qr_layout import fit_qr_matrix as fit_qr_matrix
from cashier_app.printing.qr_layout import qr_module_mm as qr_module_mm
from cashier_app.printing.wording import MONTHS_GENITIVE as MONTHS_GENITIVE
from cashier_app.printing.wording import TECH_CODE_NAMES as TECH_CODE_NAMES
from cashier_app.printing.wording import date_long as date_long
from cashier_app.printing.wording import date_ru as date_ru
from cashier_app.printing.wording import money_text as money_text
from cashier_app.printing.wording import rate_note as rate_note
from cashier_app.printing.wording import rate_text as rate_text
from cashier_app.printing.wording import rub_kop as rub_kop
from cashier_app.printing.wording import tech_code_text as tech_code_text
from cashier_app.resources import FONTS


class TextDoesNotFit(ValidationError, ValueError):
    """Text that would run over its box even at the smallest type: refused, never clipped.

    A ValidationError so the cashier sees which text (a user can shorten it);
    a ValueError for callers that caught the layout failure before.
    """

    def __init__(self, text: str, width_mm: float, min_size: float) -> None:
        super().__init__("Текст документа", f"«{text}» не помещается в {width_mm:g} мм даже шрифтом {min_size:g} пт")


# Font aliases used by the layouts.  Only the condensed regular face is ever
# embedded: each embedded DejaVu subset costs 12–19 KB (reportlab copies the
# hinting and the name table), and the 40 KB-per-page budget has room for one.
# "Bold" is the same face drawn with fill + stroke (text render mode 2).
COND = "CashierCond"
COND_BOLD = "CashierCond-Bold"
SANS = COND
SANS_BOLD = COND_BOLD
_FONT_FILES = {COND: "DejaVuSansCondensed.ttf"}
_FAKE_BOLD = {COND_BOLD: COND}
_BOLD_STROKE = 0.045  # stroke width as a fraction of the font size
_fonts_lock = threading.Lock()
_fonts_ready = False


PAGE_A4 = A4


def ensure_fonts() -> None:
    """Register the DejaVu faces once per process (parsing a TTF costs ~20 ms)."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        for alias, filename in _FONT_FILES.items():
            path = FONTS / filename
            if not path.is_file():
                raise FileNotFoundError(f"font missing from the package: {path}")
            pdfmetrics.registerFont(TTFont(alias, str(path)))
        _fonts_ready = True


def new_canvas(target: str | os.PathLike[str] | BinaryIO, pagesize: tuple[float, float] = A4) -> Canvas:
    """A deterministic canvas: no timestamps, no random document ID, compressed pages."""
    ensure_fonts()
    return Canvas(
        target,
        pagesize=pagesize,
        invariant=1,
        pageCompression=1,
        initialFontName=COND,  # otherwise an unused Helvetica entry lands in every file
        initialFontSize=9,
    )


def text_width(text: str, font: str, size: float) -> float:
    """Width in points (a fake-bold string is as wide as the regular one plus its stroke)."""
    base = _FAKE_BOLD.get(font)
    if base is None:
        return pdfmetrics.stringWidth(text, font, size)
    return pdfmetrics.stringWidth(text, base, size) + size * _BOLD_STROKE


def _umask_mode() -> int:
    """0o666 minus the umask: mkstemp makes 0600 files, a printed PDF should not be."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write to a temp file next to ``path`` and move it into place.

    A reader (the print spooler, a viewer) never sees half a PDF, and a crash
    leaves the previous file intact.
    """
    target = Path(path)
    if target.exists() and not target.is_file():
        # os.replace would swap a device (/dev/full, /dev/null) or a pipe for a regular file.
        raise OSError(errno.EINVAL, "не обычный файл", str(target))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def wrap_text(text: str, font: str, size: float, width_pt: float) -> list[str]:
    """Greedy word wrap; a word longer than the line is cut between characters.

    No hyphen is added when cutting, so the printed text minus whitespace is
    the source text minus whitespace (what the tests compare with the QR).
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, font, size) <= width_pt:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while text_width(word, font, size) > width_pt:
            cut = len(word) - 1
            while cut > 1 and text_width(word[:cut], font, size) > width_pt:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


@dataclass(slots=True)
class Sheet:
    """A canvas plus an origin: (x, y) in mm from the top-left of a form."""

    c: Canvas
    left_mm: float
    top_mm: float  # distance of the form's top edge from the page's top edge
    page_h: float = A4[1]

    def x(self, x_mm: float) -> float:
        return (self.left_mm + x_mm) * mm

    def y(self, y_mm: float) -> float:
        return self.page_h - (self.top_mm + y_mm) * mm

    # -- lines and boxes -------------------------------------------------
    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.5) -> None:
        self.c.setLineWidth(width)
        self.c.line(self.x(x1), self.y(y1), self.x(x2), self.y(y2))

    def hline(self, x1: float, x2: float, y: float, width: float = 0.4) -> None:
        self.line(x1, y, x2, y, width)

    def rect(self, x: float, y: float, w: float, h: float, width: float = 0.6, dash: bool = False) -> None:
        self.c.setLineWidth(width)
        if dash:
            self.c.setDash(2, 2)
        self.c.rect(self.x(x), self.y(y + h), w * mm, h * mm, stroke=1, fill=0)
        if dash:
            self.c.setDash()

    # -- text ------------------------------------------------------------
    def text(
        self,
        x: float,
        y: float,
        s: str,
        font: str = COND,
        size: float = 8,
        align: str = "left",
    ) -> None:
        """Text whose baseline is at ``y`` mm."""
        c = self.c
        base = _FAKE_BOLD.get(font)
        mode = None
        if base is not None:
            font, mode = base, 2
            c.saveState()
            c.setLineWidth(size * _BOLD_STROKE)
        c.setFont(font, size)
        if align == "center":
            c.drawCentredString(self.x(x), self.y(y), s, mode=mode)
        elif align == "right":
            c.drawRightString(self.x(x), self.y(y), s, mode=mode)
        else:
            c.drawString(self.x(x), self.y(y), s, mode=mode)
        if mode is not None:
            c.restoreState()

    def fit_text(
        self,
        x: float,
        y: float,
        s: str,
        width_mm: float,
        font: str = COND,
        size: float = 9,
        min_size: float = 5.5,
        align: str = "left",
    ) -> float:
        """One line shrunk until it fits ``width_mm``; returns the size used.

        Refuses (ValueError) rather than letting text run over the next box:
        a payment document with clipped requisites is worse than none.
        """
        width_pt = width_mm * mm
        w = text_width(s, font, size)
        if w > width_pt:
            # Width is proportional to size: one measurement, then round down to 0.25 pt.
            size = int(size * width_pt / w * 4) / 4
            if size < min_size or text_width(s, font, size) > width_pt:
                raise TextDoesNotFit(s, width_mm, min_size)
        self.text(x, y, s, font, size, align)
        return size

    def wrapped(
        self,
        x: float,
        y: float,
        s: str,
        width_mm: float,
        max_lines: int,
        leading_mm: float,
        font: str = COND,
        size: float = 9,
        min_size: float = 5.0,
    ) -> int:
        """Word-wrapped text, first baseline at ``y``; shrinks to fit ``max_lines``.

        Returns the number of lines drawn.
        """
        width_pt = width_mm * mm
        lines = wrap_text(s, font, size, width_pt)
        while len(lines) > max_lines and size > min_size:
            size = round(size - 0.25, 2)
            lines = wrap_text(s, font, size, width_pt)
        if len(lines) > max_lines:
            raise ValueError(f"text does not fit {max_lines} lines of {width_mm} mm: {s!r}")
        # Shrinking the font shrinks the leading with it, so the block stays in its box.
        leading = min(leading_mm, size * 0.3528 * 1.2) if len(lines) > 1 else leading_mm
        for i, line in enumerate(lines):
            self.text(x, y + i * leading, line, font, size)
        return len(lines)

    def caption(self, x: float, y: float, s: str, width_mm: float | None = None, size: float = 5.5) -> None:
        """Small explanatory text under a line (the «(наименование ...)» captions)."""
        if width_mm is None:
            self.text(x, y, s, COND, size, "center")
        else:
            self.fit_text(x, y, s, width_mm, COND, size, 4.0, "center")

    def table(
        self,
        x: float,
        y: float,
        rows: Sequence[tuple[str, str]],
        label_w: float,
        width: float,
        size: float = 9,
        pad: float = 1.4,
    ) -> float:
        """A ruled two-column table (label | value); values wrap.  Returns the bottom y."""
        leading = size * 0.3528 * 1.25
        value_w = (width - label_w - 2 * pad) * mm
        label_wpt = (label_w - 2 * pad) * mm
        top = y
        for label, value in rows:
            v_lines = wrap_text(value, COND, size, value_w) or [""]
            l_lines = wrap_text(label, COND, size, label_wpt) or [""]
            h = max(len(v_lines), len(l_lines)) * leading + 2 * pad
            for i, line in enumerate(l_lines):
                self.text(x + pad, y + pad + (i + 0.8) * leading, line, COND, size)
            for i, line in enumerate(v_lines):
                self.text(x + label_w + pad, y + pad + (i + 0.8) * leading, line, COND_BOLD, size)
            y += h
            self.hline(x, x + width, y, 0.4)
        self.hline(x, x + width, top, 0.4)
        self.line(x, top, x, y, 0.4)
        self.line(x + label_w, top, x + label_w, y, 0.4)
        self.line(x + width, top, x + width, y, 0.4)
        return y

    # -- digit cells -----------------------------------------------------
    def cells(
        self,
        x: float,
        y: float,
        count: int,
        value: str = "",
        cell_w: float = 3.6,
        cell_h: float = 4.2,
        font: str = COND,
        size: float = 8.5,
        line_width: float = 0.4,
    ) -> float:
        """``count`` cells with the top-left corner at (x, y); returns the right edge in mm.

        The value is drawn as one text run with character spacing, one
        character per cell: it prints centred in the cells yet extracts as one
        word (``7707083893``), which is what a reader and the tests expect.
        """
        if len(value) > count:
            raise ValueError(f"{value!r} has {len(value)} characters, the form has {count} cells")
        c = self.c
        c.setLineWidth(line_width)
        x0, y_top, y_bot = self.x(x), self.y(y), self.y(y + cell_h)
        w_pt = cell_w * mm
        path = c.beginPath()
        path.rect(x0, y_bot, count * w_pt, y_top - y_bot)
        for i in range(1, count):
            xi = x0 + i * w_pt
            path.moveTo(xi, y_bot)
            path.lineTo(xi, y_top)
        c.drawPath(path, stroke=1, fill=0)
        font = _FAKE_BOLD.get(font, font)
        base_y = y_bot + (y_top - y_bot - size * 0.72) / 2
        if value and not value.isdigit() and len({text_width(ch, font, size) for ch in value}) > 1:
            # Proportional letters: centre each one in its cell.
            c.setFont(font, size)
            for i, ch in enumerate(value):
                if not ch.isspace():
                    c.drawCentredString(x0 + (i + 0.5) * w_pt, base_y, ch)
        elif value:
            # Same-width glyphs (DejaVu digits are tabular): one run with
            # character spacing centres every glyph and extracts as one word.
            glyph_w = text_width(value[0], font, size)
            t = c.beginText()
            t.setFont(font, size)
            t.setCharSpace(w_pt - glyph_w)
            t.setTextOrigin(x0 + (w_pt - glyph_w) / 2, base_y)
            t.textOut(value)
            # Tc is graphics state in PDF: without q/Q it would space out every later string.
            c.saveState()
            c.drawText(t)
            c.restoreState()
        return x + count * cell_w

    # -- QR ---------------------------------------------------------------
    def qr(
        self,
        matrix: Sequence[Sequence[bool]],
        x: float,
        y: float,
        box_mm: float,
        max_module_mm: float = 0.85,
        *,
        quiet_in_box: bool = True,
        payload: bytes | None = None,
    ) -> float:
        """Vector QR code inside a ``box_mm`` square, top-left (x, y).

        Returns the module size used, in mm.  With ``payload`` a code too big
        for the box is re-made at error-correction level L (denser) before
        ValidationError says it cannot be printed with modules ≥ 0.4064 mm.
        """
        return draw_qr(self.c, matrix, self.x(x), self.y(y), box_mm, max_module_mm, quiet_in_box=quiet_in_box,
                       payload=payload)


# -- saving -----------------------------------------------------------------------

_a85_lock = threading.Lock()


def finish(c: Canvas) -> None:
    """``c.save()`` without ASCII85 on the page streams.

    reportlab wraps compressed streams in ASCII85 by default (+25 % size) and
    only has a process-wide switch for it; flip it just for our save.
    """
    with _a85_lock:
        saved = rl_config.useA85
        rl_config.useA85 = 0
        try:
            c.save()
        finally:
            rl_config.useA85 = saved


# -- streaming concatenation of reportlab PDFs --------------------------------------

_REF = re.compile(rb"(\d+) 0 R")
_XREF = re.compile(rb"\nxref\n0 (\d+)\n")


class StreamingPdfWriter:
    """Append whole reportlab-made PDFs (one chunk of pages each) to one output PDF.

    reportlab keeps every page of a canvas in memory until ``save()``, so a
    10 000-receipt batch cannot be one canvas.  Instead each chunk is a small
    complete PDF; its objects are renumbered and written out immediately, and
    only the page ids and object offsets (a few integers per page) are kept
    until ``close()`` writes the page tree and the cross-reference table.

    It relies on reportlab's output shape (classic xref table, no object
    streams, dictionaries before ``stream``), which is what ``new_canvas`` makes.
    """

    _CATALOG, _PAGES, _INFO = 1, 2, 3

    def __init__(self, path_or_file: str | os.PathLike[str] | BinaryIO, *, title: str = "") -> None:
        self._title = title
        self._tmp: Path | None = None
        self._target: Path | None = None
        if isinstance(path_or_file, (str, os.PathLike)):
            self._target = Path(path_or_file)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self._target.name}.", suffix=".tmp", dir=self._target.parent
            )
            self._tmp = Path(tmp)
            self._fh: BinaryIO = os.fdopen(fd, "wb")
        else:
            self._fh = path_or_file
        self._pos = 0
        self._offsets: list[int] = [0, 0, 0, 0]  # index = object id; 1–3 written at close
        self._kids: list[int] = []
        self._done = False
        self._write(b"%PDF-1.3\n%\x93\x8c\x8b\x9e\n")

    @property
    def page_count(self) -> int:
        return len(self._kids)

    def _write(self, data: bytes) -> None:
        self._fh.write(data)
        self._pos += len(data)

    def append_pdf(self, pdf: bytes) -> None:
        if self._done:
            raise RuntimeError("writer is closed")
        m = _XREF.search(pdf, pdf.rfind(b"\nxref\n"))
        if m is None:
            raise ValueError("not a reportlab PDF: no xref table")
        n = int(m.group(1))
        table = pdf[m.end() : m.end() + 20 * n]
        offsets = [int(table[i * 20 : i * 20 + 10]) for i in range(n)]
        trailer = pdf[m.end() + 20 * n :]
        root = int(re.search(rb"/Root (\d+) 0 R", trailer).group(1))  # type: ignore[union-attr]
        info_m = re.search(rb"/Info (\d+) 0 R", trailer)
        ends = sorted([*offsets[1:], m.start() + 1])

        def body(obj_id: int) -> bytes:
            start = offsets[obj_id]
            end = ends[ends.index(start) + 1]
            chunk = pdf[start:end]
            return chunk[chunk.index(b"obj") + 3 :]

        catalog = body(root)
        pages_id = int(re.search(rb"/Pages (\d+) 0 R", catalog).group(1))  # type: ignore[union-attr]
        kids_m = re.search(rb"/Kids \[([^\]]*)\]", body(pages_id))
        kids = [int(k) for k in _REF.findall(kids_m.group(1))] if kids_m else []
        skip = {root, pages_id}
        if info_m:
            skip.add(int(info_m.group(1)))
        skip.update(int(k) for k in re.findall(rb"/Outlines (\d+) 0 R", catalog))

        mapping = {pages_id: self._PAGES}
        next_id = len(self._offsets)
        for old in range(1, n):
            if old not in skip:
                mapping[old] = next_id
                next_id += 1

        def renumber(match: re.Match[bytes]) -> bytes:
            return b"%d 0 R" % mapping[int(match.group(1))]

        for old in range(1, n):
            if old in skip:
                continue
            data = body(old)
            cut = data.find(b"\nstream\n")
            head, tail = (data, b"") if cut < 0 else (data[:cut], data[cut:])
            self._offsets.append(self._pos)
            self._write(b"%d 0 obj" % mapping[old] + _REF.sub(renumber, head) + tail)
        self._kids.extend(mapping[k] for k in kids)

    def close(self) -> None:
        if self._done:
            return
        kids = " ".join(f"{k} 0 R" for k in self._kids)
        title = self._title.encode("utf-16-be").hex().upper()
        fixed = {
            self._CATALOG: f"<< /Type /Catalog /Pages {self._PAGES} 0 R >>",
            self._PAGES: f"<< /Type /Pages /Count {len(self._kids)} /Kids [ {kids} ] >>",
            self._INFO: f"<< /Producer (cashier-app, ReportLab) /Title <FEFF{title}> >>",
        }
        for obj_id, text in fixed.items():
            self._offsets[obj_id] = self._pos
            self._write(f"{obj_id} 0 obj\n{text}\nendobj\n".encode("ascii"))
        xref_pos = self._pos
        lines = [f"xref\n0 {len(self._offsets)}\n0000000000 65535 f \n"]
        lines.extend(f"{off:010d} 00000 n \n" for off in self._offsets[1:])
        lines.append(
            f"trailer\n<< /Size {len(self._offsets)} /Root {self._CATALOG} 0 R /Info {self._INFO} 0 R >>\n"
            f"startxref\n{xref_pos}\n%%EOF\n"
        )
        self._write("".join(lines).encode("ascii"))
        self._done = True
        if self._tmp is not None and self._target is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            os.chmod(self._tmp, _umask_mode())
            os.replace(self._tmp, self._target)
            self._tmp = None
        else:
            self._fh.flush()

    def abort(self) -> None:
        """Stop; a temp file is removed and the target path is left as it was."""
        self._done = True
        if self._tmp is not None:
            self._fh.close()
            self._tmp.unlink(missing_ok=True)
            self._tmp = None
