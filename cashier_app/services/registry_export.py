"""The day's payment register of a payee: a CSV in the payee's layout, or a 1CClientBankExchange 1.03 file.

Which payments: the office's business day ``D`` (its zone, ``office_time.bounds_utc``) by the moment the
money was credited (``settled_at``): every credited ``payment`` entry of the payee, and every credited
cancel/refund entry (``reversal``/``refund``) made that day.  **Refunds and cancels appear as a line with a
negative amount on the day of the refund** (never by rewriting the earlier day's register, which the payee
may already have loaded): the CSV's totals line is the day's net; the 1C file carries them as documents in
the other direction (the payee's account is the payer) and in ``ВсегоСписано``.

Encoding: a character the chosen encoding (cp1251 by default) cannot write is refused with the field and
the payment named — a register with «?» in a name is a register that matches nobody.  The file is written
whole or not at all (``output_files.write_atomic``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from cashier_app.domain import registry_layout as rl
from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr
from cashier_app.printing.dto import TargetKind
from cashier_app.services import office_time
from cashier_app.services.context import DeskContext
from cashier_app.services.document_parts import _purpose
from cashier_app.services.output_files import write_atomic
from cashier_app.services.permissions import require
from cashier_app.services.registry_layouts import get as get_layout
from cashier_app.services.registry_layouts import payee_by_code
from cashier_app.storage import models as m

# Written into the register file (the payee reads it): Russian whatever the UI's language.
METHOD_LABELS = {"cash": "наличные", "card": "карта", "sbp": "СБП", "bonus": "бонусы", "bank": "банк",  # i18n: data
                 "post": "почта"}  # i18n: data
REVERSAL_KINDS = ("reversal", "refund")


@dataclass(slots=True)
class Line:
    """One register line: a payment (positive) or a cancel/refund of the day (negative)."""

    number: str
    kind: str  # payment | reversal | refund
    settled_at: datetime  # UTC
    amount_minor: int  # signed
    account: str
    full_name: str
    address: str
    method: str
    desk: str
    cashier: str
    purpose: str
    txn_id: str = ""
    prv_txn: str = ""
    values: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Export:
    path: str
    format: str
    day: date
    count: int
    payments_minor: int
    reversals_minor: int  # positive: what went back
    encoding: str

    @property
    def total_minor(self) -> int:
        return self.payments_minor - self.reversals_minor

    def as_json(self) -> dict[str, Any]:
        return {"file": self.path, "format": self.format, "date": self.day.isoformat(), "count": self.count,
                "payments_minor": self.payments_minor, "reversals_minor": self.reversals_minor,
                "total_minor": self.total_minor, "encoding": self.encoding}


def _address(c: m.Contract | None) -> str:
    if c is None:
        return ""
    parts = [c.city or "", c.street or "", f"д. {c.house}" if c.house else "", f"кв. {c.flat}" if c.flat else ""]  # i18n: data
    return ", ".join(x for x in parts if x)


def lines_for(s: Session, payee: m.Payee, first: date, last: date | None = None) -> list[Line]:
    """The register lines of ``payee`` for the office's days ``first`` … ``last``, in credit order."""
    start, end = office_time.bounds_utc(s, first, last)
    orig = aliased(m.Payment)
    bd = aliased(m.BillingDelivery)
    # The pay row of the payment itself, or — for a cancel/refund — of the payment it reverses: the
    # billing knows the reversal under the original txn_id.
    q = (select(m.Payment, orig, m.Account, m.Contract, m.Booking, m.User, bd)
         .outerjoin(orig, orig.id == m.Payment.reverses_id)
         .outerjoin(m.Account, m.Account.id == m.Payment.account_id)
         .outerjoin(m.Contract, m.Contract.id == m.Account.contract_id)
         .outerjoin(m.Booking, m.Booking.id == m.Payment.booking_id)
         .outerjoin(m.User, m.User.id == m.Payment.user_id)
         .outerjoin(bd, and_(bd.operation == "pay", bd.payment_id == _pay_id(m.Payment)))
         .where(m.Payment.payee_id == payee.id, m.Payment.credited.is_(True),
                m.Payment.settled_at >= start, m.Payment.settled_at < end,
                m.Payment.entry_kind.in_(("payment", *REVERSAL_KINDS)))
         .order_by(m.Payment.settled_at, m.Payment.id))
    out: list[Line] = []
    for p, o, acc, con, bk, user, delivery in s.execute(q).all():
        # A cancel/refund entry is stored negative (ledger.add_reversal); abs() keeps the sign rule here.
        sign = -1 if p.entry_kind in REVERSAL_KINDS else 1
        if acc is not None:
            target, kind = acc.number, TargetKind.ACCOUNT
            name = con.full_name if con is not None else ""
        else:
            target, kind = (bk.number if bk is not None else ""), TargetKind.BOOKING
            name = _lead_name(s, bk)
        purpose = _purpose(payee.purpose_template, target, kind)
        if sign < 0 and o is not None:
            purpose = f"Возврат по платежу {o.number}: {purpose}"[:210]  # i18n: data
        out.append(Line(
            number=p.number, kind=p.entry_kind, settled_at=_utc(p.settled_at or p.created_at),
            amount_minor=sign * abs(p.amount_minor), account=target, full_name=name, address=_address(con),
            method=METHOD_LABELS.get(p.method, p.method), desk=p.desk,
            cashier=(user.full_name or user.login) if user is not None else "", purpose=purpose,
            txn_id=delivery.txn_id if delivery is not None else "",
            prv_txn=(delivery.prv_txn or "") if delivery is not None else ""))
    return out


