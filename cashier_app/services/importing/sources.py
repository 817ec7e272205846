"""Reading a billing's or an operator's export: CSV (any of the usual encodings and separators) or XLSX.

``read_table(path)`` → ``Table`` with the detected ``encoding`` / ``delimiter``, the header as written
and a streaming ``rows()`` iterator, so a million-row file never sits in memory.  Shared by the
importers and the register reconciliation (``registry_reconcile.py``).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr

# How much of the file decides the encoding and the separator.  Big enough for several rows of a
# wide export; an undecodable byte after the sample is still caught while streaming (named by line).
_SAMPLE_BYTES = 256 * 1024
_DELIMITERS = (";", ",", "\t", "|")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1251")
_XLSX_MAGIC = b"PK\x03\x04"
FILE = N_("файл")  # the field of every refusal that names the file

# csv's default field limit (128 KiB) is a parse error on a legit long address column; a hostile
# file with a single 10 MB field must still be refused rather than read into memory.
csv.field_size_limit(1024 * 1024)


@dataclass(slots=True)
class Table:
    """A file's header and a way to stream its data rows.

    ``encoding``: ``utf-8`` | ``utf-8-sig`` | ``cp1251`` | ``xlsx``; ``delimiter``: the CSV separator
    (``None`` for XLSX).  ``columns``: the header cells, stripped (a BOM never sticks to the first).
    ``rows()`` yields ``(line_no, values)``; ``line_no`` is the file's line (header = 1) — for XLSX the
    sheet's row number; ``values`` are strings, padded/cut to ``len(columns)`` only by the caller.
    Fully blank rows are skipped (a trailing empty line is not a bad row).
    """

    path: Path
    encoding: str
    delimiter: str | None
    columns: list[str]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        if self.encoding == "xlsx":
            yield from _xlsx_rows(self.path)
        else:
            yield from _csv_rows(self.path, self.encoding, self.delimiter or ";")


def read_table(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> Table:
    """Open ``path`` and read its header; encoding and separator are detected unless given.

    Raises ``ValidationError(FILE, …)`` naming the file when it cannot be read: missing, empty,
    neither UTF-8 nor windows-1251, no header.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(_SAMPLE_BYTES)
    except OSError as exc:
        raise ValidationError(FILE, tr("{name}: не удалось прочитать ({error})", name=path.name,
                                       error=exc.strerror or exc)) from None
    if not head.strip():
        raise ValidationError(FILE, tr("{name}: файл пуст", name=path.name))
    if head.startswith(_XLSX_MAGIC) or path.suffix.lower() in (".xlsx", ".xlsm"):
        columns = _xlsx_header(path)
        return Table(path, "xlsx", None, columns)
    if encoding is None:
        encoding = detect_encoding(head, path.name)
    else:
        encoding = encoding.lower().replace("windows-1251", "cp1251").replace("utf8", "utf-8")
        if encoding not in ENCODINGS:
            raise ValidationError(N_("кодировка"), tr("неизвестная кодировка «{encoding}»: utf-8 или cp1251",
                                                      encoding=encoding))
    text = _decode_sample(head, encoding)
    first_line = text.splitlines()[0] if text.splitlines() else ""
    if delimiter is None:
        delimiter = detect_delimiter(first_line)
    elif delimiter not in _DELIMITERS:
        raise ValidationError(N_("разделитель"), tr("неизвестный разделитель «{delimiter}»: ; , | или табуляция",
                                                    delimiter=delimiter))
    for _line, values in _csv_rows(path, encoding, delimiter, header=True):
        columns = [v.strip().lstrip("\ufeff").strip() for v in values]
        if not any(columns):
            break
        return Table(path, encoding, delimiter, columns)
    raise ValidationError(FILE, tr("{name}: нет строки заголовка", name=path.name))


