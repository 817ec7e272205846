"""Eight desks spending bonuses through the service at once (``bonuses.spend``, PostgreSQL; issue 10 §7).

The spending desk locks the booking (the 10 % cap is checked one desk at a
time) and takes the balance with one conditional UPDATE (the agency account
cannot be overdrawn); both are checked here with eight processes, against the
final balance, the spend transactions, the ledger and every booking's paid total.
"""

from __future__ import annotations

import pytest

from tests.race_helpers import PROCESSES, bonus_office, bonus_state, make_office, ok, race


@pytest.fixture
def office(pg_database_factory) -> str:  # type: ignore[no-untyped-def]
    return make_office(pg_database_factory)


def test_parallel_bonus_spending_never_overdraws_the_agency_account(office: str) -> None:
    # Eight bookings (one per desk, so only the balance row is shared), 100 USD of room each,
    # 200 USD on the account: most of the 800 USD asked for must be refused.
    numbers, account_id = bonus_office(office, bookings=PROCESSES, balance=20_000)
    amounts = [1_000 + 37 * i for i in range(10)]  # 10.00–13.33 USD, about 116 USD per desk
    out = race(office, [{"kind": "bonus", "login": "manager", "desk": f"bonus-{i}", "booking": number,
                         "amounts": amounts} for i, number in enumerate(numbers)])
    accepted = [a for batch, _ in ok(out) for a in batch]
    refused = sum(r for _, r in ok(out))
    assert refused > 0 and accepted
    final, rows, total, paid, ledger_sum = bonus_state(office, account_id, numbers)
    assert final >= 0
    assert final == 20_000 - sum(accepted)
    assert (rows, total) == (len(accepted), sum(accepted))
    assert sum(p - 90_000 for p in paid.values()) == sum(accepted) == ledger_sum
    assert all(p <= 100_000 for p in paid.values())


def test_parallel_bonus_spending_on_one_booking_keeps_the_cap(office: str) -> None:
    numbers, account_id = bonus_office(office, bookings=1, balance=1_000_000)
    amounts = [700 + 13 * i for i in range(6)]  # each desk alone would take about 45 USD of the 100 USD cap
    out = race(office, [{"kind": "bonus", "login": "manager", "desk": f"bonus-{i}", "booking": numbers[0],
                         "amounts": amounts} for i in range(PROCESSES)])
    accepted = [a for batch, _ in ok(out) for a in batch]
    final, rows, total, paid, ledger_sum = bonus_state(office, account_id, numbers)
    assert sum(accepted) <= 10_000 and paid[numbers[0]] == 90_000 + sum(accepted) <= 100_000
    assert (rows, total, ledger_sum) == (len(accepted), sum(accepted), sum(accepted))
    assert final == 1_000_000 - sum(accepted)
