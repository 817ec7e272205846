"""Sales & Smiles bonus accounts: accrual, burning, spending on a booking, refunds on a price decrease.

The pure rules are in ``domain/bonus_rules``; this module reads and writes the
three tables:

* ``bonus_accounts`` — one per manager and one per agency;
* ``bonus_balances`` — the spendable (active) amount per account, bonus type and
  currency.  Spending takes it with one conditional UPDATE
  (``active_minor = active_minor - x WHERE active_minor >= x``), so two desks
  spending from the same agency account at once can never take it below zero
  (the CHECK constraint is the second fence);
* ``bonus_transactions`` — the history; ``dedupe_key`` makes the accrual and
  burning batches idempotent (running them twice adds nothing).

Decisions where the seed is silent (documented for the administrator):

* a write-off is a ledger payment with method ``bonus``: the tour-currency
  amount is credited to the booking, and ``amount_minor`` holds its ruble value
  at the day's internal rate, so journals and shift totals stay in rubles; with
  no rate for the day the write-off is refused with the same reason as any
  ruble payment;
* Agent bonus: ``AGENT_PERCENT`` (1 %, the seed's «up to 1 %») of the agency's
  fully paid standard packages that returned in a quarter, in USD, when they
  reach ``agencies.sales_plan_usd_minor``; credited once the quarter is over;
* an expected accrual whose booking no longer qualifies is removed (a later
  change takes the application out of the programme); an active one stays.

This module is the facade: the work is done by one module per use case —
``bonus_accounts`` (accounts, balances, withdrawing), ``bonus_spending``,
``bonus_refunds`` (price change), ``bonus_accrual`` and ``bonus_burning``.
"""

from __future__ import annotations

from cashier_app.services.bonus_accounts import (
    ACCOUNT_KIND_LABELS,
    ACCOUNT_KINDS,
    BalanceLine,
    agency_account,
    balances,
    manager_account,
    withdraw,
    write_off,
)
from cashier_app.services.bonus_accrual import AGENT_PERCENT, AccrualReport, accrue
from cashier_app.services.bonus_burning import BurnReport, burn, parse_month
from cashier_app.services.bonus_refunds import PriceChange, change_price
from cashier_app.services.bonus_spending import SpendAccount, SpendInfo, SpendResult, spend, spend_info

__all__ = [
    "ACCOUNT_KINDS",
    "ACCOUNT_KIND_LABELS",
    "AGENT_PERCENT",
    "AccrualReport",
    "BalanceLine",
    "BurnReport",
    "PriceChange",
    "SpendAccount",
    "SpendInfo",
    "SpendResult",
    "accrue",
    "agency_account",
    "balances",
    "burn",
    "change_price",
    "manager_account",
    "parse_month",
    "spend",
    "spend_info",
    "withdraw",
    "write_off",
]
