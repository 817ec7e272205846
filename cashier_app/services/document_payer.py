"""The payer of a payment document: what the cashier typed, checked, and turned into the DTO.

Printed as typed: an address typed as one line reaches ПД-4, the information
sheets, invoices and the QR code's ``PayerAddress`` unchanged (whitespace runs
become one space — a code cannot carry a line break).  Only ф. 112ЭП needs the
address in boxes; :func:`cashier_app.domain.address.parse_address` places every
part or names the one it cannot, and that refusal is kept here until a
ф. 112ЭП is asked for (a ПД-4 of the same address is fine).

The payer's ИНН is optional; when given it is checked (length and check
digits) and goes into the code as ``PayerINN``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from cashier_app.domain.address import FEDERAL_CITIES, AddressParts, parse_address, squeeze_spaces
from cashier_app.domain.booking_rules import (
    POST_FORM_FIELDS,
    PayerAddress,
    PayerDetails,
    post_form_missing_fields,
)
from cashier_app.domain.booking_rules import split_full_name as split_full_name
from cashier_app.domain.errors import ValidationError
from cashier_app.domain.requisites import validate_inn
from cashier_app.i18n import N_, tr
from cashier_app.printing.dto import PayerDTO
from cashier_app.printing.post112 import sender_box_problems

PAYER_INN_FIELD = N_("ИНН плательщика")
ADDRESS_FIELD = N_("Адрес плательщика")
# Shown in the dialog's empty address line: an address is data, not interface text.
ADDRESS_EXAMPLE = "142000, Московская обл., г.о. Домодедово, ул. Ленина, д. 1"  # i18n: data
_URBAN_OKRUG = re.compile(r"(^|\s)(г\.\s?о\.|городской\s+округ)(\s|$)", re.IGNORECASE)  # i18n: data
_PART_NAMES = ("postal_index", "region", "district", "settlement", "city", "street", "house", "flat")


@dataclass(frozen=True, slots=True)
class PayerInput:
    """What the cashier typed over the prefilled payer; ``None`` keeps the value from the card.

    ``address`` is a whole line («142000, Московская обл., г.о. Домодедово, …»),
    printed as typed; it goes with ``postal_index`` but not with the other parts
    (two versions of one address would leave one of them unprinted).
    """

    full_name: str | None = None
    address: str | None = None
    postal_index: str | None = None
    region: str | None = None
    city: str | None = None
    street: str | None = None
    house: str | None = None
    flat: str | None = None
    inn: str | None = None
    buyer_name: str | None = None
    buyer_inn: str | None = None
    district: str | None = None
    settlement: str | None = None


@dataclass(frozen=True, slots=True)
class PayerFields:
    """The payer as the dialog prefills it (every field a string).

    ``address`` is the line as typed ("" when the address is given by parts);
    ``address_problem`` is why ф. 112ЭП could not box that line ("" if it could).
    """

    full_name: str = ""
    postal_index: str = ""
    region: str = ""
    city: str = ""
    street: str = ""
    house: str = ""
    flat: str = ""
    inn: str = ""
    district: str = ""
    settlement: str = ""
    address: str = ""
    address_problem: str = ""

    @property
    def address_line(self) -> str:
        """The address as printed: the typed line, or the parts joined (without the index)."""
        if self.address:
            return self.address
        pieces = [self.region if self.region != self.city else "", self.district, self.settlement, self.city,
                  self.street]
        if self.house:
            pieces.append(f"д. {self.house}" if self.house[:1].isdigit() else self.house)  # i18n: data
        if self.flat:
            pieces.append(f"кв. {self.flat}" if self.flat[:1].isdigit() else self.flat)  # i18n: data
        return ", ".join(p for p in pieces if p)


def apply_input(base: PayerFields, given: PayerInput | None) -> PayerFields:
    """The prefilled payer with the cashier's edits laid over it."""
    if given is None:
        return base
    f = base
    line = None if given.address is None else squeeze_spaces(given.address)
    if line is not None:
        extra = [n for n in _PART_NAMES if n != "postal_index" and getattr(given, n) is not None]
        if line and extra:
            raise ValidationError(ADDRESS_FIELD, tr("укажите адрес либо одной строкой, либо по частям, "
                                                        "но не вместе"))
        cleared = {n: "" for n in _PART_NAMES}
        try:
            parts = parse_address(line) if line else None
        except ValidationError as err:
            f = replace(f, **cleared, address=line, address_problem=str(err))
        else:
            boxes = {n: getattr(parts, n) for n in _PART_NAMES} if parts else cleared
            # Placed is not enough: a part too long for its box would pass here and fail on the form.
            too_long = sender_box_problems(parts) if parts else []
            problem = str(ValidationError(ADDRESS_FIELD, too_long[0])) if too_long else ""
            f = replace(f, **boxes, address=line, address_problem=problem)
    for name in ("full_name", *_PART_NAMES, "inn"):
        value = getattr(given, name)
        if value is not None:
            f = replace(f, **{name: squeeze_spaces(value)})
    return f


