"""Finding a subscriber account or a tour booking from whatever the customer has.

One entry point, :func:`search`, recognises what was typed — account number,
login, contract, phone, name, address, booking number, booking + passport, a
scanned GOST R 56042 string — and returns pages of :class:`SearchHit` DTOs.
Every query is an index range or an exact match, so the first page is fast on a
million accounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, aliased, joinedload, raiseload

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.money import convert_to_rub
from cashier_app.domain.normalize import (
    house_key,
    passport_key,
    phone_key,
    prefix_upper_bound,
    split_address,
    street_key,
    text_key,
)
from cashier_app.i18n import N_, tr
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.services.travel_facts import latest_rate
from cashier_app.storage import models as m

PAGE = 50
# The longest thing typed or scanned into the search field is a ГОСТ Р 56042 payment
# string; anything longer is pasted junk.  The UI field has the same maxLength.
MAX_QUERY_CHARS = 2000

HitKind = Literal["account", "booking"]


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: HitKind
    number: str
    title: str  # owner or lead tourist
    detail: str  # address, or country/hotel/dates
    amount_minor: int  # balance for an account, amount due for a booking (kept for older callers)
    currency: str
    matched_by: str  # what the query matched, in Russian
    extra: dict[str, str] = field(default_factory=dict)
    # The results table's own columns (issue 12 §3): «Баланс» is an account's, «К оплате» a booking's.
    balance_minor: int | None = None  # an account's balance, in ``currency``
    due_minor: int | None = None  # a booking's amount due, in ``currency`` (the tour's)
    due_rub_minor: int | None = None  # the same in rubles at today's rate; None without a rate for today
    # The tourist the query found the booking by: the passport typed with the booking number
    # (digits only) or the name typed.  The card highlights that tourist; never in ``to_json``.
    matched_passport: str | None = None
    matched_tourist: str | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "kind": self.kind,
            "number": self.number,
            "title": self.title,
            "detail": self.detail,
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "matched_by": self.matched_by,
            **self.extra,
        }
        if self.kind == "account":
            out["balance_minor"] = self.balance_minor if self.balance_minor is not None else self.amount_minor
        else:
            out["due_minor"] = self.due_minor if self.due_minor is not None else self.amount_minor
            out["due_rub_minor"] = self.due_rub_minor
        return out


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[SearchHit]
    has_more: bool
    # Set when the query opens one record directly (booking + passport, a scanned code).
    open_directly: SearchHit | None = None
    message: str | None = None  # shown when nothing matched, or a warning
    next_offset: int = 0  # pass back as ``offset`` for the next page


@dataclass(frozen=True, slots=True)
class Query:
    """What the typed text was recognised as; several kinds may apply at once."""

    raw: str
    text: str
    kinds: tuple[str, ...]
    booking_number: str | None = None
    passport: str | None = None
    phone: str | None = None
    street: str | None = None
    house: str | None = None
    gost_ref: str | None = None


_LOGIN = re.compile(r"^[a-z]{2,8}\d{1,8}$")
_CONTRACT = re.compile(r"^[A-ZА-Я]{2,4}-\d{1,10}$")  # i18n: data
# A booking number, then a passport: foreign «73 8240256» / «738240256» (2 + 7 digits) or Russian internal
# «45 07 123456» / «4507 123456» (4 + 6), groups parted by spaces, a dash or «№» as people write them.
_BOOKING_PASSPORT = re.compile(r"^(\d{5,9})\s*[ ,;/]\s*(\d{2}(?:[\s\-]?№?\s?\d){6,8})$")
_PHONEISH = re.compile(r"^[+\d][\d\s()\-]{6,}$")

NOTHING_FOUND_HINT = N_(
    "Ничего не найдено. Попробуйте: номер лицевого счёта (с нулями впереди), логин, "
    "номер договора, телефон, фамилию, улицу и дом, номер заявки или «заявка паспорт»."
)


def scanned_code_complete(text: str) -> bool:
    """Has a scanner finished typing this ГОСТ Р 56042 code? (Not: still inside one.)

    A keyboard-wedge scanner types a line break inside a code as Enter.  The
    code is complete once its mandatory block is valid, the payer's account can
    be read, and it does not end on a separator (a wrapped line ends there).
    Text that is not a payment code is always "complete": Enter is Enter.
    """
    from cashier_app.printing.gost import GostError, is_payment_string, parse_scanned_text

    stripped = text.strip()
    if not stripped.upper().startswith("ST0001"):
        return True
    if not is_payment_string(stripped) or stripped.endswith(stripped[7]):
        return False
    try:
        parsed = parse_scanned_text(stripped)
    except GostError:
        return False
    return parsed.is_complete and parsed.customer_ref() is not None


def classify(raw: str) -> Query:
    text = raw.strip()
    if not text:
        return Query(raw, text, ())
    if text.upper().startswith("ST0001"):
        from cashier_app.printing.gost import GostError, parse_scanned_text

        try:
            ref = parse_scanned_text(text).customer_ref()
        except GostError:
            ref = None
        return Query(raw, text, ("gost",), gost_ref=ref)
    kinds: list[str] = []
    booking = passport = phone = street = house = None
    bp = _BOOKING_PASSPORT.match(text)
    if bp:
        kinds.append("booking_passport")
        booking, passport = bp.group(1), passport_key(bp.group(2))
    compact = text.replace(" ", "")
    if re.fullmatch(r"\d+", text):
        kinds += ["account_number", "booking_number"]
    if _LOGIN.match(text.lower()):
        kinds.append("login")
    if _CONTRACT.match(compact.upper()):
        kinds.append("contract")
    if _PHONEISH.match(text) and (pk := phone_key(text)):
        kinds.append("phone")
        phone = pk
    if re.search(r"[^\W\d_]", text) and "login" not in kinds and "contract" not in kinds:
        addr = split_address(text)  # linear: a regex for this backtracked quadratically
        if addr:
            kinds.append("address")
            street, house = street_key(addr[0]), house_key(addr[1])
        else:
            kinds.append("name")
            kinds.append("street")
            street = street_key(text)
    if not kinds:
        kinds.append("account_number")
    return Query(raw, text, tuple(dict.fromkeys(kinds)), booking, passport, phone, street, house)


def search(ctx: DeskContext, raw: str, *, offset: int = 0, limit: int = PAGE) -> SearchResult:
    """What the counter's search field finds; needs ``lookup`` (names, addresses and phones are shown)."""
    require(ctx, "lookup")
    if len(raw) > MAX_QUERY_CHARS:
        raise ValidationError(N_("Поиск"), tr("запрос не длиннее {max} знаков (сейчас {n})", max=MAX_QUERY_CHARS,
                                          n=len(raw)))
    q = classify(raw)
    if not q.kinds:
        return SearchResult([], False)
    today = ctx.today()
    with ctx.db.read() as uow:
        return _with_rubles(uow.session, _search(uow.session, q, offset, limit), today)


