"""A deterministic, realistic demo office.

Five payees of the seeds with requisites that pass validation, ISP subscribers
(contracts with one to three accounts, numbers with leading zeros, logins like
``dem001``), tour bookings of every type in USD and EUR, internal rates for the
last 30 days, bonus accounts, and the demo users.

Rows are produced by generators and written in chunks, so ``--scale 1000000``
runs in constant memory.  Every account's balance equals its credited payments
minus its charges, and every booking's paid amount equals its credited
payments: the same invariants the ledger keeps later.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Table, func, insert, select, text

from cashier_app.domain.fiscal_receipt import default_rules
from cashier_app.domain.money import convert_to_rub
from cashier_app.domain.normalize import phone_key, street_key, text_key
from cashier_app.i18n import tr
from cashier_app.storage import models as m

CHUNK = 5000
SEED = 20261123

DEMO_USERS = (
    # login, password, role, full name
    ("admin", "admin", "admin", "Соколова Ирина Петровна"),
    ("manager", "manager", "manager", "Кузнецов Андрей Викторович"),
    ("cashier", "cashier", "cashier", "Смирнова Ольга Николаевна"),
)

SANDBOX_URL = "http://127.0.0.1:8765"
# The register emulator (``cashier-app fiscal-sandbox``, ATOL Web Server's default port).
REGISTER_URL = "http://127.0.0.1:16732"
# The billing emulator (``cashier-app billing-sandbox``, OSMP check/pay): interra's subscribers live there.
BILLING_URL = "http://127.0.0.1:8766/osmp"
# The cashiers' INNs as printed on receipts (tag 1203): valid check digits, nobody's real number.
DEMO_FISCAL_INN = {"admin": "770123456703", "manager": "402712345698", "cashier": "526098765441"}
# The office as a payment agent: its phone (1073), the payment operator's (1074), where it settles.
DEMO_AGENT_PHONE = "+74951234567"
DEMO_OPERATOR_PHONE = "+74957654321"
DEMO_PLACE = "г. Москва, ул. Тверская, д. 7, касса № 1"
DEMO_COMPANY_EMAIL = "kassa@demo-office.ru"
# Each payee's own phone as the receipt's supplier (1171).
DEMO_SUPPLIER_PHONES = {"interra": "+74842570101", "dem": "+78312000202", "alliance": "+74956400303",
                        "nts": "+74955200404", "pegas": "+74957750505"}

PAYEES: tuple[dict[str, Any], ...] = (
    dict(
        code="interra", kind="isp", name="ООО «Интерра»", inn="4027001231", kpp="402701001",
        account="40702810138250123017", bank_name="ПАО СБЕРБАНК", bic="044525225",
        corr_account="30101810400000000225", postal_index="248000",
        address="Калужская обл., г. Калуга, ул. Кирова, д. 19",
        purpose_template="Оплата услуг связи по лицевому счёту {account}", tech_code="09",
        gateway_provider="sberbank", gateway_base_url=SANDBOX_URL, gateway_login="demo-api",
    ),
    dict(
        code="dem", kind="isp", name="ООО «ДЭМ Интернет»", inn="5260012342", kpp="526001001",
        account="40702810210000123456", bank_name="АО «ТБанк»", bic="044525974",
        corr_account="30101810145250000974", postal_index="603005",
        address="Нижегородская обл., г. Нижний Новгород, ул. Минина, д. 3",
        purpose_template="Оплата интернета, л/с {account}", tech_code="09",
        gateway_provider="tbank", gateway_base_url=SANDBOX_URL, gateway_login="DemoTerminal",
    ),
    dict(
        code="alliance", kind="isp", name="ООО «АльянсТелеком»", inn="7723456782", kpp="772301001",
        account="40702810600000004521", bank_name="Банк ВТБ (ПАО)", bic="044525187",
        corr_account="30101810700000000187", postal_index="109029",
        address="г. Москва, ул. Нижегородская, д. 32, стр. 4",
        purpose_template="Оплата услуг связи, лицевой счёт {account}", tech_code="09",
        gateway_provider="sberbank", gateway_base_url=SANDBOX_URL, gateway_login="demo-api",
    ),
    dict(
        code="nts", kind="isp", name="ООО «НТС»", inn="5001234561", kpp="500101001",
        account="40702810701300007777", bank_name="АО «АЛЬФА-БАНК»", bic="044525593",
        corr_account="30101810200000000593", postal_index="143900",
        address="Московская обл., г. Балашиха, ш. Энтузиастов, д. 7",
        purpose_template="Оплата услуг NTS, л/с {account}", tech_code="09",
        gateway_provider="chronopay", gateway_base_url=SANDBOX_URL, gateway_login="demo-product",
    ),
    dict(
        code="pegas", kind="travel", name="ООО «Пегас Ритейл»", inn="7714098763", kpp="771401001",
        account="40702810600000055555", bank_name="ПАО «Промсвязьбанк»", bic="044525555",
        corr_account="30101810400000000555", postal_index="125040",
        address="г. Москва, ул. Правды, д. 26",
        purpose_template="Оплата туристских услуг по заявке {booking}", tech_code="11",
        gateway_provider="sberbank", gateway_base_url=SANDBOX_URL, gateway_login="demo-api",
    ),
)
ISP_CODES = ("interra", "dem", "alliance", "nts")

TARIFFS = (
    ("Домашний 100", 55000, 100),
    ("Домашний 300", 75000, 300),
    ("Максимум 500", 95000, 500),
    ("ТВ + Интернет", 110000, 300),
)
SERVICES = (("Белый IP", 15000), ("ТВ-пакет «Базовый»", 29900), ("Антивирус", 9900))

COUNTRIES_HOTELS = (
    ("Турция", ("Rixos Premium Belek 5*", "Crystal Sunset Luxury 5*", "Club Hotel Sera 5*")),
    ("Египет", ("Sunrise Crystal Bay 5*", "Rixos Sharm El Sheikh 5*", "Jaz Mirabel Beach 5*")),
    ("Таиланд", ("Centara Grand Beach 5*", "Kata Thani Phuket 5*", "Amari Pattaya 4*")),
    ("ОАЭ", ("Rixos The Palm Dubai 5*", "Hilton Ras Al Khaimah 5*", "Citymax Bur Dubai 3*")),
    ("Вьетнам", ("Vinpearl Nha Trang 5*", "Sunrise Nha Trang 5*", "Amiana Resort 5*")),
    ("Греция", ("Mitsis Rinela 5*", "Aldemar Knossos 5*", "Stella Village 4*")),
    ("Россия", ("Radisson Rosa Khutor 5*", "Pullman Sochi Centre 5*", "Жемчужина 4*")),
)
TOUR_TYPES = ("standard", "individual", "hotel_only", "ticket_only", "fit", "domestic", "promo", "group")
TOUR_TYPE_WEIGHTS = (50, 6, 8, 8, 5, 8, 10, 5)


@dataclass(frozen=True)
class DemoSummary:
    accounts: int
    contracts: int
    bookings: int
    payments: int
    users: tuple[tuple[str, str, str], ...]


def _chunks(rows: Iterable[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Pools:
    """Names and streets drawn once from Faker, then combined: fast at any scale."""

    def __init__(self, rng: random.Random) -> None:
        from faker import Faker

        fake = Faker("ru_RU")
        fake.seed_instance(SEED)
        self.male = [(fake.last_name_male(), fake.first_name_male(), fake.middle_name_male()) for _ in range(400)]
        self.female = [
            (fake.last_name_female(), fake.first_name_female(), fake.middle_name_female()) for _ in range(400)
        ]
        self.streets = sorted({fake.street_title() for _ in range(600)})
        self.cities = (
            ("Калужская обл.", "г. Калуга", "2480"),
            ("Нижегородская обл.", "г. Нижний Новгород", "6030"),
            ("г. Москва", "г. Москва", "1090"),
            ("Московская обл.", "г. Балашиха", "1439"),
            ("Ростовская обл.", "г. Ростов-на-Дону", "3440"),
        )
        self.rng = rng

    def person(self) -> tuple[str, str, str]:
        pool = self.male if self.rng.random() < 0.5 else self.female
        return self.rng.choice(pool)

    def address(self, city_index: int | None = None) -> dict[str, str]:
        rng = self.rng
        region, city, idx = self.cities[city_index if city_index is not None else rng.randrange(5)]
        street = "ул. " + rng.choice(self.streets)
        return {
            "postal_index": idx + f"{rng.randrange(100):02d}",
            "region": region,
            "city": city,
            "street": street,
            "house": str(rng.randint(1, 120)) + rng.choice(("", "", "", "а", "к1", "к2")),
            "flat": str(rng.randint(1, 240)),
        }


def account_number(payee_code: str, j: int) -> str:
    """Each payee's own numbering; leading zeros are part of the number."""
    if payee_code == "interra":
        return str(270000 + j)  # six digits, like the seed's 271556
    if payee_code == "dem":
        return "00" + f"{j:05d}"  # the seed's 00XXXXX
    if payee_code == "alliance":
        return str(j)  # plain numbers from 1
    return "0" + str(j)  # NTS: 01, 02, …; never equal to an alliance number


