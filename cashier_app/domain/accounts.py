"""Rules of a subscriber's personal account."""

from __future__ import annotations

from cashier_app.i18n import N_

# Translated where shown (``tr(BLOCK_STATE_LABELS[state])``).
BLOCK_STATE_LABELS = {
    "active": N_("Активен"),
    "voluntary": N_("Добровольная блокировка"),
    "debt": N_("Заблокирован за неуплату"),
    "admin": N_("Заблокирован администратором"),
}


def monthly_charge(tariff_fee_minor: int, service_fees_minor: list[int], block_state: str) -> int:
    """What a month costs; no fee while the subscriber's voluntary block lasts."""
    if block_state == "voluntary":
        return 0
    return tariff_fee_minor + sum(service_fees_minor)


def suggested_payment(monthly_minor: int, balance_minor: int) -> int:
    """The amount to suggest at the counter («сумма к оплате»).

    The month's cost minus a positive balance; a debt is added, since paying
    only the month would leave the account blocked.
    """
    return max(0, monthly_minor - balance_minor)