def _pay_id(p: Any) -> Any:
    """SQL: the payment whose ``pay`` row names this entry (itself, or the one it reverses)."""
    from sqlalchemy import func

    return func.coalesce(p.reverses_id, p.id)


def _lead_name(s: Session, b: m.Booking | None) -> str:
    if b is None:
        return ""
    rows = s.execute(select(m.Tourist.full_name, m.Tourist.is_lead).where(m.Tourist.booking_id == b.id)
                     .order_by(m.Tourist.id)).all()
    lead = next((n for n, is_lead in rows if is_lead), rows[0][0] if rows else "")
    return lead


def _utc(v: datetime) -> datetime:
    return v if v.tzinfo is not None else v.replace(tzinfo=UTC)


def _values(line: Line, layout: rl.RegistryLayout, payee: m.Payee, zone: Any) -> dict[str, str]:
    local = line.settled_at.astimezone(zone) if zone is not None else line.settled_at.astimezone()
    return {
        "number": line.number, "txn_id": line.txn_id, "prv_txn": line.prv_txn,
        "date": rl.format_when(local, layout.date_format), "time": rl.format_when(local, layout.time_format),
        "datetime": rl.format_when(local, f"{layout.date_format} {layout.time_format}"),
        "account": line.account, "full_name": line.full_name, "address": line.address,
        "amount": rl.format_amount(line.amount_minor, layout.amount_format), "method": line.method,
        "desk": line.desk, "cashier": line.cashier, "payee_inn": payee.inn, "purpose": line.purpose,
    }


