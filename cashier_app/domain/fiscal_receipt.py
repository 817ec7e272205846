"""A fiscal receipt as the law sees it (54-FZ, FFD 1.2), independent of the register's protocol.

``Receipt`` is what the outbox freezes (``to_json``/``from_json``) and the clients translate
(``services/registers``: ATOL Web Server task, ATOL Online v5 body).  Amounts are kopecks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OPERATIONS = ("sell", "sell_return", "sell_correction", "sell_return_correction")
TAX_SYSTEMS = ("osn", "usn_income", "usn_income_outcome", "esn", "patent")
VATS = ("none", "vat0", "vat5", "vat7", "vat10", "vat20", "vat105", "vat107", "vat110", "vat120")
AGENTS = ("none", "paying_agent", "paying_subagent", "bank_paying_agent", "bank_paying_subagent",
          "commission_agent", "attorney", "another")
PAYMENT_OBJECTS = ("service", "payment", "agent_commission", "another", "commodity")
PAYMENT_METHODS = ("full_prepayment", "prepayment", "advance", "full_payment")
PAYMENT_TYPES = ("cash", "electronically")


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
