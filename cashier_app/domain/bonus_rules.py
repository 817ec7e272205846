"""Sales & Smiles bonus programme: spending, accrual, burning, refunds.

Rules are the seed's (PEGAS Touristik, «Sales & Smiles»); numbers that the seed
fixes but an operator could change live in :class:`BonusSettings`.  Every
refusal comes with a Russian sentence a manager can act on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from types import MappingProxyType

from cashier_app.domain.money import format_money, percent_of
from cashier_app.domain.tours import (
    TOUR_TYPE_LABELS,
    BookingFacts,
    BookingStatus,
    TourType,
    days_ru,
    due_minor,
    format_date_ru,
    format_percent_ru,
    format_share_ru,
    paid_share_percent,
    within_grace,
)
from cashier_app.i18n import N_, tr

# Translated where shown; the messages below spell the phrase out so a translation reads as one sentence.
INSUFFICIENT_BONUSES = N_("Недостаточно бонусов")
MAX_SPEND_HINT = N_("Максимальная сумма к списанию")


class BonusType(StrEnum):
    PLUS = "plus"
    SELECT = "select"
    AGENT = "agent"


BONUS_TYPE_LABELS: dict[BonusType, str] = {
    BonusType.PLUS: "Sales & Smiles Plus",
    BonusType.SELECT: "Sales & Smiles Select",
    BonusType.AGENT: "Sales & Smiles Agent",
}


class BonusState(StrEnum):
    EXPECTED = "expected"
    ACTIVE = "active"
    BURNT = "burnt"
    SPENT = "spent"


BONUS_STATE_LABELS: dict[BonusState, str] = {
    BonusState.EXPECTED: N_("Ожидается"),
    BonusState.ACTIVE: N_("Активен"),
    BonusState.BURNT: N_("Сгорел"),
    BonusState.SPENT: N_("Списан"),
}


@dataclass(frozen=True, slots=True)
class BonusSettings:
    spend_min_paid_percent: Decimal = Decimal(90)
    spend_min_days_before_departure: int = 8
    spend_cap_percent: Decimal = Decimal(10)
    spend_cap_percent_promo: Decimal = Decimal(50)
    spend_forbidden_types: frozenset[TourType] = frozenset(
        {TourType.HOTEL_ONLY, TourType.FIT, TourType.TICKET_ONLY, TourType.DOMESTIC}
    )
    select_percent: Decimal = Decimal("0.25")
    select_min_days_paid_before_departure: int = 30  # strictly more than this
    agent_max_percent: Decimal = Decimal(1)
    accrual_after_return_days: int = 2
    sale_min_paid_percent: Decimal = Decimal(50)
    sale_grace_banking_days: int = 3
    # A monthly «sale» counts standard/individual outbound and domestic tours;
    # ticket-only, promo and single-service applications do not.
    sale_types: frozenset[TourType] = frozenset(
        {TourType.STANDARD, TourType.INDIVIDUAL, TourType.FIT, TourType.DOMESTIC, TourType.GROUP}
    )
    holidays: frozenset[date] = frozenset()


DEFAULTS = BonusSettings()


@dataclass(frozen=True, slots=True)
class SpendCheck:
    """Result of a spending check.

    ``max_by_type`` is the «Максимальная сумма к списанию» hint per bonus type
    (minor units of the tour currency): min(balance, what is left of the cap,
    what is still due).  ``cap_left_minor`` is what all types together may still
    take on this booking.
    """

    ok: bool
    reasons: tuple[str, ...] = ()
    max_by_type: Mapping[BonusType, int] = field(default_factory=lambda: MappingProxyType({}))
    cap_minor: int = 0
    cap_left_minor: int = 0
    currency: str = ""


@dataclass(frozen=True, slots=True)
class BonusTxnFacts:
    """One bonus accrual as the burning rule sees it."""

    id: int | str
    bonus_type: BonusType
    state: BonusState
    amount_minor: int
    # Day the accrual became active (credited, spendable); None while expected.
    active_since: date | None


# --- spending -----------------------------------------------------------------


def spend_cap_minor(booking: BookingFacts, settings: BonusSettings = DEFAULTS) -> int:
    """All bonus types together per application: 10 % of the amount payable (promo 50 %).

    Rounded down: it is a ceiling, so it must never exceed the percentage.
    """
    pct = settings.spend_cap_percent_promo if booking.promo else settings.spend_cap_percent
    return int((Decimal(booking.price_minor) * pct / 100).to_integral_value(rounding=ROUND_DOWN))


def spend_blockers(booking: BookingFacts, today: date, settings: BonusSettings = DEFAULTS) -> list[str]:
    """Reasons that forbid any write-off on this booking today, whatever the balances."""
    reasons: list[str] = []
    if booking.status is BookingStatus.CANCELLED:
        return [tr("заявка аннулирована")]
    if booking.status is not BookingStatus.CONFIRMED:
        return [tr("заявка не подтверждена")]
    if due_minor(booking) == 0:
        return [tr("заявка оплачена полностью")]
    if booking.tour_type in settings.spend_forbidden_types:
        reasons.append(tr("бонусами нельзя оплатить тур типа «{tour_type}»",
                           tour_type=tr(TOUR_TYPE_LABELS[booking.tour_type])))
    # Integer comparison: 89.995 % must not pass as 90 %.
    if Decimal(booking.paid_minor) * 100 < Decimal(booking.price_minor) * settings.spend_min_paid_percent:
        reasons.append(tr(
            "оплачено {paid} %, для списания бонусов нужно не меньше {need} %",
            paid=format_share_ru(paid_share_percent(booking)), need=format_percent_ru(settings.spend_min_paid_percent),
        ))
    days = (booking.departure - today).days
    if days < settings.spend_min_days_before_departure:
        reasons.append(tr(
            "до вылета {days} ({departure}), бонусы списываются не позднее чем за {need}",
            days=days_ru(days), departure=format_date_ru(booking.departure),
            need=days_ru(settings.spend_min_days_before_departure),
        ))
    return reasons


def _cap_left(booking: BookingFacts, already_spent: int, settings: BonusSettings) -> tuple[int, int]:
    cap = spend_cap_minor(booking, settings)
    return cap, max(min(cap - already_spent, due_minor(booking)), 0)


def spend_limits(
    booking: BookingFacts,
    balances: Mapping[BonusType, int],
    today: date,
    settings: BonusSettings = DEFAULTS,
    *,
    already_spent_on_booking_minor: int | None = None,
) -> SpendCheck:
    """The «Максимальная сумма к списанию» per bonus type, and whether spending is possible at all.

    ``already_spent_on_booking_minor`` defaults to ``booking.bonus_spent_minor``.
    """
    spent = (
        booking.bonus_spent_minor
        if already_spent_on_booking_minor is None
        else already_spent_on_booking_minor
    )
    cap, left = _cap_left(booking, spent, settings)
    blockers = spend_blockers(booking, today, settings)
    if blockers:
        left = 0
    limits = {t: max(min(balances.get(t, 0), left), 0) for t in BonusType}
    reasons = list(blockers)
    if not blockers and left == 0:
        reasons.append(tr(
            "по заявке уже списано {spent} — это весь лимит {cap}",
            spent=format_money(spent, booking.currency), cap=format_money(cap, booking.currency),
        ))
    return SpendCheck(
        ok=not reasons,
        reasons=tuple(reasons),
        max_by_type=MappingProxyType(limits),
        cap_minor=cap,
        cap_left_minor=left,
        currency=booking.currency,
    )


def check_spend(
    booking: BookingFacts,
    requested: Mapping[BonusType, int],
    balances: Mapping[BonusType, int],
    already_spent_on_booking_minor: int,
    today: date,
    settings: BonusSettings = DEFAULTS,
    *,
    bonus_currency: str | None = None,
) -> SpendCheck:
    """May the manager write off ``requested`` (per type, tour currency minor units) today?

    Over-limit requests give reasons starting with «Недостаточно бонусов», the
    operator's own message; ``max_by_type`` carries the hint to show next to it.
    ``bonus_currency``, when the account keeps one, must equal the tour's: the
    programme forbids conversion.
    """
    limits = spend_limits(
        booking, balances, today, settings, already_spent_on_booking_minor=already_spent_on_booking_minor
    )
    cur = booking.currency
    reasons = spend_blockers(booking, today, settings)
    if bonus_currency is not None and bonus_currency != cur:
        reasons.append(tr("бонусы в {bonus_currency} нельзя списать на тур в {currency}: конвертации нет",
                           bonus_currency=bonus_currency, currency=cur))
    if any(v < 0 for v in requested.values()):
        reasons.append(tr("сумма списания не может быть отрицательной"))
    total = sum(v for v in requested.values() if v > 0)
    if reasons:
        # The booking itself is not eligible: «Недостаточно бонусов» would mislead.
        return replace(limits, ok=False, reasons=tuple(reasons))
    if total == 0:
        reasons.append(tr("введите сумму списания"))
    for t in BonusType:
        want = requested.get(t, 0)
        have = balances.get(t, 0)
        if want > have:
            reasons.append(tr(
                "Недостаточно бонусов: {bonus_type} — к списанию {want}, на счёте {have}",
                bonus_type=BONUS_TYPE_LABELS[t], want=format_money(want, cur), have=format_money(have, cur),
            ))
    # One message for the binding limit: with 90 % paid the 10 % cap and the
    # amount still due are often equal, and two sentences would say the same.
    cap = limits.cap_minor
    due = due_minor(booking)
    if total + already_spent_on_booking_minor > cap and cap - already_spent_on_booking_minor <= due:
        pct = settings.spend_cap_percent_promo if booking.promo else settings.spend_cap_percent
        reasons.append(tr(
            "Недостаточно бонусов: к списанию {total}, уже списано {spent}, а по заявке можно не больше "
            "{cap} ({pct} % от суммы к оплате {price})",
            total=format_money(total, cur), spent=format_money(already_spent_on_booking_minor, cur),
            cap=format_money(cap, cur), pct=format_percent_ru(pct), price=format_money(booking.price_minor, cur),
        ))
    elif total > due:
        reasons.append(tr(
            "Больше суммы к оплате: к списанию {total}, к оплате {due}",  # not «Недостаточно бонусов» (issue 12)
            total=format_money(total, cur), due=format_money(due, cur),
        ))
    return replace(limits, ok=not reasons, reasons=tuple(reasons))


# --- accrual ------------------------------------------------------------------


def accrual_eligible(booking: BookingFacts) -> tuple[bool, str | None]:
    """Does the booking take part in Sales & Smiles accrual at all?

    Only fully paid standard packages; never promo, ticket-only, hotel-only,
    cancelled, individual, group applications or sub-agents.  A later change that
    breaks a condition simply makes this return False on the next evaluation.
    """
    if booking.status is BookingStatus.CANCELLED:
        return False, tr("заявка аннулирована — бонусы не начисляются")
    if booking.sub_agent:
        return False, tr("субагенты не участвуют в программе Sales & Smiles")
    if booking.tour_type is TourType.GROUP:
        return False, tr("групповые заявки не участвуют в программе Sales & Smiles")
    if booking.promo:
        return False, tr("за рекламные туры бонусы не начисляются")
    if booking.tour_type is not TourType.STANDARD or booking.single_service:
        label = tr(TOUR_TYPE_LABELS[booking.tour_type])
        return False, tr("бонусы начисляются только за стандартные пакетные туры, а это «{label}»",
                         label=label)
    if booking.paid_minor < booking.price_minor:
        return False, tr("бонусы начисляются только по полностью оплаченным заявкам")
    return True, None


def _base(booking: BookingFacts, non_commission_minor: int) -> int:
    if non_commission_minor < 0:
        raise ValueError("non_commission_minor must be non-negative")
    return max(booking.price_minor - non_commission_minor, 0)


def select_refusal(
    booking: BookingFacts, fully_paid_on: date | None, settings: BonusSettings = DEFAULTS
) -> str | None:
    """Why Select gives nothing for this booking (None when it does)."""
    ok, reason = accrual_eligible(booking)
    if not ok:
        return reason
    if not booking.hotel_select:
        return tr("отель не из коллекции Select")
    if fully_paid_on is None:
        return tr("заявка не оплачена на 100 %")
    days = (booking.departure - fully_paid_on).days
    need = settings.select_min_days_paid_before_departure
    if days <= need:
        return tr(
            "оплачена полностью {paid_on} — за {days} до вылета, а нужно больше чем за {need}",
            paid_on=format_date_ru(fully_paid_on), days=days_ru(days), need=days_ru(need),
        )
    return None


def select_accrual(
    booking: BookingFacts,
    fully_paid_on: date | None,
    non_commission_minor: int,
    settings: BonusSettings = DEFAULTS,
) -> tuple[int, int]:
    """Select bonus: (manager, agency), each 0.25 % of (amount payable − non-commission services).

    Only Select hotels, only if 100 % was paid MORE than 30 days before departure
    (exactly 30 days gives nothing).  Half-up to the minor unit, like every percent
    in the app.
    """
    base = _base(booking, non_commission_minor)
    if select_refusal(booking, fully_paid_on, settings) is not None:
        return 0, 0
    share = percent_of(base, settings.select_percent)
    return share, share


def plus_accrual(booking: BookingFacts, non_commission_minor: int = 0) -> int:
    """Plus bonus to the manager: the hotel's percent of the commissionable amount, or its fixed sum."""
    base = _base(booking, non_commission_minor)
    if not accrual_eligible(booking)[0]:
        return 0
    if booking.plus_bonus_fixed_minor is not None:
        return booking.plus_bonus_fixed_minor
    if booking.plus_bonus_percent is not None:
        return percent_of(base, booking.plus_bonus_percent)
    return 0


