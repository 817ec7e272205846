"""Plain, frozen data that crosses from the services layer into printing.

Printing must not touch the database or the ORM: a reprint of a document has
to come out byte-identical from the same DTO, whatever happened to the payee's
requisites since.  So the services build these snapshots once, store them with
the journal entry, and the renderers see nothing else.

Money is ``int`` minor units (kopecks for RUB); the exchange rate is
``Decimal``.  Floats are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class DocumentKind(StrEnum):
    PD4 = "pd4"
    POST112 = "post112"
    INFO_CONTACT = "info_contact"
    INFO_EUROSET = "info_euroset"
    INVOICE = "invoice"


class TargetKind(StrEnum):
    ACCOUNT = "account"  # ISP subscriber's personal account (лицевой счёт)
    BOOKING = "booking"  # tour application (заявка)


# GOST R 56042 TechCode per target; the payee's own value wins when set.
TECH_CODE_BY_TARGET = {TargetKind.ACCOUNT: "09", TargetKind.BOOKING: "11"}


def _check_minor(name: str, value: object, *, allow_zero: bool) -> None:
    # bool is an int subclass; True kopecks is always a bug.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be int minor units, got {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'≥' if allow_zero else '>'} 0, got {value}")


@dataclass(frozen=True, slots=True)
class PayeeDTO:
    """The organisation that receives the money, with its bank requisites."""

    code: str
    name: str
    inn: str
    kpp: str
    account: str  # settlement account (расчётный счёт), 20 digits
    bank_name: str
    bic: str
    corr_account: str  # bank's correspondent account, 20 digits
    postal_index: str = ""
    address: str = ""
    tech_code: str = ""  # "09" ISP, "11" travel; empty → derived from the target


@dataclass(frozen=True, slots=True)
class PayerDTO:
    """The person paying; the split parts are what forms and the QR print."""

    full_name: str
    surname: str = ""
    first_name: str = ""
    patronymic: str = ""
    address: str = ""
    postal_index: str = ""
    region: str = ""
    city: str = ""
    street: str = ""
    house: str = ""
    flat: str = ""
    inn: str = ""
    # Added after the first journal entries: defaults keep old params loadable.
    district: str = ""
    settlement: str = ""

    @property
    def name_parts(self) -> tuple[str, str, str]:
        """(surname, first name, patronymic); split ``full_name`` when not given."""
        if self.surname or self.first_name or self.patronymic:
            return self.surname, self.first_name, self.patronymic
        parts = self.full_name.split()
        surname = parts[0] if parts else ""
        first = parts[1] if len(parts) > 1 else ""
        # Patronymics like «Оглы» come as two words; keep the tail together.
        patronymic = " ".join(parts[2:])
        return surname, first, patronymic

    @property
    def display_name(self) -> str:
        return self.full_name or " ".join(p for p in self.name_parts if p)

    @property
    def full_address(self) -> str:
        """Address with the postal index in front, as Russian forms print it.

        A typed ``address`` is printed as typed (only the index is put in front
        when it is missing); the parts are joined only when no line was typed.
        """
        if self.address:
            if self.postal_index and self.postal_index not in self.address:
                return f"{self.postal_index}, {self.address}"
            return self.address
        pieces = [self.postal_index, self.region if self.region != self.city else "", self.district,
                  self.settlement, self.city, self.street]
        # A part typed with its word («дом 5», «корп. 2») keeps it; a bare number gets the usual one.
        if self.house:
            pieces.append(f"д. {self.house}" if self.house[:1].isdigit() else self.house)
        if self.flat:
            pieces.append(f"кв. {self.flat}" if self.flat[:1].isdigit() else self.flat)
        return ", ".join(p for p in pieces if p)


@dataclass(frozen=True, slots=True)
class ReceiptDTO:
    """One printable payment document.

    ``amount_minor`` is what the payee receives, in kopecks; ``fee_minor`` is a
    fee on top (1 % for CONTACT / Euroset), so the payer hands over
    ``total_minor``.  For bookings ``currency``/``rate``/``rate_date``/
    ``tour_amount_minor`` describe the operator's internal rate used to get
    the rubles; the documents print them.
    """

    document_number: str
    kind: DocumentKind
    payee: PayeeDTO
    payer: PayerDTO
    target_kind: TargetKind
    target_number: str  # account or booking number, a string: leading zeros matter
    purpose: str
    amount_minor: int
    issue_date: date
    fee_minor: int = 0
    valid_until: date | None = None
    currency: str | None = None  # tour currency, e.g. "USD"
    rate: Decimal | None = None  # RUB per 1 unit of ``currency``
    rate_date: date | None = None
    tour_amount_minor: int | None = None  # amount in the tour currency, minor units
    buyer_name: str = ""  # invoice only: the legal entity that pays
    buyer_inn: str = ""
    extra: tuple[tuple[str, str], ...] = field(default=())  # additional (label, value) lines

    def __post_init__(self) -> None:
        # Coerce the string forms so a DTO rebuilt from JSON behaves the same.
        object.__setattr__(self, "kind", DocumentKind(self.kind))
        object.__setattr__(self, "target_kind", TargetKind(self.target_kind))
        _check_minor("amount_minor", self.amount_minor, allow_zero=False)
        _check_minor("fee_minor", self.fee_minor, allow_zero=True)
        if not self.target_number:
            raise ValueError("target_number is empty")
        rate_parts = (self.currency, self.rate, self.rate_date, self.tour_amount_minor)
        if any(p is not None for p in rate_parts):
            if any(p is None for p in rate_parts):
                raise ValueError("currency, rate, rate_date and tour_amount_minor go together")
            if not isinstance(self.rate, Decimal):
                raise TypeError("rate must be Decimal")
            if self.rate <= 0:
                raise ValueError("rate must be > 0")
            _check_minor("tour_amount_minor", self.tour_amount_minor, allow_zero=False)

    @property
    def total_minor(self) -> int:
        return self.amount_minor + self.fee_minor

    @property
    def has_rate(self) -> bool:
        return self.rate is not None

    @property
    def tech_code(self) -> str:
        return self.payee.tech_code or TECH_CODE_BY_TARGET[self.target_kind]