def account_login(payee_code: str, j: int) -> str:
    prefix = {"interra": "int", "dem": "dem", "alliance": "at", "nts": "nts"}[payee_code]
    return f"{prefix}{j:03d}"


def generate(
    engine: Engine,
    *,
    accounts: int = 2000,
    bookings: int | None = None,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
    hash_password: Callable[[str], str],
) -> DemoSummary:
    """Fill an empty, migrated database with the demo office.

    ``hash_password`` makes the demo users' password hashes: given by the caller
    (``services.passwords.hash_password``; tests pass a fast one), so storage
    imports no service.
    """
    today = today or date.today()
    bookings = accounts // 4 if bookings is None else bookings
    rng = random.Random(SEED)
    pools = _Pools(rng)
    say = progress or (lambda _msg: None)
    now = datetime.combine(today, time(9, 0), tzinfo=UTC)

    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(m.Payee.__table__)).scalar_one():
            raise RuntimeError(tr("база уже содержит данные; демо-офис создаётся только в пустой базе"))

        def put(table: Table, rows: Iterable[dict[str, Any]]) -> int:
            n = 0
            for batch in _chunks(rows):
                conn.execute(insert(table), batch)
                n += len(batch)
            return n

        put(m.Payee.__table__, ({"id": i + 1, **p} for i, p in enumerate(PAYEES)))
        payee_id = {p["code"]: i + 1 for i, p in enumerate(PAYEES)}

        tariff_rows, service_rows = [], []
        for code in ISP_CODES:
            for name, fee, speed in TARIFFS:
                tariff_rows.append(
                    {"id": len(tariff_rows) + 1, "payee_id": payee_id[code], "name": name,
                     "monthly_fee_minor": fee, "speed_mbps": speed}
                )
            for name, fee in SERVICES:
                service_rows.append(
                    {"id": len(service_rows) + 1, "payee_id": payee_id[code], "name": name,
                     "monthly_fee_minor": fee}
                )
        put(m.Tariff.__table__, tariff_rows)
        put(m.Service.__table__, service_rows)
        put(m.FiscalSettings.__table__, _fiscal_rows(payee_id, now))
        put(m.BillingSettings.__table__, [{"payee_id": payee_id["interra"], "protocol": "osmp", "url": BILLING_URL,
                                          "dialect": "abills", "login": None, "ca_file": None, "updated_at": now}])

        # Agencies and users (the three demo users plus managers of other agencies).
        agency_rows = [
            {"id": 1, "name": "ООО «Турагентство Магеллан»", "inn": "7701234565", "city": "г. Москва",
             "is_network": False, "registered_on": date(2019, 3, 1), "sales_plan_usd_minor": 2_000_000},
            {"id": 2, "name": "ООО «Пегас Туристик — сеть»", "inn": "7702345675", "city": "г. Москва",
             "is_network": True, "registered_on": date(2015, 1, 12), "sales_plan_usd_minor": 5_000_000},
            {"id": 3, "name": "ИП Волкова Е. С. «Солнечный берег»", "inn": None, "city": "г. Калуга",
             "is_network": False, "registered_on": date(today.year, 1, 20), "sales_plan_usd_minor": None},
            {"id": 4, "name": "ООО «Вокруг света»", "inn": "5260054321", "city": "г. Нижний Новгород",
             "is_network": False, "registered_on": date(2021, 6, 5), "sales_plan_usd_minor": 1_500_000},
        ]
        # A large office deals with many agencies (a few hundred bookings each a quarter), not four.
        for i in range(len(agency_rows) + 1, bookings // 300 + 1):
            agency_rows.append({
                "id": i, "name": f"ООО «Турагентство № {i}»", "inn": None, "city": pools.cities[i % 5][1],
                "is_network": i % 25 == 0, "registered_on": date(2015 + i % 10, 1 + i % 12, 1 + i % 28),
                "sales_plan_usd_minor": 1_000_000 + (i % 7) * 500_000,
            })
        put(m.Agency.__table__, agency_rows)
        user_rows = []
        for i, (login, password, role, full_name) in enumerate(DEMO_USERS):
            user_rows.append(
                {"id": i + 1, "login": login, "full_name": full_name, "role": role,
                 "password_hash": hash_password(password), "active": True, "failed_attempts": 0,
                 "cash_limit_minor": 50_000_000 if role == "cashier" else None,
                 "agency_id": 1 if role in ("manager", "admin") else None,
                 "fiscal_name": full_name, "fiscal_inn": DEMO_FISCAL_INN.get(login)}
            )
        extra_managers = (("petrova", 2), ("orlov", 3), ("zaitseva", 4))
        for login, agency in extra_managers:
            last, first, middle = pools.person()
            user_rows.append(
                {"id": len(user_rows) + 1, "login": login, "full_name": f"{last} {first} {middle}",
                 "role": "manager", "password_hash": "!disabled", "active": True, "failed_attempts": 0,
                 "cash_limit_minor": None, "agency_id": agency, "fiscal_name": None, "fiscal_inn": None}
            )
        put(m.User.__table__, user_rows)
        managers = [(u["id"], u["agency_id"]) for u in user_rows if u["role"] in ("manager", "admin")]
        # Agencies without a user of this office book through the operator's site: no manager here.
        managers += [(None, a["id"]) for a in agency_rows[4:]]

        say(tr("курсы валют"))
        rate_rows = []
        usd, eur = Decimal("92.4567"), Decimal("99.1234")
        for back in range(30, -1, -1):
            day = today - timedelta(days=back)
            drift = Decimal(rng.randint(-150, 150)) / Decimal(1000)
            usd += drift
            eur += drift + Decimal(rng.randint(-40, 40)) / Decimal(1000)
            for cur, rate in (("USD", usd), ("EUR", eur)):
                rate_rows.append({"currency": cur, "day": day, "rate": rate.quantize(Decimal("0.0001")),
                                  "entered_by": "admin", "entered_at": now})
        put(m.ExchangeRate.__table__, rate_rows)
        rates = {(r["currency"], r["day"]): r["rate"] for r in rate_rows}

        say(tr("абоненты: {n}", n=accounts))
        counts = _write_subscribers(conn, put, rng, pools, accounts, payee_id, today, now)

        say(tr("заявки: {n}", n=bookings))
        booking_payments = _write_bookings(conn, put, rng, pools, bookings, payee_id["pegas"], managers,
                                           rates, today, counts["next_payment_id"])

        say(tr("бонусные счета"))
        _write_bonuses(put, rng, agency_rows, user_rows, today)

        put(m.Counter.__table__, [
            {"name": "payment", "value": counts["next_payment_id"] + booking_payments},
            {"name": "document", "value": 0},
            {"name": "shift", "value": 0},
            {"name": "gateway_order", "value": 0},
        ])
        if conn.dialect.name == "postgresql":
            _reset_pg_sequences(conn)

    # Fresh statistics (and, on PostgreSQL, a visibility map for index-only scans), so the
    # planner picks the lookup indexes from the first query on.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return DemoSummary(
        accounts=counts["accounts"], contracts=counts["contracts"], bookings=bookings,
        payments=counts["next_payment_id"] + booking_payments,
        users=tuple((u[0], u[1], u[2]) for u in DEMO_USERS),
    )


