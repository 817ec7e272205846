"""Register rendering without a database: the 1C file read back by an independent parser, CSV
read back by ``csv``, and a character cp1251 cannot write refused with the field and payment named."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashier_app.domain import registry_layout as rl
from cashier_app.domain.errors import ValidationError
from cashier_app.services.registry_export import Line, render_1c, render_csv
from tests.registry import onec_parser

PAYEE: Any = SimpleNamespace(name="ООО «Интерра»", inn="4027001231", kpp="402701001", bic="044525225",
                             bank_name="ПАО СБЕРБАНК", account="40702810138250123017",
                             corr_account="30101810400000000225", purpose_template="Оплата по л/с {account}")
AGENT = rl.from_json({**rl.DEFAULT.as_json(), "payer_name": "ИП Кассов", "payer_inn": "402700123456",
                      "payer_account": "40802810000000000001"})
DAY = date(2026, 4, 1)
ZONE = UTC


def _line(i: int, minor: int, name: str = "Иванов Иван") -> Line:
    return Line(number=f"P-{i:09d}", kind="payment" if minor > 0 else "refund",
                settled_at=datetime(2026, 4, 1, 9, tzinfo=UTC) + timedelta(seconds=i), amount_minor=minor,
                account=f"{270000 + i}", full_name=name, address="Калуга, ул. Ленина, д. 1", method="наличные",
                desk="desk-1", cashier="Кассир", purpose=f"Оплата по л/с {270000 + i}", txn_id=f"48291300000{i:04d}")


amounts = st.lists(st.integers(min_value=-5_000_000, max_value=15_000_000_00).filter(bool), max_size=25)


@settings(max_examples=30)
@given(amounts)
def test_1c_reads_back_the_same_sums_and_count(values: list[int]) -> None:
    lines = [_line(i + 1, v) for i, v in enumerate(values)]
    parsed = onec_parser.parse(render_1c(lines, AGENT, PAYEE, ZONE, DAY, DAY))
    assert parsed.header["ВерсияФормата"] == "1.03" and parsed.header["Кодировка"] == "Windows"
    assert parsed.header["РасчСчет"] == PAYEE.account
    assert onec_parser.day(parsed.header["ДатаНачала"]) == DAY == onec_parser.day(parsed.header["ДатаКонца"])
    assert len(parsed.documents) == len(values)
    for doc, line in zip(parsed.documents, lines, strict=True):
        assert doc["СекцияДокумент"] == "Платежное поручение"
        assert onec_parser.kopecks(doc["Сумма"]) == abs(line.amount_minor)
        assert doc["Номер"] == str(int(line.number[2:]))
        assert onec_parser.day(doc["Дата"]) == DAY
        assert doc["ВидОплаты"] == "01" and doc["Очередность"] == "5"
        incoming = doc["ПолучательСчет"] == PAYEE.account and doc["ПолучательИНН"] == PAYEE.inn
        outgoing = doc["ПлательщикСчет"] == PAYEE.account and doc["ПлательщикИНН"] == PAYEE.inn
        assert (incoming, outgoing) == (line.amount_minor > 0, line.amount_minor < 0)
        assert line.account in doc["НазначениеПлатежа"]
    (acc,) = parsed.accounts
    got_in = sum(onec_parser.kopecks(d["Сумма"]) for d, x in zip(parsed.documents, lines, strict=True)
                 if x.amount_minor > 0)
    assert onec_parser.kopecks(acc["ВсегоПоступило"]) == got_in == sum(v for v in values if v > 0)
    assert onec_parser.kopecks(acc["ВсегоСписано"]) == -sum(v for v in values if v < 0)
    assert onec_parser.kopecks(acc["КонечныйОстаток"]) - onec_parser.kopecks(acc["НачальныйОстаток"]) == sum(values)


def test_1c_refund_goes_the_other_way_with_an_agent() -> None:
    parsed = onec_parser.parse(render_1c([_line(1, 500), _line(2, -200)], AGENT, PAYEE, ZONE, DAY, DAY))
    pay, back = parsed.documents
    assert pay["Плательщик"] == "ИП Кассов" and pay["ПолучательСчет"] == PAYEE.account
    assert back["ПлательщикСчет"] == PAYEE.account and back["Получатель"] == "ИП Кассов"


@settings(max_examples=30)
@given(amounts, st.sampled_from(rl.AMOUNT_FORMATS), st.sampled_from(sorted(rl.SEPARATORS)))
def test_csv_reads_back(values: list[int], fmt: str, sep: str) -> None:
    if fmt == "1234,50" and sep == ",":
        return  # refused by the layout (test_layout)
    lay = rl.from_json({**rl.DEFAULT.as_json(), "amount_format": fmt, "separator": sep,
                        "columns": ["txn_id", "account", "full_name", "amount"]})
    lines = [_line(i + 1, v, name='Ива;нов, "Иван"') for i, v in enumerate(values)]
    text = render_csv(lines, lay, PAYEE, ZONE).decode("cp1251")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    assert rows[0] == ["Номер операции", "Лицевой счёт", "ФИО", "Сумма"]
    body, total = rows[1:-1], rows[-1]
    assert [rl.parse_amount(r[3], fmt) for r in body] == values
    assert all(r[2] == 'Ива;нов, "Иван"' for r in body)
    assert total[0] == "ИТОГО" and int(total[1]) == len(values) and rl.parse_amount(total[2], fmt) == sum(values)


def test_cp1251_refuses_a_character_naming_field_and_payment() -> None:
    lines = [_line(1, 100), _line(2, 100, name="Ли Сяо 李")]
    with pytest.raises(ValidationError) as exc:
        render_csv(lines, rl.DEFAULT, PAYEE, ZONE)
    assert exc.value.field == "ФИО" and "P-000000002" in exc.value.message and "李" in exc.value.message
    with pytest.raises(ValidationError) as exc:
        render_1c(lines, rl.DEFAULT, PAYEE, ZONE, DAY, DAY)
    assert "000000002" in exc.value.message or "№ 2" in exc.value.message
    utf8 = rl.from_json({**rl.DEFAULT.as_json(), "encoding": "utf-8"})
    assert "李" in render_csv(lines, utf8, PAYEE, ZONE).decode("utf-8")


def test_a_newline_in_a_1c_value_is_refused() -> None:
    with pytest.raises(ValidationError):
        render_1c([_line(1, 100, name="Иванов\r\nСекцияДокумент=Платежное поручение")], rl.DEFAULT, PAYEE,
                  ZONE, DAY, DAY)


def test_layout_without_header_lf_and_kopecks() -> None:
    lay = rl.from_json({**rl.DEFAULT.as_json(), "header": False, "crlf": False, "totals": False,
                        "amount_format": "kopecks", "columns": ["number", "amount", "date", "time"]})
    raw = render_csv([_line(1, 12345)], lay, PAYEE, ZONE)
    assert raw == b"P-000000001;12345;01.04.2026;09:00:01\n"