def agent_accrual(
    plan_met: bool, sales_minor: int, percent: Decimal, settings: BonusSettings = DEFAULTS
) -> int:
    """Agent bonus to the agency account: up to 1 % of sales when the plan is met."""
    if not isinstance(percent, Decimal):
        raise TypeError("percent must be Decimal")
    if percent < 0 or percent > settings.agent_max_percent:
        raise ValueError(f"Agent bonus is 0–{settings.agent_max_percent} %, got {percent}")
    if not plan_met or sales_minor <= 0:
        return 0
    return percent_of(sales_minor, percent)


def accrual_date(return_date: date, settings: BonusSettings = DEFAULTS) -> date:
    """Latest day the bonus is credited: within two days after the tourists return."""
    return return_date + timedelta(days=settings.accrual_after_return_days)


# --- keeping (burning) ----------------------------------------------------------


def month_start_of(d: date) -> date:
    return d.replace(day=1)


def next_month_start(d: date) -> date:
    first = d.replace(day=1)
    return (first + timedelta(days=32)).replace(day=1)


def is_sale(booking: BookingFacts, month: date, settings: BonusSettings = DEFAULTS) -> bool:
    """Does the booking keep the manager's bonuses alive for ``month`` (any day of it)?

    A sale: a counted tour type, not cancelled/promo/single-service, confirmed in
    the month (or in the last three banking days of the previous one), and first
    paid 50 % — or 100 % at once — within the month.  ``paid_50_on`` is the day the
    running total first reached 50 %; a full first payment reaches it too.
    """
    start = month_start_of(month)
    end = next_month_start(month)
    if booking.status is BookingStatus.CANCELLED or booking.promo or booking.single_service:
        return False
    if booking.tour_type not in settings.sale_types:
        return False
    c = booking.confirmed_on
    if c is None or c >= end:
        return False
    if c < start and not within_grace(c, start, settings.sale_grace_banking_days, settings.holidays):
        return False
    p = booking.paid_50_on
    return p is not None and start <= p < end