def _fiscal_rows(payee_id: dict[str, int], now: datetime) -> list[dict[str, Any]]:
    """Every demo payee on the register emulator with the FISCAL.md defaults for its kind."""
    columns = {c.key for c in m.FiscalSettings.__table__.columns}
    rows = []
    for p in PAYEES:
        rules = default_rules(p["kind"], p["name"], p["inn"], mode="atol_web", url=REGISTER_URL,
                              agent_phone=DEMO_AGENT_PHONE, operator_phone=DEMO_OPERATOR_PHONE,
                              supplier_phone=DEMO_SUPPLIER_PHONES[p["code"]])
        row = {k: getattr(rules, k) for k in columns if hasattr(rules, k)}
        row.update(payee_id=payee_id[p["code"]], place=DEMO_PLACE, company_email=DEMO_COMPANY_EMAIL, updated_at=now)
        rows.append(row)
    return rows


def _write_subscribers(conn, put, rng, pools, total, payee_id, today, now) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Contracts with 1–3 accounts each, payments and charges that sum to each balance."""
    tariffs_by_payee = {code: [i * 4 + k + 1 for k in range(4)] for i, code in enumerate(ISP_CODES)}
    services_by_payee = {code: [i * 3 + k + 1 for k in range(3)] for i, code in enumerate(ISP_CODES)}
    tariff_fee = {i * 4 + k + 1: TARIFFS[k][1] for i in range(4) for k in range(4)}
    service_fee = {i * 3 + k + 1: SERVICES[k][1] for i in range(4) for k in range(3)}
    state = {"accounts": 0, "contracts": 0, "payment_id": 0, "charge_id": 0}
    per_payee = dict.fromkeys(ISP_CODES, 0)
    month_start = today.replace(day=1)
    prev_month = (month_start - timedelta(days=1)).replace(day=1)

    contracts: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    acc_services: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    charges: list[dict[str, Any]] = []

    def flush(force: bool = False) -> None:
        if force or len(accounts) >= CHUNK:
            for table, rows in (
                (m.Contract.__table__, contracts), (m.Account.__table__, accounts),
                (m.AccountService.__table__, acc_services), (m.Payment.__table__, payments),
                (m.AccountCharge.__table__, charges),
            ):
                if rows:
                    conn.execute(insert(table), rows)
                    rows.clear()

    while state["accounts"] < total:
        code = ISP_CODES[state["contracts"] % 4]
        state["contracts"] += 1
        cid = state["contracts"]
        last, first, middle = pools.person()
        addr = pools.address(ISP_CODES.index(code) if rng.random() < 0.8 else None)
        phone = f"+7 9{rng.randrange(10, 100)} {rng.randrange(100, 1000)}-{rng.randrange(10, 100)}-{rng.randrange(10, 100)}"
        full_name = f"{last} {first} {middle}"
        contracts.append({
            "id": cid, "number": f"{code[:3].upper()}-{cid:07d}", "payee_id": payee_id[code],
            "full_name": full_name, "name_norm": text_key(full_name), "phone": phone,
            "phone_norm": phone_key(phone), "email": f"user{cid}@example.ru", **addr,
            "street_norm": street_key(addr["street"]),
            "signed_on": today - timedelta(days=rng.randint(30, 3000)),
        })
        n_acc = 3 if cid % 25 == 0 else 2 if cid % 10 == 0 else 1
        for _ in range(min(n_acc, total - state["accounts"])):
            state["accounts"] += 1
            per_payee[code] += 1
            aid = state["accounts"]
            j = per_payee[code]
            tariff = rng.choice(tariffs_by_payee[code])
            chosen = [s for s in services_by_payee[code] if rng.random() < 0.15]
            monthly = tariff_fee[tariff] + sum(service_fee[s] for s in chosen)
            roll = rng.random()
            voluntary = roll < 0.03
            # Two months charged; what was paid decides the balance (≈ 20 % in debt).
            charged = [(prev_month, monthly), (month_start, 0 if voluntary else monthly)]
            charged_total = sum(a for _, a in charged)
            if roll < 0.2:
                paid_total = max(0, charged_total - rng.randint(1, 25) * 10000 - rng.choice((0, 50, 99)))
            else:
                paid_total = charged_total + rng.randint(0, 40) * 5000
            balance = paid_total - charged_total
            accounts.append({
                "id": aid, "number": account_number(code, j), "login": account_login(code, j),
                "contract_id": cid, "tariff_id": tariff, "currency": "RUB", "balance_minor": balance,
                "credit_minor": 30000 if rng.random() < 0.1 else 0,
                "blocked_minor": 0, "internet_on": balance >= 0 and not voluntary,
                "block_state": "voluntary" if voluntary else ("debt" if balance < -50000 else "active"),
                "block_until": today + timedelta(days=rng.randint(10, 180)) if voluntary else None,
                **_autopay(rng, today),
                "promised_amount_minor": None, "promised_until": None,
                "opened_on": today - timedelta(days=rng.randint(30, 3000)),
            })
            acc_services.extend({"account_id": aid, "service_id": s} for s in chosen)
            for period, amount in charged:
                if amount:
                    state["charge_id"] += 1
                    charges.append({"id": state["charge_id"], "account_id": aid, "period": period,
                                    "amount_minor": amount, "description": "Абонентская плата"})
            # Paid in one or two payments, the latest within the last 40 days.
            parts = [paid_total] if paid_total < 20000 or rng.random() < 0.5 else [
                paid_total // 2, paid_total - paid_total // 2]
            for k, amount in enumerate(parts):
                if amount <= 0:
                    continue
                state["payment_id"] += 1
                pid = state["payment_id"]
                when = now - timedelta(days=rng.randint(1, 40) + 30 * (len(parts) - 1 - k),
                                       minutes=rng.randint(0, 600))
                card = rng.random() < 0.6
                payments.append({
                    "id": pid, "number": f"P-{pid:09d}", "entry_kind": "payment",
                    "method": "card" if card else "cash", "status": "paid", "amount_minor": amount,
                    "currency": "RUB", "account_id": aid, "payee_id": payee_id[code],
                    "desk": "demo", "created_at": when, "settled_at": when, "credited": True,
                    "transaction_ref": f"{rng.randrange(10**11, 10**12)}" if card else None,
                    "card_mask": f"2200 {rng.randrange(10, 100)}xx xxxx {rng.randrange(1000, 10000)}" if card else None,
                })
        flush()
    flush(force=True)
    return {"accounts": state["accounts"], "contracts": state["contracts"],
            "next_payment_id": state["payment_id"]}


def _autopay(rng: random.Random, today: date) -> dict[str, Any]:
    if rng.random() >= 0.1:
        return {"autopay_amount_minor": None, "autopay_next_on": None, "autopay_card_mask": None}
    return {"autopay_amount_minor": rng.choice((50000, 75000, 100000)),
            "autopay_next_on": today + timedelta(days=rng.randint(1, 30)),
            "autopay_card_mask": f"4276 85xx xxxx {rng.randrange(1000, 10000)}"}


def _write_bookings(conn, put, rng, pools, total, payee_id, managers, rates, today, first_payment_id) -> int:  # type: ignore[no-untyped-def]
    state = {"tourist_id": 0, "payment_id": first_payment_id}
    bookings: list[dict[str, Any]] = []
    tourists: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []

    def flush() -> None:
        for table, rows in ((m.Booking.__table__, bookings), (m.Tourist.__table__, tourists),
                            (m.Payment.__table__, payments)):
            if rows:
                conn.execute(insert(table), rows)
                rows.clear()

    # A few fixed offsets so every rule boundary has a booking to show.
    fixed_offsets = (1, 2, 3, 4, 5, 7, 8, 9, 30, 31)
    for bid in range(1, total + 1):
        tour_type = rng.choices(TOUR_TYPES, TOUR_TYPE_WEIGHTS)[0]
        country, hotels = rng.choice(COUNTRIES_HOTELS[:-1] if tour_type != "domestic" else COUNTRIES_HOTELS[-1:])
        currency = "USD" if country in ("Турция", "Египет", "Таиланд", "ОАЭ", "Вьетнам") else "EUR"
        if country == "Россия":
            currency = "USD"
        offset = fixed_offsets[bid % len(fixed_offsets)] if bid % 3 == 0 else rng.randint(-60, 180)
        departure = today + timedelta(days=offset)
        nights = rng.choice((7, 7, 10, 11, 14))
        created = departure - timedelta(days=rng.randint(10, 120))
        created = min(created, today - timedelta(days=1))
        roll = rng.random()
        status = "cancelled" if roll < 0.08 else "awaiting" if roll < 0.22 else "confirmed"
        if departure < today and status == "awaiting":
            status = "confirmed"
        n_tourists = rng.choices((1, 2, 3, 4), (15, 55, 20, 10))[0]
        price = (rng.randint(40, 400) * 1000 + rng.choice((0, 50, 99))) * n_tourists
        if tour_type == "ticket_only":
            price //= 3
        if status == "confirmed":
            share = rng.choice((0, 25, 50, 90, 95, 100, 100, 100))
            if departure < today:
                share = 100
        else:
            share = 0
        paid = price * share // 100
        confirmed_on = min(created + timedelta(days=1), today) if status != "awaiting" else None
        manager_id, agency_id = rng.choice(managers)
        number = f"{5100000 + bid * 7 % 900000 + bid // 900000 * 1000000}"
        pay_day = min(confirmed_on + timedelta(days=rng.randint(0, 5)), today) if confirmed_on else None
        bookings.append({
            "id": bid, "number": number, "payee_id": payee_id, "agency_id": agency_id,
            "manager_id": manager_id, "status": status, "tour_type": tour_type, "country": country,
            "hotel": None if tour_type == "ticket_only" else rng.choice(hotels),
            "hotel_select": rng.random() < 0.3,
            "plus_bonus_percent": Decimal("1.5") if rng.random() < 0.2 else None,
            "departure_on": departure, "return_on": departure + timedelta(days=nights),
            "currency": currency, "price_minor": price, "paid_minor": paid,
            "non_commission_minor": 0 if tour_type == "ticket_only" else 5000 * n_tourists,
            "created_on": created, "confirmed_on": confirmed_on,
            "first_paid_on": pay_day if paid else None,
            "fully_paid_on": pay_day if paid and paid == price else None,
        })
        lead_addr = pools.address()
        for t in range(n_tourists):
            state["tourist_id"] += 1
            last, first, middle = pools.person()
            full = f"{last} {first} {middle}"
            child = t >= 2 and rng.random() < 0.5
            birth = today - timedelta(days=rng.randint(3 if child else 20, 11 if child else 70) * 365)
            tourists.append({
                "id": state["tourist_id"], "booking_id": bid, "full_name": full, "name_norm": text_key(full),
                "passport_no": f"{rng.randint(70, 79)}{rng.randrange(10**6, 10**7)}",
                "birth_date": birth, "is_lead": t == 0,
                "phone": f"+7 9{rng.randrange(10, 100)} {rng.randrange(100, 1000)}-{rng.randrange(10, 100)}-{rng.randrange(10, 100)}" if t == 0 else None,
                **(lead_addr if t == 0 else dict.fromkeys(("postal_index", "region", "city", "street", "house", "flat"))),
            })
        if paid:
            # Paid on its own day (older payments fall in earlier quarters, as the commission
            # report expects); before the 30 days of rates the demo knows, the oldest rate stands in.
            rate_day = pay_day
            rate = rates.get((currency, rate_day)) or rates[(currency, today - timedelta(days=30))]
            state["payment_id"] += 1
            pid = state["payment_id"]
            when = datetime.combine(rate_day, time(12, 0), tzinfo=UTC)
            payments.append({
                "id": pid, "number": f"P-{pid:09d}", "entry_kind": "payment",
                "method": rng.choice(("card", "cash", "bank")), "status": "paid",
                "amount_minor": convert_to_rub(paid, rate), "currency": "RUB",
                "target_amount_minor": paid, "target_currency": currency, "rate": rate, "rate_day": rate_day,
                "booking_id": bid, "payee_id": payee_id, "desk": "demo", "created_at": when,
                "settled_at": when, "credited": True,
            })
        if len(bookings) >= CHUNK // 2:
            flush()
    flush()
    return state["payment_id"] - first_payment_id


def _write_bonuses(put, rng, agency_rows, user_rows, today) -> None:  # type: ignore[no-untyped-def]
    accounts, balances, txns = [], [], []
    for a in agency_rows:
        accounts.append({"id": len(accounts) + 1, "owner_kind": "agency", "agency_id": a["id"], "user_id": None,
                         "name": a["name"], "tied_to_agency_user": True})
    for u in user_rows:
        if u["role"] in ("manager", "admin"):
            accounts.append({"id": len(accounts) + 1, "owner_kind": "manager", "agency_id": u["agency_id"],
                             "user_id": u["id"], "name": u["full_name"],
                             "tied_to_agency_user": u["role"] == "manager"})
    for acc in accounts:
        for btype in ("plus", "select", "agent"):
            if btype == "agent" and acc["owner_kind"] != "agency":
                continue
            for cur in ("USD", "EUR"):
                amount = rng.randint(0, 300) * 100 if rng.random() < 0.8 else 0
                balances.append({"account_id": acc["id"], "bonus_type": btype, "currency": cur,
                                 "active_minor": amount})
                if amount:
                    txns.append({"account_id": acc["id"], "bonus_type": btype, "kind": "accrual",
                                 "amount_minor": amount, "currency": cur, "state": "active",
                                 "created_on": today - timedelta(days=rng.randint(35, 200)),
                                 "active_from": today - timedelta(days=rng.randint(33, 60)),
                                 "dedupe_key": f"demo:{acc['id']}:{btype}:{cur}"})
    put(m.BonusAccount.__table__, accounts)
    put(m.BonusBalance.__table__, balances)
    put(m.BonusTransaction.__table__, txns)


def _reset_pg_sequences(conn) -> None:  # type: ignore[no-untyped-def]
    """Rows were written with explicit ids; move each serial past them."""
    for table in m.Base.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            ))