def _with_rubles(s: Session, result: SearchResult, today: date) -> SearchResult:
    """Bookings' amounts due in rubles at today's rate (one query per foreign currency on the page)."""
    foreign = {h.currency for h in result.hits if h.kind == "booking" and h.currency != "RUB"}
    if not foreign:
        return result
    rates: dict[str, Decimal] = {}
    for cur in foreign:
        rate, day = latest_rate(s, cur, today)
        if rate is not None and day == today:
            rates[cur] = rate

    def rub(h: SearchHit) -> SearchHit:
        if h.kind != "booking" or h.currency not in rates or h.due_minor is None:
            return h
        return replace(h, due_rub_minor=convert_to_rub(h.due_minor, rates[h.currency]))

    hits = [rub(h) for h in result.hits]
    direct = rub(result.open_directly) if result.open_directly is not None else None
    return replace(result, hits=hits, open_directly=direct)


def _search(s: Session, q: Query, offset: int, limit: int) -> SearchResult:
    if "gost" in q.kinds:
        return _by_gost(s, q)
    if "booking_passport" in q.kinds:
        return _by_booking_passport(s, q)

    exact: list[SearchHit] = []
    if offset == 0:
        # Exact keys first: a handful of rows, shown above any prefix matches.
        if "account_number" in q.kinds:
            exact += _accounts(s, select(m.Account).where(m.Account.number == q.text), N_("номер лицевого счёта"))
        if "booking_number" in q.kinds:
            exact += _bookings(s, select(m.Booking).where(m.Booking.number == q.text), N_("номер заявки"))
        if "login" in q.kinds:
            exact += _accounts(s, select(m.Account).where(m.Account.login == q.text.lower()), N_("логин"))
        if "contract" in q.kinds:
            stmt = (
                select(m.Account)
                .join(m.Contract)
                .where(m.Contract.number == q.text.replace(" ", "").upper())
                .order_by(m.Account.number)
            )
            exact += _accounts(s, stmt, N_("договор"))
        if "phone" in q.kinds:
            stmt = (
                select(m.Account)
                .join(m.Contract)
                .where(m.Contract.phone_norm == q.phone)
                .order_by(m.Account.id)
                .limit(limit)
            )
            exact += _accounts(s, stmt, N_("телефон"))
    # Prefix matches are paged; exact ones are never repeated on later pages.
    paged: list[SearchHit] = []
    more = False
    next_offset = offset
    if "name" in q.kinds or "address" in q.kinds or "street" in q.kinds:
        paged, more, next_offset = _paged_text(s, q, offset, limit)
    hits = exact + paged if offset else _dedupe(exact + paged)
    message = None if hits else tr(NOTHING_FOUND_HINT)
    if offset == 0 and len(hits) == 1 and not more:
        return SearchResult(hits, False, open_directly=hits[0], message=message, next_offset=next_offset)
    return SearchResult(hits, more, message=message, next_offset=next_offset)


