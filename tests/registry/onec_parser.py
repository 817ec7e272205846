"""An independent reader of 1CClientBankExchange files, written from the format's description
(v8.1c.ru «Формат обмена данными 1С:Предприятие с системой Клиент банка», version 1.03), not from the writer:

* the file is text in the encoding the header names (``Кодировка=Windows`` → windows-1251), lines end in CRLF;
* the first line is the marker ``1CClientBankExchange``; the last is ``КонецФайла``;
* every other line is ``Ключ=Значение`` (a value may be empty);
* ``СекцияРасчСчет`` … ``КонецРасчСчет`` holds the balances of one account for the period;
* ``СекцияДокумент=<вид документа>`` … ``КонецДокумента`` is one document;
* dates are ``ДД.ММ.ГГГГ``, times ``ЧЧ:ММ:СС``, sums rubles with a point as the decimal separator.
(No tests here.)"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class FormatError(Exception):
    pass


@dataclass
class OneCFile:
    header: dict[str, str] = field(default_factory=dict)
    accounts: list[dict[str, str]] = field(default_factory=list)
    documents: list[dict[str, str]] = field(default_factory=list)


_ENCODINGS = {"Windows": "cp1251", "DOS": "cp866"}


def kopecks(text: str) -> int:
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]{1,2})?", text):
        raise FormatError(f"bad sum {text!r}")
    return int(Decimal(text) * 100)


def day(text: str) -> date:
    return datetime.strptime(text, "%d.%m.%Y").date()


def parse(raw: bytes) -> OneCFile:
    if not raw.endswith(b"\r\n") or b"\n" in raw.replace(b"\r\n", b""):
        raise FormatError("lines must end in CRLF")
    head = raw.split(b"\r\n", 4)
    enc_line = next((x for x in head if x.startswith("Кодировка=".encode("cp1251"))), None)
    if enc_line is None:
        raise FormatError("no Кодировка in the header")
    encoding = _ENCODINGS[enc_line.decode("cp1251").split("=", 1)[1]]
    lines = raw.decode(encoding).split("\r\n")[:-1]
    if lines[0] != "1CClientBankExchange" or lines[-1] != "КонецФайла":
        raise FormatError("missing file markers")
    out = OneCFile()
    current: dict[str, str] | None = None
    closing = ""
    for line in lines[1:-1]:
        if current is None and line == "СекцияРасчСчет":
            current, closing = {}, "КонецРасчСчет"
            continue
        if current is None and line.startswith("СекцияДокумент="):
            current, closing = {"СекцияДокумент": line.split("=", 1)[1]}, "КонецДокумента"
            continue
        if current is not None and line == closing:
            (out.accounts if closing == "КонецРасчСчет" else out.documents).append(current)
            current = None
            continue
        if "=" not in line:
            raise FormatError(f"not key=value: {line!r}")
        key, value = line.split("=", 1)
        target = current if current is not None else out.header
        if key in target:
            raise FormatError(f"repeated key {key}")
        target[key] = value
    if current is not None:
        raise FormatError("unclosed section")
    return out
