"""The checks a real register makes before it prints a receipt, for both protocols' formats.

A receipt that would not pass a real register (items or payments not adding up to the total,
an agent sign without the agent's and supplier's data, a supplier INN that is not 10 or 12
digits, a field of the wrong type, an unknown value) is refused with the field named, so a
test against the emulator proves the client's receipt right.  Both formats are turned into
one neutral receipt (:func:`web_receipt`, :func:`online_receipt`) that ``device`` fiscalises.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any


class Invalid(Exception):
    """The request breaks the format or the law: ``field`` says where."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


# -- value lists --------------------------------------------------------------------------------

RECEIPT_TASKS = ("sell", "sellReturn", "sellCorrection", "sellReturnCorrection")
TAXATION = ("osn", "usnIncome", "usnIncomeOutcome", "esn", "patent")
VATS = ("none", "vat0", "vat5", "vat7", "vat10", "vat20", "vat22", "vat105", "vat107", "vat110",
        "vat120", "vat122")
WEB_PAYMENT_METHODS = ("fullPrepayment", "prepayment", "advance", "fullPayment", "partialPayment",
                       "credit", "creditPayment")
WEB_PAYMENT_OBJECTS = ("commodity", "excise", "job", "service", "gamblingBet", "gamblingPrize", "lottery",
                       "lotteryPrize", "intellectualActivity", "payment", "agentCommission", "composite",
                       "another", "proprietaryLaw", "nonOperatingIncome", "otherContributions",
                       "merchantTax", "resortFee", "deposit", "consumption")
WEB_AGENTS = ("payingAgent", "payingSubagent", "bankPayingAgent", "bankPayingSubagent", "commissionAgent",
              "attorney", "another")
WEB_PAYMENT_TYPES = ("cash", "electronically", "prepaid", "credit", "other")
ONLINE_PAYMENT_METHODS = ("full_prepayment", "prepayment", "advance", "full_payment", "partial_payment",
                          "credit", "credit_payment")
ONLINE_AGENTS = ("paying_agent", "paying_subagent", "bank_paying_agent", "bank_paying_subagent",
                 "commission_agent", "attorney", "another")
ONLINE_SNO = ("osn", "usn_income", "usn_income_outcome", "esn", "patent")
# ATOL Online payment types 0..9; the first five are the FFD settlement types, named as ATOL Web does.
ONLINE_PAYMENT_TYPES = {0: "cash", 1: "electronically", 2: "prepaid", 3: "credit", 4: "other"}
CORRECTION_TYPES = ("self", "instruction")
# Agent signs for which FFD 1.2 makes the agent's, the operator's and the supplier's phones mandatory.
_PHONE_AGENTS = {"payingAgent", "payingSubagent", "paying_agent", "paying_subagent"}
_BANK_AGENTS = {"bankPayingAgent", "bankPayingSubagent", "bank_paying_agent", "bank_paying_subagent"}

_RECEIPT_KEYS = {"type", "taxationType", "electronically", "ignoreNonFiscalPrintErrors", "operator",
                 "clientInfo", "companyInfo", "items", "payments", "total", "taxes", "agentInfo",
                 "supplierInfo", "preItems", "postItems", "paymentsPlace", "machineNumber",
                 "correctionType", "correctionBaseDate", "correctionBaseNumber", "validateMarkingCodes"}
_POSITION_KEYS = {"type", "name", "price", "quantity", "amount", "infoDiscountAmount", "department",
                  "measurementUnit", "paymentMethod", "paymentObject", "tax", "agentInfo", "supplierInfo",
                  "nomenclatureCode", "markingCode", "imcParams", "userData", "productCodes", "excise",
                  "countryCode", "customsDeclaration", "additionalAttribute", "piece"}