def payer_problems(f: PayerFields, *, post_form: bool) -> list[str]:
    """Reasons to refuse the payer: a bad ИНН always, an address ф. 112ЭП cannot box for that form."""
    out: list[str] = []
    if f.inn:
        try:
            validate_inn(f.inn, PAYER_INN_FIELD)
        except ValidationError as err:
            out.append(str(err))
    if post_form and f.address_problem:
        out.append(f.address_problem)  # names the part and the form
    elif post_form and not f.address:
        # Parts typed one by one: boxed as given (sender_boxes), each must still fit its box.
        parts = AddressParts(region=f.region, district=f.district, settlement=f.settlement, city=f.city,
                             street=f.street, house=f"д. {f.house}" if f.house[:1].isdigit() else f.house,  # i18n: data
                             flat=f"кв. {f.flat}" if f.flat[:1].isdigit() else f.flat)  # i18n: data
        out.extend(str(ValidationError(ADDRESS_FIELD, p)) for p in sender_box_problems(parts))
    return out


def missing_post_fields(payer: PayerFields) -> list[str]:
    """Russian names of the ф. 112ЭП fields still empty; no form while this is non-empty.

    A village may have no streets (the settlement stands for city and street),
    and Moscow, St Petersburg and Sevastopol are their own region.
    """
    surname, first, patronymic = split_full_name(payer.full_name)
    # An urban okrug («г.о. Домодедово») is its town: «г.о. Домодедово, мкр. Северный» is a full address.
    locality = payer.city or payer.settlement or (payer.district if _URBAN_OKRUG.search(payer.district) else "")
    region = payer.region or (payer.city.removeprefix("г.").strip() if  # i18n: data
                              payer.city.removeprefix("г.").strip() in FEDERAL_CITIES else "")  # i18n: data
    missing = post_form_missing_fields(PayerDetails(
        surname, first, patronymic,
        PayerAddress(postal_index=payer.postal_index, region=region, city=locality, street=payer.street,
                     house=payer.house, flat=payer.flat),
    ))
    if payer.settlement and not payer.city:
        missing = [m for m in missing if m != tr(dict(POST_FORM_FIELDS)["street"])]  # the names come translated
    return missing


def payer_dto(f: PayerFields) -> PayerDTO:
    """The DTO keeps the typed line; without one it joins the parts itself (ф. 112ЭП boxes them as given)."""
    surname, first, patronymic = split_full_name(f.full_name)
    return PayerDTO(full_name=f.full_name, surname=surname, first_name=first, patronymic=patronymic,
                    address=f.address, postal_index=f.postal_index, region=f.region, city=f.city,
                    street=f.street, house=f.house, flat=f.flat, inn=f.inn, district=f.district,
                    settlement=f.settlement)