def _paged_text(s: Session, q: Query, offset: int, limit: int) -> tuple[list[SearchHit], bool, int]:
    """Names (subscribers, then tourists), then addresses, as one paged sequence.

    Pages are counted in *driving* rows (contracts or tourists) read straight off
    their ``(key, id)`` index, so a page costs one short index range whatever the
    planner thinks of the prefix; a contract's accounts are then fetched by id.
    Returns the hits, whether more exist, and the offset of the next page.
    """
    sources: list[tuple[str, Select, str]] = []
    key = text_key(q.text)
    if "name" in q.kinds:
        lo, hi = key, prefix_upper_bound(key)
        sources.append((
            N_("ФИО абонента"),
            select(m.Contract.id)
            .where(m.Contract.name_norm >= lo, m.Contract.name_norm < hi)
            .order_by(m.Contract.name_norm, m.Contract.id),
            "contract",
        ))
        sources.append((
            N_("ФИО туриста"),
            select(m.Tourist.id)
            .where(m.Tourist.name_norm >= lo, m.Tourist.name_norm < hi)
            .order_by(m.Tourist.name_norm, m.Tourist.id),
            "tourist",
        ))
    if ("address" in q.kinds or "street" in q.kinds) and q.street:
        lo, hi = q.street, prefix_upper_bound(q.street)
        cond = and_(m.Contract.street_norm >= lo, m.Contract.street_norm < hi)
        if q.house:
            cond = and_(cond, _house_matches(q.house))
        if "name" in q.kinds:
            # Keep the sources disjoint so paging never shows a subscriber twice.
            cond = and_(cond, or_(m.Contract.name_norm < key, m.Contract.name_norm >= prefix_upper_bound(key)))
        sources.append((
            N_("адрес"),
            select(m.Contract.id)
            .where(cond)
            .order_by(m.Contract.street_norm, m.Contract.house, m.Contract.id),
            "contract",
        ))
    hits: list[SearchHit] = []
    need = limit + 1  # one extra driving row tells whether there is a next page
    taken = 0
    skip = offset
    for label, stmt, kind in sources:
        if taken >= need:
            break
        ids = list(s.execute(stmt.offset(skip).limit(need - taken)).scalars())
        if not ids and skip:
            # This whole source lies before the requested page; count it to move on.
            skip = max(0, skip - _count(s, stmt))
            continue
        skip = 0
        if taken + len(ids) > limit:
            ids = ids[: limit - taken]
            taken = need
        else:
            taken += len(ids)
        hits += _contract_hits(s, ids, label) if kind == "contract" else _tourist_hits(s, ids, label)
    more = taken > limit
    consumed = min(taken, limit)
    return hits, more, offset + consumed


def _contract_hits(s: Session, contract_ids: list[int], label: str) -> list[SearchHit]:
    if not contract_ids:
        return []
    rank = {cid: i for i, cid in enumerate(contract_ids)}
    rows = _accounts(s, select(m.Account).where(m.Account.contract_id.in_(contract_ids)), label)
    by_number = {h.number: h for h in rows}
    order = s.execute(
        select(m.Account.number, m.Account.contract_id).where(m.Account.contract_id.in_(contract_ids))
    ).all()
    order.sort(key=lambda r: (rank[r[1]], r[0]))
    return [by_number[number] for number, _ in order if number in by_number]


def _tourist_hits(s: Session, tourist_ids: list[int], label: str) -> list[SearchHit]:
    """One hit per matched tourist, titled with that tourist's name."""
    if not tourist_ids:
        return []
    rows = s.execute(
        select(m.Tourist.id, m.Tourist.full_name, m.Booking)
        .join(m.Booking, m.Booking.id == m.Tourist.booking_id)
        .where(m.Tourist.id.in_(tourist_ids))
        .options(*_BOOKING_HIT_LOAD, raiseload(m.Booking.tourists))
    ).unique().all()
    by_id = {tid: (name, b) for tid, name, b in rows}
    return [replace(_booking_hit(by_id[tid][1], label, by_id[tid][0]), matched_tourist=by_id[tid][0])
            for tid in tourist_ids if tid in by_id]


def _house_matches(h: str):  # type: ignore[no-untyped-def]
    """``85`` finds 85, 85а, 85к1 and 85/2 but not 850: index ranges around the digits."""
    col = m.Contract.house
    if not h[-1].isdigit():
        return col == h
    return or_(
        col == h,
        and_(col > h, col < h + "0"),  # 85/2, 85-1
        and_(col > h + ":", col < prefix_upper_bound(h)),  # 85а, 85к1
    )