def detect_encoding(head: bytes, name: str = "") -> str:
    """UTF-8 (with or without BOM) when the sample decodes strictly as UTF-8, else windows-1251.

    A sample cut inside a multi-byte character is allowed (the incremental decoder keeps the tail).
    cp1251 maps all bytes but 0x98; a file with NUL bytes (UTF-16, a binary) is neither.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    name = name or tr("файл")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
        raise ValidationError(FILE, tr("{name}: не текст в UTF-8 или windows-1251 (UTF-16 или двоичный файл)",
                                       name=name))
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1251")
    except UnicodeDecodeError:
        raise ValidationError(FILE, tr("{name}: не текст в UTF-8 или windows-1251", name=name)) from None
    return "cp1251"


def detect_delimiter(header_line: str) -> str:
    """The separator that splits the header into the most cells (outside quotes); ``;`` on a tie.

    Decided on the header alone: data cells are full of commas («1 234,50», «ул. Ленина, 5»).
    """
    best, best_n = ";", 0
    for d in _DELIMITERS:
        try:
            n = len(next(csv.reader([header_line], delimiter=d)))
        except (csv.Error, StopIteration):
            continue
        if n > best_n:
            best, best_n = d, n
    return best


def _decode_sample(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)("replace").decode(head, final=False)


def _decoded_lines(fh, path: Path, encoding: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Physical lines decoded one by one: a byte that is not ``encoding`` is named by its own line.

    Safe to split on ``\n`` before decoding: UTF-8 and cp1251 never use that byte inside a character.
    """
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    for n, raw in enumerate(fh, start=1):
        if n == 1 and encoding == "utf-8-sig":
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            yield raw.decode(codec)
        except UnicodeDecodeError:
            raise ValidationError(FILE, tr("{name}, строка {line}: байты не в кодировке {encoding}", name=path.name,
                                           line=n, encoding=encoding)) from None


def _csv_rows(path: Path, encoding: str, delimiter: str, *,
              header: bool = False) -> Iterator[tuple[int, list[str]]]:
    try:
        f = path.open("rb")
    except OSError as exc:
        raise ValidationError(FILE, tr("{name}: не удалось прочитать ({error})", name=path.name,
                                       error=exc.strerror or exc)) from None
    with f:
        reader = csv.reader(_decoded_lines(f, path, encoding), delimiter=delimiter)
        first = True
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ValidationError(FILE, tr("{name}, строка {line}: ошибка формата CSV ({error})",
                                               name=path.name, line=reader.line_num, error=exc)) from None
            # ``line_num`` counts physical lines read so far: the row's *last* line; a quoted
            # multi-line cell reports where the row ends, which is where an editor shows the cursor.
            if first:
                first = False
                if header:
                    yield reader.line_num, values
                    return
                continue
            if not any(v.strip() for v in values):
                continue
            yield reader.line_num, values


def _xlsx_open(path: Path):  # returns an openpyxl workbook
    from openpyxl import load_workbook  # imported here: startup of the CLI should not pay for it

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException for a bad file
        raise ValidationError(FILE, tr("{name}: не читается как XLSX ({error})", name=path.name,
                                       error=type(exc).__name__)) from None


def _cell_text(v: object) -> str:
    """An XLSX cell as the text a person sees: whole numbers without «.0», dates ISO."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        # A float cell is what Excel stored; repr is the shortest exact text (12.5 → «12.5»).
        return str(int(v)) if v.is_integer() else repr(v)
    if hasattr(v, "isoformat"):
        text = v.isoformat()  # type: ignore[union-attr]
        return text[:10] if text.endswith("T00:00:00") else text
    return str(v)


def _xlsx_header(path: Path) -> list[str]:
    wb = _xlsx_open(path)
    try:
        ws = wb.worksheets[0]
        for row in ws.iter_rows(min_row=1, max_row=1, values_only=True):
            cols = [_cell_text(v).strip().lstrip("\ufeff").strip() for v in row]
            while cols and not cols[-1]:
                cols.pop()
            if cols:
                return cols
    finally:
        wb.close()
    raise ValidationError(FILE, tr("{name}: нет строки заголовка", name=path.name))


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    wb = _xlsx_open(path)
    try:
        ws = wb.worksheets[0]
        for line, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
            values = [_cell_text(v) for v in row]
            if not any(v.strip() for v in values):
                continue
            yield line, values
    finally:
        wb.close()