def _encode(text: str, encoding: str, where: str, what: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = text[exc.start:exc.end]
        raise ValidationError(what, tr("{where}: символ «{char}» ({code}) нельзя записать в кодировке {encoding}; "
                                       "исправьте данные или выберите utf-8", where=where, char=bad,
                                       code=f"U+{ord(bad[0]):04X}", encoding=encoding)) from None


def render_csv(lines: list[Line], layout: rl.RegistryLayout, payee: m.Payee, zone: Any) -> bytes:
    """The register as bytes in the layout's encoding; a value it cannot encode is refused by name.

    The file's own text (header, «ИТОГО») is the payee's format, in Russian; only a refusal is translated.
    """
    buf = io.BytesIO()
    nl = layout.newline

    def put(cells: list[str], where: str, names: list[str]) -> None:
        text = io.StringIO()
        csv.writer(text, delimiter=layout.separator, lineterminator=nl, quoting=csv.QUOTE_MINIMAL).writerow(cells)
        for cell, name in zip(cells, names, strict=True):
            _encode(cell, layout.encoding, where, name)  # names the field, not just the line
        buf.write(_encode(text.getvalue(), layout.encoding, where, N_("Реестр")))

    labels = [rl.COLUMNS[c] for c in layout.columns]
    if layout.header:
        put(labels, tr("заголовок"), labels)
    for line in lines:
        values = _values(line, layout, payee, zone)
        put([values[c] for c in layout.columns], tr("платёж {number}", number=line.number), labels)
    if layout.totals:
        total = sum(x.amount_minor for x in lines)
        cells = ["ИТОГО", str(len(lines)), rl.format_amount(total, layout.amount_format)]  # i18n: data
        put(cells, tr("итог"), [N_("ИТОГО"), N_("Количество"), N_("Сумма")])
    return buf.getvalue()


def _doc_number(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit()).lstrip("0")
    return digits or "0"


def _rub(minor: int) -> str:
    return rl.format_amount(minor, "1234.50")


def render_1c(lines: list[Line], layout: rl.RegistryLayout, payee: m.Payee, zone: Any, first: date,
              last: date, *, sender: str = "cashier-app", now: datetime | None = None) -> bytes:
    """1CClientBankExchange 1.03, ``Кодировка=Windows`` (cp1251), CRLF, ``key=value`` lines.

    The statement is of the payee's account (``РасчСчет``): each payment of the day is an incoming
    «Платежное поручение» from the agent (the layout's payer, or the payee itself), each cancel/refund
    an outgoing one back to it.
    """
    now = (now or datetime.now(UTC)).astimezone(zone) if zone is not None else (now or datetime.now(UTC)).astimezone()
    payer_name = layout.payer_name or payee.name
    payer_inn = layout.payer_inn or payee.inn
    payer_acc = layout.payer_account or payee.account
    incoming = sum(x.amount_minor for x in lines if x.amount_minor > 0)
    outgoing = -sum(x.amount_minor for x in lines if x.amount_minor < 0)
    out: list[tuple[str, str]] = [
        ("1CClientBankExchange", ""), ("ВерсияФормата", "1.03"), ("Кодировка", "Windows"),  # i18n: data
        ("Отправитель", sender), ("Получатель", "Бухгалтерский учет"), ("ДатаСоздания", now.strftime("%d.%m.%Y")),  # i18n: data
        ("ВремяСоздания", now.strftime("%H:%M:%S")), ("ДатаНачала", first.strftime("%d.%m.%Y")),  # i18n: data
        ("ДатаКонца", last.strftime("%d.%m.%Y")), ("РасчСчет", payee.account), ("Документ", "Платежное поручение"),  # i18n: data
        ("СекцияРасчСчет", ""), ("ДатаНачала", first.strftime("%d.%m.%Y")), ("ДатаКонца", last.strftime("%d.%m.%Y")),  # i18n: data
        ("РасчСчет", payee.account), ("НачальныйОстаток", "0.00"), ("ВсегоПоступило", _rub(incoming)),  # i18n: data
        ("ВсегоСписано", _rub(outgoing)), ("КонечныйОстаток", _rub(incoming - outgoing)), ("КонецРасчСчет", ""),  # i18n: data
    ]
    for x in lines:
        local = x.settled_at.astimezone(zone) if zone is not None else x.settled_at.astimezone()
        day = local.strftime("%d.%m.%Y")
        agent = [("Счет", payer_acc), ("", payer_name), ("ИНН", payer_inn)]  # i18n: data
        own = [("Счет", payee.account), ("", payee.name), ("ИНН", payee.inn), ("КПП", payee.kpp or ""),  # i18n: data
               ("БИК", payee.bic), ("Банк1", payee.bank_name), ("Корсчет", payee.corr_account)]  # i18n: data
        pay_side, get_side = (agent, own) if x.amount_minor > 0 else (own, agent)
        purpose = x.purpose + (f", плательщик {x.full_name}" if x.full_name else "")  # i18n: data
        out += [("СекцияДокумент", "Платежное поручение"), ("Номер", _doc_number(x.number)), ("Дата", day),  # i18n: data
                ("Сумма", _rub(abs(x.amount_minor)))]  # i18n: data
        out += [(f"Плательщик{k}", v) for k, v in pay_side]  # i18n: data
        out += [(f"Получатель{k}", v) for k, v in get_side]  # i18n: data
        out += [("ВидОплаты", "01"), ("Очередность", "5"), ("НазначениеПлатежа", purpose[:210])]  # i18n: data
        out += [("ДатаПоступило" if x.amount_minor > 0 else "ДатаСписано", day), ("КонецДокумента", "")]  # i18n: data
    out.append(("КонецФайла", ""))  # i18n: data
    buf = io.BytesIO()
    current = tr("заголовок")  # where a refusal points; the keys themselves are 1C's, shown as they are
    for key, value in out:
        if key == "Номер":  # i18n: data
            current = tr("документ № {number}", number=value)
        if "\r" in value or "\n" in value:
            raise ValidationError(key, tr("{where}: перевод строки в значении — файл 1С не прочитать", where=current))
        text = f"{key}={value}" if value or key not in _BARE else key
        buf.write(_encode(text + "\r\n", "cp1251", current, key))
    return buf.getvalue()


# Lines written without «=» (section markers); every other key is written as «key=value» even when empty.
_BARE = {"1CClientBankExchange", "СекцияРасчСчет", "КонецРасчСчет", "КонецДокумента", "КонецФайла"}  # i18n: data


def export(ctx: DeskContext, payee_code: str, day: date, path: str, *, fmt: str = "csv",
           last: date | None = None) -> Export:
    """Write the register of ``payee_code`` for the business day ``day`` (… ``last``) to ``path``."""
    require(ctx, "reports")
    if fmt not in ("csv", "1c"):
        raise ValidationError("--format", tr("можно csv или 1c"))
    last = last or day
    if last < day:
        raise ValidationError("--to", tr("конец периода раньше начала"))
    with ctx.db.read() as uow:
        s = uow.session
        payee = payee_by_code(s, payee_code)
        layout = get_layout(s, payee.id)
        lines = lines_for(s, payee, day, last)
        zone = office_time.office_zone(s)
        if fmt == "csv":
            data = render_csv(lines, layout, payee, zone)
            encoding = layout.encoding
        else:
            data = render_1c(lines, layout, payee, zone, day, last)
            encoding = "cp1251"
    write_atomic(path, data, "-o")
    return Export(path=str(path), format=fmt, day=day, count=len(lines),
                  payments_minor=sum(x.amount_minor for x in lines if x.amount_minor > 0),
                  reversals_minor=-sum(x.amount_minor for x in lines if x.amount_minor < 0), encoding=encoding)
