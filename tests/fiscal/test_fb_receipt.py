"""The receipt domain: defaults per payee kind, rule checks naming fields, the builder, JSON, the FNS QR."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.domain.errors import ValidationError

PHONES = {"agent_phone": "8 (912) 345-67-89", "operator_phone": "+7 495 123-45-67", "supplier_phone": "84951112233"}


def isp_rules(**kw: object) -> fr.FiscalRules:
    rules = fr.default_rules("isp", "ООО «Интерра»", "4027001231", **PHONES)
    return replace(rules, **kw) if kw else rules


def build(rules: fr.FiscalRules | None = None, **kw: object) -> fr.Receipt:
    args: dict[str, object] = {"operation": "sell", "amount_minor": 123450, "payment_type": "cash",
                               "item_name": None, "operator_name": "Иванова Анна", "operator_inn": None,
                               "contact": None, "electronically": False}
    args.update(kw)
    return fr.build_receipt(rules or isp_rules(), **args)  # type: ignore[arg-type]


def fields_of(errors: list[ValidationError]) -> set[str]:
    return {e.field for e in errors}


# --- defaults -------------------------------------------------------------------------------------

def test_isp_default_is_a_payment_agent_for_the_provider() -> None:
    r = fr.default_rules("isp", "ООО «Интерра»", "4027001231")
    assert (r.agent, r.payment_object, r.payment_method) == ("paying_agent", "payment", "full_prepayment")
    assert (r.supplier_name, r.supplier_inn) == ("ООО «Интерра»", "4027001231")
    assert r.mode == "atol_web" and r.url == "http://127.0.0.1:16732"
    # A payment agent must print three phones; the defaults cannot know them and say so.
    assert fields_of(fr.check_rules(r)) == {
        "Телефон платёжного агента", "Телефон оператора по приёму платежей", "Телефон поставщика"}


def test_travel_default_is_an_agent_with_the_operator_as_supplier() -> None:
    r = fr.default_rules("travel", "ООО «Пегас Ритейл»", "7714098763")
    assert (r.agent, r.payment_object, r.payment_method) == ("another", "service", "full_prepayment")
    assert (r.supplier_name, r.supplier_inn) == ("ООО «Пегас Ритейл»", "7714098763")
    assert fr.check_rules(r) == []


def test_other_kind_sells_for_itself() -> None:
    r = fr.default_rules("shop", "ООО «Ромашка»", "7707083893")
    assert r.agent == "none" and r.supplier_name is None and fr.check_rules(r) == []


def test_phones_are_normalised_by_clean_rules() -> None:
    r = fr.clean_rules(isp_rules())
    assert (r.agent_phone, r.operator_phone, r.supplier_phone) == ("+79123456789", "+74951234567", "+74951112233")


# --- check_rules ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field"), [
    ({"mode": "kkt"}, "Режим ККТ"),
    ({"url": "ftp://x"}, "Адрес ККТ (АТОЛ Web-сервер)"),
    ({"url": ""}, "Адрес ККТ (АТОЛ Web-сервер)"),
    ({"tax_system": "envd"}, "Система налогообложения"),
    ({"vat": "vat18"}, "НДС"),
    ({"agent": "broker"}, "Признак агента"),
    ({"payment_object": "goods"}, "Предмет расчёта"),
    ({"payment_method": "credit"}, "Способ расчёта"),
    ({"supplier_inn": "4027001232"}, "ИНН поставщика"),
    ({"supplier_inn": None}, "ИНН поставщика"),
    ({"supplier_name": " "}, "Поставщик (наименование)"),
    ({"supplier_name": "О" * 161}, "Поставщик (наименование)"),
    ({"agent_phone": "12345"}, "Телефон платёжного агента"),
    ({"operator_phone": "+7 495 123-45-6x"}, "Телефон оператора по приёму платежей"),
    ({"item_name": "Я" * 129}, "Наименование позиции"),
    ({"item_name": "Оплата\nуслуг"}, "Наименование позиции"),
    ({"company_email": "not-an-email"}, "E-mail организации"),
])
def test_a_bad_setting_is_named(change: dict[str, object], field: str) -> None:
    errors = fr.check_rules(isp_rules(**change))
    assert field in fields_of(errors), errors
    assert all(str(e).startswith(e.field + ": ") for e in errors)


def test_bank_payment_agent_is_refused_for_want_of_the_transfer_operator() -> None:
    errors = fr.check_rules(isp_rules(agent="bank_paying_agent", agent_operation="Платёж"))
    assert [e.field for e in errors] == ["Признак агента"] and "оператора перевода" in errors[0].message


def test_agent_operation_length() -> None:
    assert "Операция платёжного агента" in fields_of(fr.check_rules(isp_rules(agent_operation="x" * 25)))
    assert fr.check_rules(isp_rules(agent_operation="Приём платежа")) == []


def test_atol_online_needs_its_account_and_the_owner() -> None:
    errors = fr.check_rules(isp_rules(mode="atol_online", url="http://online.atol.ru/possystem/v5"))
    assert fields_of(errors) >= {"Адрес АТОЛ Онлайн", "Код группы АТОЛ Онлайн", "Логин АТОЛ Онлайн",
                                 "ИНН организации (владельца ККТ)", "E-mail организации", "Место расчётов"}
    good = isp_rules(mode="atol_online", url="https://online.atol.ru/possystem/v5", group_code="grp_1",
                     login="office", company_inn="7707083893", company_email="kassa@office.ru",
                     place="https://office.ru")
    assert fr.check_rules(good) == []
    # The sandbox on loopback may be plain http.
    assert fr.check_rules(replace(good, url="http://127.0.0.1:16732/possystem/v5")) == []
    assert "Код группы АТОЛ Онлайн" in fields_of(fr.check_rules(replace(good, group_code="группа")))


def test_no_register_checks_nothing_else_unless_the_bank_makes_receipts() -> None:
    bare = fr.FiscalRules(mode="none", tax_system="bogus")
    assert fr.check_rules(bare) == []
    assert "Система налогообложения" in fields_of(fr.check_rules(replace(bare, card_by_bank=True)))


def test_clean_rules_raises_the_first_problem() -> None:
    with pytest.raises(ValidationError) as err:
        fr.clean_rules(isp_rules(supplier_inn="123"))
    assert err.value.field == "ИНН поставщика"


# --- contacts -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "clean"), [
    ("8 912 345-67-89", "+79123456789"), ("+7 (912) 345 67 89", "+79123456789"), ("9123456789", "+79123456789"),
    ("79123456789", "+79123456789"), (" Anna@Mail.RU ", "Anna@mail.ru"), ("+49 30 1234567", "+49301234567"),
])
def test_contact_normalised(text: str, clean: str) -> None:
    assert fr.check_contact(text) == clean


@pytest.mark.parametrize("text", ["", "  ", "12345", "anna@", "@mail.ru", "anna@mail", "8912abc4567",
                                  "+7912345678901234", "a b@mail.ru", "x" * 60 + "@mail.ru", "+7\n9123456789",
                                  "++79123456789"])
def test_bad_contact_refused_with_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        fr.check_contact(text)
    assert err.value.field == "Телефон или e-mail покупателя"


# --- build_receipt --------------------------------------------------------------------------------

def test_built_receipt_carries_agent_and_supplier_and_adds_up() -> None:
    r = build(contact="anna@mail.ru", operator_inn="500100732259")
    assert r.total_minor == 123450 and r.payments == (("cash", 123450),)
    (item,) = r.items
    assert (item.price_minor, item.quantity, item.amount_minor) == (123450, "1", 123450)
    assert item.name == "Оплата услуг связи" and item.payment_object == "payment"
    assert item.agent == fr.AgentInfo("paying_agent", None, ("+79123456789",), ("+74951234567",))
    assert item.supplier == fr.Supplier("ООО «Интерра»", "4027001231", ("+74951112233",))
    assert (r.contact, r.operator_inn, r.tax_system) == ("anna@mail.ru", "500100732259", "usn_income")
    fr.check_receipt(r)


def test_no_agent_means_no_supplier_on_the_item() -> None:
    r = build(fr.default_rules("shop", "ООО «Ромашка»", "7707083893"), item_name="Товар")
    assert r.items[0].agent is None and r.items[0].supplier is None


@pytest.mark.parametrize(("kw", "field"), [
    ({"amount_minor": 0}, "Сумма чека"),
    ({"amount_minor": -100}, "Сумма чека"),
    ({"amount_minor": 10.5}, "Сумма чека"),
    ({"amount_minor": True}, "Сумма чека"),
    ({"amount_minor": 10_000_000_001}, "Сумма чека"),
    ({"item_name": "Я" * 129}, "Наименование позиции"),
    ({"item_name": "Оплата\x00"}, "Наименование позиции"),
    ({"operator_name": ""}, "Кассир (ФИО для чека)"),
    ({"operator_name": "Ф" * 65}, "Кассир (ФИО для чека)"),
    ({"operator_inn": "7707083893"}, "ИНН кассира"),
    ({"operator_inn": "500100732250"}, "ИНН кассира"),
    ({"contact": "не телефон"}, "Телефон или e-mail покупателя"),
    ({"electronically": True}, "Телефон или e-mail покупателя"),
    ({"payment_type": "bonus"}, "Вид оплаты"),
    ({"operation": "buy"}, "Операция"),
    ({"operation": "sell_correction"}, "Основание коррекции"),
    ({"correction": fr.Correction("self", "01.12.2026", "1")}, "Основание коррекции"),
    ({"operation": "sell_correction", "correction": fr.Correction("self", "2026-12-01", "1")},
     "Дата основания коррекции"),
    ({"operation": "sell_correction", "correction": fr.Correction("court", "01.12.2026", "1")}, "Тип коррекции"),
    ({"operation": "sell_correction", "correction": fr.Correction("instruction", "01.12.2026", " ")},
     "Номер основания коррекции"),
])
def test_hostile_input_refused_never_cut(kw: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        build(**kw)
    assert err.value.field == field


def test_a_128_character_name_is_kept_whole() -> None:
    assert build(item_name="Я" * 128).items[0].name == "Я" * 128


def test_bad_rules_refuse_the_receipt() -> None:
    with pytest.raises(ValidationError) as err:
        build(isp_rules(agent_phone=None))
    assert err.value.field == "Телефон платёжного агента"


def test_e_receipt_and_correction() -> None:
    r = build(operation="sell_correction", contact="+7 912 345 67 89", electronically=True, payment_type="electronically",
              correction=fr.Correction("self", "01.12.2026", "17", "чек не пробит"))
    assert r.electronically and r.contact == "+79123456789" and r.correction is not None
    assert r.payments == (("electronically", 123450),)
    # A correction on the office's own initiative needs no basis number (tag 1179: instructions only).
    assert build(operation="sell_correction", correction=fr.Correction("self", "01.12.2026", "")).correction


def test_check_receipt_refuses_sums_that_do_not_add_up() -> None:
    r = build()
    with pytest.raises(ValidationError):
        fr.check_receipt(replace(r, total_minor=r.total_minor + 1))
    with pytest.raises(ValidationError):
        fr.check_receipt(replace(r, payments=(("cash", 1),)))


# --- JSON -----------------------------------------------------------------------------------------

def test_json_round_trip_is_exact() -> None:
    import json

    for r in (build(), build(fr.default_rules("travel", "ООО «Пегас Ритейл»", "7714098763"), contact="a@b.ru"),
              build(operation="sell_correction", correction=fr.Correction("instruction", "01.12.2026", "5", "x")),
              build(operator_inn="500100732259", electronically=True, contact="+79123456789")):
        frozen = json.loads(json.dumps(fr.to_json(r)))  # what the JSON column gives back
        assert fr.from_json(frozen) == r


@pytest.mark.parametrize("broken", [{}, {"v": 2}, {"v": 1, "operation": "sell"}, {**{"v": 1}, "items": 5}])
def test_broken_body_is_a_value_error(broken: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        fr.from_json(broken)


def test_float_amount_in_a_body_is_refused() -> None:
    data = fr.to_json(build())
    data["total_minor"] = 1234.5
    with pytest.raises(ValueError):
        fr.from_json(data)


# --- the FNS QR -----------------------------------------------------------------------------------

def test_fns_qr_text() -> None:
    at = datetime(2026, 12, 3, 9, 5, 59)
    assert fr.fns_qr(at, 123450, "9999078900012345", 17, "1234567890", "sell") == (
        "t=20261203T0905&s=1234.50&fn=9999078900012345&i=17&fp=1234567890&n=1")
    assert fr.fns_qr(at, 1, "1", 2, "3", "sell_return").endswith("s=0.01&fn=1&i=2&fp=3&n=2")
    assert fr.fns_qr(at, 100, "1", 2, "3", "sell_return_correction").endswith("&n=2")
    assert fr.fns_qr(at, 100, "1", 2, "3", "sell_correction").endswith("s=1.00&fn=1&i=2&fp=3&n=1")
    with pytest.raises(ValueError):
        fr.fns_qr(at, 100, "1", 2, "3", "gift")