_PHONE = re.compile(r"\+\d{10,15}")
_INN = re.compile(r"\d{10}|\d{12}")
_PERSON_INN = re.compile(r"\d{12}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# -- primitives ---------------------------------------------------------------------------------

def obj(value: Any, field: str, *, required: bool = True) -> dict[str, Any] | None:
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise Invalid(field, "ожидается объект")
    return value


def text(value: Any, field: str, *, max_len: int = 256, required: bool = True) -> str | None:
    if not required and (value is None or value == ""):
        return None
    if not isinstance(value, str):
        raise Invalid(field, "ожидается строка")
    if not value.strip():
        raise Invalid(field, "пустая строка")
    if len(value) > max_len:
        raise Invalid(field, f"длиннее {max_len} символов")
    return value


def choice(value: Any, field: str, allowed: tuple[str, ...], *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise Invalid(field, f"неизвестное значение {value!r}")
    return value


def boolean(value: Any, field: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Invalid(field, "ожидается true или false")
    return value


def number(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(field, "ожидается число")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise Invalid(field, "ожидается число") from None
    if not result.is_finite():
        raise Invalid(field, "ожидается число")
    return result


def money(value: Any, field: str, *, positive: bool = False) -> int:
    """Rubles as the protocols send them (a JSON number, 2 decimals at most) → kopecks."""
    amount = number(value, field) * 100
    if amount != amount.to_integral_value():
        raise Invalid(field, "больше двух знаков после запятой")
    if amount < 0 or (positive and amount == 0):
        raise Invalid(field, "сумма должна быть больше нуля" if positive else "отрицательная сумма")
    return int(amount)


def items_list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise Invalid(field, "ожидается непустой список")
    return value


def inn(value: Any, field: str, *, person: bool = False) -> str:
    got = text(value, field, max_len=12)
    assert got is not None
    if not (_PERSON_INN if person else _INN).fullmatch(got):
        raise Invalid(field, "ИНН — 12 цифр" if person else "ИНН — 10 или 12 цифр")
    return got


def phones(value: Any, field: str, *, required: bool) -> list[str]:
    if value is None and not required:
        return []
    got = items_list(value, field)
    for i, phone in enumerate(got):
        if not isinstance(phone, str) or not _PHONE.fullmatch(phone):
            raise Invalid(f"{field}[{i}]", "телефон в формате +7XXXXXXXXXX")
    return got


def _amount_of(price_minor: int, quantity: Decimal) -> int:
    return int((Decimal(price_minor) * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _check_totals(total_minor: int, items_sum: int, payments: list[dict[str, Any]], total_field: str,
                  payments_field: str = "payments") -> None:
    if items_sum != total_minor:
        raise Invalid(total_field, f"итог {total_minor / 100:.2f} не равен сумме позиций {items_sum / 100:.2f}")
    paid = sum(p["sum_minor"] for p in payments)
    cash = sum(p["sum_minor"] for p in payments if p["type"] == "cash")
    if paid < total_minor:
        raise Invalid(payments_field, f"оплачено {paid / 100:.2f} меньше итога {total_minor / 100:.2f}")
    if paid - total_minor > cash:
        raise Invalid(payments_field, "безналичная оплата больше итога чека (сдача бывает только с наличных)")


# -- ATOL Web Server (driver JSON tasks) --------------------------------------------------------

def _web_agent(agent: dict[str, Any], supplier: Any, field: str) -> None:
    signs = items_list(agent.get("agents"), f"{field}.agentInfo.agents")
    for i, sign in enumerate(signs):
        choice(sign, f"{field}.agentInfo.agents[{i}]", WEB_AGENTS)
    sup = obj(supplier, f"{field}.supplierInfo")
    assert sup is not None
    inn(sup.get("vatin"), f"{field}.supplierInfo.vatin")
    text(sup.get("name"), f"{field}.supplierInfo.name")
    if _PHONE_AGENTS.intersection(signs) or _BANK_AGENTS.intersection(signs):
        phones(sup.get("phones"), f"{field}.supplierInfo.phones", required=True)
        paying = obj(agent.get("payingAgent"), f"{field}.agentInfo.payingAgent")
        assert paying is not None
        text(paying.get("operation"), f"{field}.agentInfo.payingAgent.operation", max_len=24, required=False)
        phones(paying.get("phones"), f"{field}.agentInfo.payingAgent.phones", required=True)
    if _PHONE_AGENTS.intersection(signs):
        operator = obj(agent.get("receivePaymentsOperator"), f"{field}.agentInfo.receivePaymentsOperator")
        assert operator is not None
        phones(operator.get("phones"), f"{field}.agentInfo.receivePaymentsOperator.phones", required=True)
    if _BANK_AGENTS.intersection(signs):
        mto = obj(agent.get("moneyTransferOperator"), f"{field}.agentInfo.moneyTransferOperator")
        assert mto is not None
        text(mto.get("name"), f"{field}.agentInfo.moneyTransferOperator.name")
        inn(mto.get("vatin"), f"{field}.agentInfo.moneyTransferOperator.vatin")
        text(mto.get("address"), f"{field}.agentInfo.moneyTransferOperator.address")
        phones(mto.get("phones"), f"{field}.agentInfo.moneyTransferOperator.phones", required=True)


def _web_position(item: dict[str, Any], field: str, task: dict[str, Any]) -> int:
    unknown = set(item) - _POSITION_KEYS
    if unknown:
        raise Invalid(f"{field}.{sorted(unknown)[0]}", "неизвестное поле")
    text(item.get("name"), f"{field}.name", max_len=128)
    price = money(item.get("price"), f"{field}.price")
    quantity = number(item.get("quantity"), f"{field}.quantity")
    if quantity <= 0:
        raise Invalid(f"{field}.quantity", "количество должно быть больше нуля")
    amount = money(item.get("amount"), f"{field}.amount")
    if amount != _amount_of(price, quantity):
        raise Invalid(f"{field}.amount", "сумма позиции не равна цене, умноженной на количество")
    tax = obj(item.get("tax"), f"{field}.tax")
    assert tax is not None
    choice(tax.get("type"), f"{field}.tax.type", VATS)
    choice(item.get("paymentMethod"), f"{field}.paymentMethod", WEB_PAYMENT_METHODS, required=False)
    choice(item.get("paymentObject"), f"{field}.paymentObject", WEB_PAYMENT_OBJECTS, required=False)
    agent = obj(item.get("agentInfo", task.get("agentInfo")), f"{field}.agentInfo", required=False)
    supplier = item.get("supplierInfo", task.get("supplierInfo"))
    if agent is not None:
        _web_agent(agent, supplier, field)
    elif supplier is not None:
        raise Invalid(f"{field}.supplierInfo", "данные поставщика без признака агента")
    return amount


def _web_client(task: dict[str, Any], electronically: bool) -> dict[str, Any] | None:
    client = obj(task.get("clientInfo"), "clientInfo", required=False)
    if client is not None:
        contact = text(client.get("emailOrPhone"), "clientInfo.emailOrPhone", max_len=64,
                       required=electronically)
        if contact is not None and not (_EMAIL.fullmatch(contact) or _PHONE.fullmatch(contact)):
            raise Invalid("clientInfo.emailOrPhone", "e-mail или телефон +7XXXXXXXXXX")
    if electronically and not (client and client.get("emailOrPhone")):
        raise Invalid("clientInfo.emailOrPhone", "электронный чек без телефона или e-mail покупателя")
    return client


def _web_correction(task: dict[str, Any]) -> dict[str, Any]:
    kind = choice(task.get("correctionType"), "correctionType", CORRECTION_TYPES)
    base_date = text(task.get("correctionBaseDate"), "correctionBaseDate", max_len=10)
    assert base_date is not None
    try:
        datetime.strptime(base_date, "%Y.%m.%d")
    except ValueError:
        raise Invalid("correctionBaseDate", "дата в формате ГГГГ.ММ.ДД") from None
    number_ = text(task.get("correctionBaseNumber"), "correctionBaseNumber", max_len=32,
                   required=kind == "instruction")
    return {"type": kind, "base_date": base_date, "base_number": number_}


def web_receipt(task: dict[str, Any]) -> dict[str, Any]:
    """A ``sell``/``sellReturn``/``sellCorrection`` task checked and made neutral."""
    kind = task["type"]
    unknown = set(task) - _RECEIPT_KEYS
    if unknown:
        raise Invalid(sorted(unknown)[0], "неизвестное поле задания")
    choice(task.get("taxationType"), "taxationType", TAXATION, required=False)
    electronically = boolean(task.get("electronically"), "electronically")
    operator = obj(task.get("operator"), "operator")
    assert operator is not None
    text(operator.get("name"), "operator.name", max_len=64)
    if operator.get("vatin") is not None:
        inn(operator.get("vatin"), "operator.vatin", person=True)
    client = _web_client(task, electronically)
    items = items_list(task.get("items"), "items")
    items_sum = 0
    for i, item in enumerate(items):
        field = f"items[{i}]"
        obj(item, field)
        if item.get("type") == "position":
            items_sum += _web_position(item, field, task)
        elif item.get("type") not in ("text", "barcode", "pictureFromMemory", "pixels"):
            raise Invalid(f"{field}.type", f"неизвестный тип строки {item.get('type')!r}")
    if items_sum == 0 and not any(isinstance(i, dict) and i.get("type") == "position" for i in items):
        raise Invalid("items", "в чеке нет ни одной позиции")
    payments = []
    for i, pay in enumerate(items_list(task.get("payments"), "payments")):
        obj(pay, f"payments[{i}]")
        ptype = choice(pay.get("type"), f"payments[{i}].type", WEB_PAYMENT_TYPES)
        payments.append({"type": ptype, "sum_minor": money(pay.get("sum"), f"payments[{i}].sum", positive=True)})
    total = money(task["total"], "total") if task.get("total") is not None else items_sum
    _check_totals(total, items_sum, payments, "total")
    return {
        "type": kind,
        "total_minor": total,
        "payments": payments,
        "items": items,
        "operator": operator,
        "client": client,
        "electronically": electronically,
        "correction": _web_correction(task) if "Correction" in kind else None,
        "taxation": task.get("taxationType"),
    }


def web_operator(task: dict[str, Any], *, required: bool) -> dict[str, Any] | None:
    """``operator`` of a shift/cash task (openShift, closeShift, cashIn, …)."""
    operator = obj(task.get("operator"), "operator", required=required)
    if operator is not None:
        text(operator.get("name"), "operator.name", max_len=64)
        if operator.get("vatin") is not None:
            inn(operator.get("vatin"), "operator.vatin", person=True)
    return operator


# -- ATOL Online v5 -----------------------------------------------------------------------------

def _online_agent(item: dict[str, Any], field: str) -> None:
    agent = obj(item.get("agent_info"), f"{field}.agent_info")
    assert agent is not None
    sign = choice(agent.get("type"), f"{field}.agent_info.type", ONLINE_AGENTS)
    sup = obj(item.get("supplier_info"), f"{field}.supplier_info")
    assert sup is not None
    inn(sup.get("inn"), f"{field}.supplier_info.inn")
    text(sup.get("name"), f"{field}.supplier_info.name")
    if sign in _PHONE_AGENTS or sign in _BANK_AGENTS:
        phones(sup.get("phones"), f"{field}.supplier_info.phones", required=True)
        paying = obj(agent.get("paying_agent"), f"{field}.agent_info.paying_agent")
        assert paying is not None
        text(paying.get("operation"), f"{field}.agent_info.paying_agent.operation", max_len=24, required=False)
        phones(paying.get("phones"), f"{field}.agent_info.paying_agent.phones", required=True)
    if sign in _PHONE_AGENTS:
        rpo = obj(agent.get("receive_payments_operator"), f"{field}.agent_info.receive_payments_operator")
        assert rpo is not None
        phones(rpo.get("phones"), f"{field}.agent_info.receive_payments_operator.phones", required=True)
    if sign in _BANK_AGENTS:
        mto = obj(agent.get("money_transfer_operator"), f"{field}.agent_info.money_transfer_operator")
        assert mto is not None
        text(mto.get("name"), f"{field}.agent_info.money_transfer_operator.name")
        inn(mto.get("inn"), f"{field}.agent_info.money_transfer_operator.inn")
        text(mto.get("address"), f"{field}.agent_info.money_transfer_operator.address")
        phones(mto.get("phones"), f"{field}.agent_info.money_transfer_operator.phones", required=True)


def _online_item(item: Any, field: str) -> int:
    obj(item, field)
    text(item.get("name"), f"{field}.name", max_len=128)
    price = money(item.get("price"), f"{field}.price")
    quantity = number(item.get("quantity"), f"{field}.quantity")
    if quantity <= 0:
        raise Invalid(f"{field}.quantity", "количество должно быть больше нуля")
    amount = money(item.get("sum"), f"{field}.sum")
    if amount != _amount_of(price, quantity):
        raise Invalid(f"{field}.sum", "сумма позиции не равна цене, умноженной на количество")
    measure = item.get("measure")
    if isinstance(measure, bool) or not isinstance(measure, int) or not 0 <= measure <= 255:
        raise Invalid(f"{field}.measure", "ожидается целое число 0…255 (0 — штуки)")
    choice(item.get("payment_method"), f"{field}.payment_method", ONLINE_PAYMENT_METHODS)
    pobj = item.get("payment_object")
    if isinstance(pobj, bool) or not isinstance(pobj, int) or not 1 <= pobj <= 33:
        raise Invalid(f"{field}.payment_object", "ожидается целое число 1…33 (4 — услуга, 10 — платёж)")
    vat = obj(item.get("vat"), f"{field}.vat")
    assert vat is not None
    choice(vat.get("type"), f"{field}.vat.type", VATS)
    if item.get("agent_info") is not None:
        _online_agent(item, field)
    elif item.get("supplier_info") is not None:
        raise Invalid(f"{field}.supplier_info", "данные поставщика без признака агента")
    return amount


def online_receipt(body: dict[str, Any], operation: str) -> dict[str, Any]:
    """A v5 ``sell``/``sell_refund``/``sell_correction`` body checked and made neutral."""
    text(body.get("external_id"), "external_id", max_len=128)
    stamp = text(body.get("timestamp"), "timestamp", max_len=19)
    assert stamp is not None
    try:
        datetime.strptime(stamp, "%d.%m.%Y %H:%M:%S")
    except ValueError:
        raise Invalid("timestamp", "дата в формате дд.мм.гггг ЧЧ:ММ:СС") from None
    service = obj(body.get("service"), "service", required=False)
    if service is not None:
        text(service.get("callback_url"), "service.callback_url", required=False)
    correcting = "correction" in operation
    root_name = "correction" if correcting else "receipt"
    root = obj(body.get(root_name), root_name)
    assert root is not None
    client = obj(root.get("client"), f"{root_name}.client", required=not correcting)
    if client is not None:
        email = text(client.get("email"), f"{root_name}.client.email", max_len=64, required=False)
        phone = text(client.get("phone"), f"{root_name}.client.phone", max_len=19, required=False)
        if not email and not phone:
            raise Invalid(f"{root_name}.client", "нужен e-mail или телефон покупателя")
        if email and not _EMAIL.fullmatch(email):
            raise Invalid(f"{root_name}.client.email", "неверный e-mail")
        if phone and not _PHONE.fullmatch(phone):
            raise Invalid(f"{root_name}.client.phone", "телефон в формате +7XXXXXXXXXX")
    company = obj(root.get("company"), f"{root_name}.company")
    assert company is not None
    inn(company.get("inn"), f"{root_name}.company.inn")
    text(company.get("payment_address"), f"{root_name}.company.payment_address")
    text(company.get("email"), f"{root_name}.company.email", max_len=64, required=False)
    choice(company.get("sno"), f"{root_name}.company.sno", ONLINE_SNO, required=False)
    cashier = text(root.get("cashier"), f"{root_name}.cashier", max_len=64, required=False)
    cashier_inn = (inn(root.get("cashier_inn"), f"{root_name}.cashier_inn", person=True)
                   if root.get("cashier_inn") is not None else None)
    items = items_list(root.get("items"), f"{root_name}.items")
    items_sum = sum(_online_item(item, f"{root_name}.items[{i}]") for i, item in enumerate(items))
    payments = []
    for i, pay in enumerate(items_list(root.get("payments"), f"{root_name}.payments")):
        field = f"{root_name}.payments[{i}]"
        obj(pay, field)
        ptype = pay.get("type")
        if isinstance(ptype, bool) or not isinstance(ptype, int) or not 0 <= ptype <= 9:
            raise Invalid(f"{field}.type", "ожидается целое число 0…9 (0 — наличные, 1 — безналичные)")
        payments.append({"type": ONLINE_PAYMENT_TYPES.get(ptype, "other"),
                         "sum_minor": money(pay.get("sum"), f"{field}.sum", positive=True)})
    vats = root.get("vats")
    if vats is not None:
        for i, vat in enumerate(items_list(vats, f"{root_name}.vats")):
            obj(vat, f"{root_name}.vats[{i}]")
            choice(vat.get("type"), f"{root_name}.vats[{i}].type", VATS)
            if vat.get("sum") is not None:
                money(vat.get("sum"), f"{root_name}.vats[{i}].sum")
    total = money(root.get("total"), f"{root_name}.total", positive=True)
    _check_totals(total, items_sum, payments, f"{root_name}.total", f"{root_name}.payments")
    correction = None
    if correcting:
        info = obj(root.get("correction_info"), "correction.correction_info")
        assert info is not None
        kind = choice(info.get("type"), "correction.correction_info.type", CORRECTION_TYPES)
        base_date = text(info.get("base_date"), "correction.correction_info.base_date", max_len=10)
        assert base_date is not None
        try:
            datetime.strptime(base_date, "%d.%m.%Y")
        except ValueError:
            raise Invalid("correction.correction_info.base_date", "дата в формате дд.мм.гггг") from None
        base_number = text(info.get("base_number"), "correction.correction_info.base_number", max_len=32,
                           required=kind == "instruction")
        correction = {"type": kind, "base_date": base_date, "base_number": base_number}
    operator: dict[str, Any] = {"name": cashier} if cashier else {}
    if cashier_inn:
        operator["vatin"] = cashier_inn
    return {
        "total_minor": total,
        "payments": payments,
        "items": items,
        "operator": operator,
        "client": client,
        "electronically": True,  # a cloud register has no printer: the receipt goes to the buyer and the OFD
        "correction": correction,
        "taxation": company.get("sno"),
    }