def burn_for_month(
    transactions: Sequence[BonusTxnFacts],
    month_start: date,
    manager_had_sale: bool,
    account_tied_to_agency_user: bool,
) -> list[int | str]:
    """Ids of accruals that burn for the month starting ``month_start``.

    Only active accruals that became active before the month burn, and only when
    the manager made no sale in it.  Accruals activated in the month and expected
    ones stay; accounts not tied to an agency user are exempt.
    """
    if not account_tied_to_agency_user or manager_had_sale:
        return []
    start = month_start_of(month_start)
    return [
        t.id
        for t in transactions
        if t.state is BonusState.ACTIVE
        and t.active_since is not None
        and t.active_since < start
        and t.amount_minor > 0
    ]


# --- refunds ------------------------------------------------------------------


def refund_split(decrease_minor: int, spent_bonus_minor: int) -> tuple[int, int]:
    """A price decrease goes back first as bonuses (up to what was spent), the rest as money."""
    if decrease_minor < 0 or spent_bonus_minor < 0:
        raise ValueError("amounts must be non-negative")
    bonus = min(decrease_minor, spent_bonus_minor)
    return bonus, decrease_minor - bonus


def cancellation_bonus_refund(spent_bonus_minor: int, currency: str) -> tuple[int, str]:
    """Agency cancels the application: spent bonuses are not returned. Returns (0, why)."""
    if spent_bonus_minor <= 0:
        return 0, tr("бонусы по заявке не списывались")
    return 0, tr(
        "заявка аннулирована агентством: списанные бонусы ({spent}) на бонусный счёт не возвращаются",
        spent=format_money(spent_bonus_minor, currency),
    )