def _count(s: Session, stmt: Select) -> int:
    from sqlalchemy import func

    return s.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()


def _by_booking_passport(s: Session, q: Query) -> SearchResult:
    booking = s.execute(select(m.Booking).where(m.Booking.number == q.booking_number)).scalar_one_or_none()
    if booking is None:
        return SearchResult([], False, message=tr("Заявка № {n} не найдена.", n=q.booking_number))
    tourist = next((t for t in booking.tourists if t.passport_no == q.passport), None)
    if tourist is None:
        # Never open a booking for a wrong passport: the pair is the tourist's credential.
        return SearchResult(
            [], False,
            message=tr("Паспорт не совпадает ни с одним туристом заявки № {n}.", n=q.booking_number),
        )
    hit = replace(_booking_hit(booking, N_("заявка + паспорт")), matched_passport=q.passport,
                  matched_tourist=tourist.full_name)
    return SearchResult([hit], False, open_directly=hit)


def _by_gost(s: Session, q: Query) -> SearchResult:
    if not q.gost_ref:
        return SearchResult(
            [], False,
            message=tr("Код прочитан, но в нём нет номера лицевого счёта или заявки плательщика."),
        )
    ref = q.gost_ref
    hits = _accounts(s, select(m.Account).where(m.Account.number == ref), N_("QR-код квитанции"))
    hits += _bookings(s, select(m.Booking).where(m.Booking.number == ref), N_("QR-код квитанции"))
    if not hits:
        return SearchResult([], False, message=tr("По QR-коду: счёт или заявка «{ref}» не найдены.", ref=ref))
    return SearchResult(hits, False, open_directly=hits[0] if len(hits) == 1 else None)


# A hit needs the owner and address, not the card: skip the relationships the card loads.
_ACCOUNT_HIT_LOAD = (
    joinedload(m.Account.contract).raiseload(m.Contract.accounts),
    raiseload(m.Account.services),
    raiseload(m.Account.tariff),
)
_BOOKING_HIT_LOAD = (raiseload(m.Booking.agency), raiseload(m.Booking.manager))


def _accounts(s: Session, stmt: Select, matched_by: str) -> list[SearchHit]:
    rows = s.execute(stmt.options(*_ACCOUNT_HIT_LOAD)).unique().scalars()
    return [_account_hit(a, matched_by) for a in rows]


def _bookings(s: Session, stmt: Select, matched_by: str) -> list[SearchHit]:
    # The lead tourist's name comes in the same round trip; the tourist list is not loaded.
    lead = aliased(m.Tourist)
    stmt = (
        stmt.add_columns(lead.full_name)
        .outerjoin(lead, and_(lead.booking_id == m.Booking.id, lead.is_lead.is_(True)))
        .options(*_BOOKING_HIT_LOAD, raiseload(m.Booking.tourists))
    )
    return [_booking_hit(b, matched_by, lead_name) for b, lead_name in s.execute(stmt).unique().all()]


def _account_hit(a: m.Account, matched_by: str) -> SearchHit:
    c = a.contract
    return SearchHit(
        kind="account",
        number=a.number,
        title=c.full_name,
        detail=format_address(c),
        amount_minor=a.balance_minor,
        currency=a.currency,
        matched_by=matched_by,
        extra={"login": a.login or "", "contract": c.number},
        balance_minor=a.balance_minor,
    )


def _booking_hit(b: m.Booking, matched_by: str, lead_name: str | None = None) -> SearchHit:
    if lead_name is None:
        lead = next((t for t in b.tourists if t.is_lead), b.tourists[0] if b.tourists else None)
        lead_name = lead.full_name if lead else ""
    due = max(0, b.price_minor - b.paid_minor)
    return SearchHit(
        kind="booking",
        number=b.number,
        title=lead_name,
        detail=tr("{country}, {hotel}, вылет {d}", country=b.country, hotel=b.hotel or "—",
                  d=f"{b.departure_on:%d.%m.%Y}"),
        amount_minor=due,
        currency=b.currency,
        matched_by=matched_by,
        extra={"status": b.status, "tour_type": b.tour_type},
        due_minor=due,
    )


def _dedupe(hits: list[SearchHit]) -> list[SearchHit]:
    seen: set[tuple[str, str]] = set()
    out = []
    for h in hits:
        if (h.kind, h.number) not in seen:
            seen.add((h.kind, h.number))
            out.append(h)
    return out


def format_address(obj: m.Contract | m.Tourist) -> str:
    parts = [obj.postal_index, obj.region if obj.region != obj.city else None, obj.city, obj.street]
    if obj.house:
        parts.append(f"д. {obj.house}")  # i18n: data
    if obj.flat:
        parts.append(f"кв. {obj.flat}")  # i18n: data
    return ", ".join(p for p in parts if p)
