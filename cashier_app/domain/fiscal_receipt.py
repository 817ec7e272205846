"""A fiscal receipt as the law sees it (54-FZ, FFD 1.2), independent of the register's protocol.

``Receipt`` is what the outbox freezes (``to_json``/``from_json``) and the clients translate
(``services/registers``: ATOL Web Server task, ATOL Online v5 body).  Amounts are kopecks.
:func:`build_receipt` turns one payment into a receipt under the payee's ``FiscalRules``
(``domain.fiscal_rules``, re-exported here).  A bad value is refused with a reason
(``ValidationError`` naming the field), never cut or guessed: a receipt is a tax document.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.fiscal_rules import (
    AGENTS,
    CONTACT_FIELD,
    CORRECTION_TYPES,
    DEFAULT_ONLINE_URL,
    DEFAULT_WEB_URL,
    MODES,
    NAME_MAX,
    OPERATIONS,
    OPERATOR_NAME_MAX,
    PAYMENT_METHODS,
    PAYMENT_OBJECTS,
    PAYMENT_TYPES,
    RULE_FIELDS,
    TAX_SYSTEMS,
    VATS,
    FiscalRules,
    check_choice,
    check_contact,
    check_inn,
    check_rules,
    check_text,
    clean_rules,
    default_rules,
    normalize_email,
    normalize_phone,
)
from cashier_app.domain.money import ABSURD_AMOUNT_MINOR, check_amount, to_decimal
from cashier_app.i18n import N_, tr

__all__ = [
    "AGENTS", "CONTACT_FIELD", "CORRECTION_TYPES", "DEFAULT_ONLINE_URL", "DEFAULT_WEB_URL", "MODES", "NAME_MAX",
    "OPERATIONS", "OPERATOR_NAME_MAX",
    "PAYMENT_METHODS", "PAYMENT_OBJECTS", "PAYMENT_TYPES", "RULE_FIELDS", "TAX_SYSTEMS", "VATS", "AgentInfo",
    "Correction", "FiscalRules", "Receipt", "ReceiptItem", "Supplier", "build_receipt", "check_contact",
    "check_inn", "check_receipt", "check_rules", "clean_rules", "default_rules", "fns_qr", "from_json",
    "normalize_email", "normalize_phone", "rubles", "to_json",
]

_QR_CODES = {"sell": 1, "sell_return": 2, "sell_correction": 1, "sell_return_correction": 2,
             "buy": 3, "buy_return": 4}

@dataclass(frozen=True, slots=True)
class Supplier:
    name: str
    inn: str
    phones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AgentInfo:
    type: str  # one of AGENTS except "none"
    operation: str | None = None  # 1044
    agent_phones: tuple[str, ...] = ()  # 1073
    operator_phones: tuple[str, ...] = ()  # 1074


@dataclass(frozen=True, slots=True)
class ReceiptItem:
    name: str
    price_minor: int
    quantity: str  # decimal text, "1"
    amount_minor: int
    payment_object: str
    payment_method: str
    vat: str
    agent: AgentInfo | None = None
    supplier: Supplier | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    type: str  # self | instruction
    base_date: str  # dd.mm.yyyy
    base_number: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Receipt:
    operation: str  # one of OPERATIONS
    tax_system: str
    items: tuple[ReceiptItem, ...]
    payments: tuple[tuple[str, int], ...]  # (cash | electronically, kopecks)
    total_minor: int
    company_inn: str
    place: str = ""  # the address of settlement (1009/1187)
    company_email: str = ""
    operator_name: str = ""
    operator_inn: str | None = None
    contact: str | None = None  # 1008
    electronically: bool = False
    correction: Correction | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- the receipt


def build_receipt(rules: FiscalRules, *, operation: str, amount_minor: int, payment_type: str,
                  item_name: str | None, operator_name: str, operator_inn: str | None,
                  contact: str | None, electronically: bool,
                  correction: Correction | None = None) -> Receipt:
    """One payment (or refund) as one position of ``amount_minor`` under the payee's rules.

    Refuses, naming the field, whatever the register would refuse or the law does not allow:
    a zero or negative amount, a name over 128 characters, an e-receipt without a contact,
    a correction without its basis, agent settings without the supplier.
    """
    check_choice(operation, OPERATIONS, N_("Операция"))
    amount = check_amount(amount_minor, N_("Сумма чека"), max_minor=ABSURD_AMOUNT_MINOR)
    check_choice(payment_type, PAYMENT_TYPES, N_("Вид оплаты"))
    errors = check_rules(replace(rules, mode="none", card_by_bank=True))  # the receipt data only
    if errors:
        raise errors[0]
    clean = clean_rules(replace(rules, mode="none", card_by_bank=True))
    name = check_text(item_name or clean.item_name, N_("Наименование позиции"), limit=NAME_MAX,
                 what=N_("наименование позиции"))
    cashier = check_text(operator_name, N_("Кассир (ФИО для чека)"), limit=OPERATOR_NAME_MAX, what=N_("ФИО кассира"))
    cashier_inn = check_inn(operator_inn, N_("ИНН кассира"), person=True) if operator_inn else None
    buyer = check_contact(contact) if contact is not None and str(contact).strip() else None
    if electronically and buyer is None:
        raise ValidationError(CONTACT_FIELD, tr("нужен для чека без печати: чек уйдёт покупателю"))
    is_correction = operation.endswith("correction")
    if is_correction and correction is None:
        raise ValidationError(N_("Основание коррекции"), tr("укажите основание: дату и номер документа"))
    if not is_correction and correction is not None:
        raise ValidationError(N_("Основание коррекции"), tr("указывается только в чеке коррекции"))
    if correction is not None:
        _check_correction(correction)
    agent = supplier = None
    if clean.agent != "none":
        agent = AgentInfo(
            type=clean.agent,
            operation=clean.agent_operation,
            agent_phones=(clean.agent_phone,) if clean.agent_phone else (),
            operator_phones=(clean.operator_phone,) if clean.operator_phone else (),
        )
        supplier = Supplier(name=clean.supplier_name or "", inn=clean.supplier_inn or "",
                            phones=(clean.supplier_phone,) if clean.supplier_phone else ())
    assert name is not None and cashier is not None
    item = ReceiptItem(name=name, price_minor=amount, quantity="1", amount_minor=amount,
                       payment_object=clean.payment_object, payment_method=clean.payment_method,
                       vat=clean.vat, agent=agent, supplier=supplier)
    return Receipt(
        operation=operation, tax_system=clean.tax_system, items=(item,), payments=((payment_type, amount),),
        total_minor=amount, company_inn=rules.company_inn or "", place=clean.place or "",
        company_email=rules.company_email or "", operator_name=cashier, operator_inn=cashier_inn,
        contact=buyer, electronically=bool(electronically), correction=correction,
    )


def _check_correction(correction: Correction) -> None:
    check_choice(correction.type, CORRECTION_TYPES, N_("Тип коррекции"))
    try:
        datetime.strptime(correction.base_date, "%d.%m.%Y")
    except (TypeError, ValueError):
        raise ValidationError(N_("Дата основания коррекции"), tr("нужна дата вида ДД.ММ.ГГГГ")) from None
    # Tag 1179 (the number of the basis) is mandatory only for a correction by an FNS instruction.
    check_text(correction.base_number, N_("Номер основания коррекции"), limit=32, what=N_("номер предписания ФНС"),
          required=correction.type == "instruction")


def check_receipt(receipt: Receipt) -> None:
    """The sums add up: positions to the total, payments to the total (what every register checks)."""
    if not receipt.items:
        raise ValidationError(N_("Позиции чека"), tr("в чеке нет позиций"))
    for item in receipt.items:
        if item.amount_minor <= 0 or item.price_minor <= 0:
            raise ValidationError(N_("Сумма позиции"), tr("должна быть больше нуля"))
    if sum(i.amount_minor for i in receipt.items) != receipt.total_minor:
        raise ValidationError(N_("Итог чека"), tr("не равен сумме позиций"))
    if sum(p[1] for p in receipt.payments) != receipt.total_minor:
        raise ValidationError(N_("Оплата"), tr("сумма оплат не равна итогу чека"))


def rubles(minor: int) -> Decimal:
    """Kopecks → ``Decimal`` rubles with two places (the number the protocols carry)."""
    return to_decimal(minor)


# ---------------------------------------------------------------- frozen form (the outbox body)

_FORMAT = 1


def to_json(receipt: Receipt) -> dict[str, Any]:
    """Plain JSON types only; ``from_json(to_json(r)) == r``."""
    return {
        "v": _FORMAT,
        "operation": receipt.operation, "tax_system": receipt.tax_system,
        "items": [_item_json(i) for i in receipt.items],
        "payments": [{"type": t, "sum_minor": s} for t, s in receipt.payments],
        "total_minor": receipt.total_minor, "company_inn": receipt.company_inn, "place": receipt.place,
        "company_email": receipt.company_email, "operator_name": receipt.operator_name,
        "operator_inn": receipt.operator_inn, "contact": receipt.contact,
        "electronically": receipt.electronically,
        "correction": None if receipt.correction is None else {
            "type": receipt.correction.type, "base_date": receipt.correction.base_date,
            "base_number": receipt.correction.base_number, "description": receipt.correction.description},
        "extra": dict(receipt.extra),
    }


def _item_json(item: ReceiptItem) -> dict[str, Any]:
    return {
        "name": item.name, "price_minor": item.price_minor, "quantity": item.quantity,
        "amount_minor": item.amount_minor, "payment_object": item.payment_object,
        "payment_method": item.payment_method, "vat": item.vat,
        "agent": None if item.agent is None else {
            "type": item.agent.type, "operation": item.agent.operation,
            "agent_phones": list(item.agent.agent_phones), "operator_phones": list(item.agent.operator_phones)},
        "supplier": None if item.supplier is None else {
            "name": item.supplier.name, "inn": item.supplier.inn, "phones": list(item.supplier.phones)},
    }


def from_json(data: dict[str, Any]) -> Receipt:
    """The receipt frozen by :func:`to_json`; a body that is not one raises ``ValueError``."""
    try:
        if data.get("v") != _FORMAT:
            raise ValueError(f"unknown receipt format {data.get('v')!r}")
        corr = data.get("correction")
        return Receipt(
            operation=_str(data["operation"]), tax_system=_str(data["tax_system"]),
            items=tuple(_item_from(i) for i in data["items"]),
            payments=tuple((_str(p["type"]), _int(p["sum_minor"])) for p in data["payments"]),
            total_minor=_int(data["total_minor"]), company_inn=_str(data["company_inn"]),
            place=_str(data.get("place", "")), company_email=_str(data.get("company_email", "")),
            operator_name=_str(data.get("operator_name", "")), operator_inn=_opt(data.get("operator_inn")),
            contact=_opt(data.get("contact")), electronically=bool(data.get("electronically", False)),
            correction=None if corr is None else Correction(
                type=_str(corr["type"]), base_date=_str(corr["base_date"]),
                base_number=_str(corr["base_number"]), description=_str(corr.get("description", ""))),
            extra=dict(data.get("extra") or {}),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a frozen receipt: {exc!r}") from None


def _item_from(data: dict[str, Any]) -> ReceiptItem:
    agent, supplier = data.get("agent"), data.get("supplier")
    return ReceiptItem(
        name=_str(data["name"]), price_minor=_int(data["price_minor"]), quantity=_str(data["quantity"]),
        amount_minor=_int(data["amount_minor"]), payment_object=_str(data["payment_object"]),
        payment_method=_str(data["payment_method"]), vat=_str(data["vat"]),
        agent=None if agent is None else AgentInfo(
            type=_str(agent["type"]), operation=_opt(agent.get("operation")),
            agent_phones=tuple(_str(p) for p in agent.get("agent_phones", ())),
            operator_phones=tuple(_str(p) for p in agent.get("operator_phones", ()))),
        supplier=None if supplier is None else Supplier(
            name=_str(supplier["name"]), inn=_str(supplier["inn"]),
            phones=tuple(_str(p) for p in supplier.get("phones", ()))),
    )


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _opt(value: object) -> str | None:
    return None if value is None else _str(value)


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected whole kopecks, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------- the FNS check QR


def fns_qr(fiscal_at_local: datetime, total_minor: int, fn: str, fd: int | str, fp: int | str,
           operation: str) -> str:
    """The text of the QR code on the receipt that the FNS «Проверка чеков» app reads.

    ``t`` is the register's local date-time to the minute, ``s`` the total in rubles with kopecks,
    ``n`` the settlement type: 1 sell, 2 sell return, 3 purchase, 4 purchase return (a correction
    carries the type of the settlement it corrects).
    """
    if operation not in _QR_CODES:
        raise ValueError(f"unknown operation {operation!r}")
    return (f"t={fiscal_at_local:%Y%m%dT%H%M}&s={to_decimal(total_minor)}&fn={fn}&i={fd}&fp={fp}"
            f"&n={_QR_CODES[operation]}")
