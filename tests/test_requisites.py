"""Russian requisites against real banks' data, plus the demo-data generators."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashier_app.domain.errors import ValidationError
from cashier_app.domain.requisites import (
    account_key_ok,
    check_payee,
    make_valid_account,
    make_valid_inn10,
    make_valid_inn12,
    validate_bic,
    validate_corr_account,
    validate_inn,
    validate_kpp,
    validate_ogrn,
    validate_payee,
    validate_postal_index,
    validate_settlement_account,
)

# Real banks: БИК and correspondent account as published by the banks.
REAL_BANKS = [
    ("ПАО Сбербанк", "044525225", "30101810400000000225"),
    ("Банк ВТБ", "044525187", "30101810700000000187"),
    ("АО «Альфа-Банк»", "044525593", "30101810200000000593"),
    ("АО «ТБанк»", "044525974", "30101810145250000974"),
    ("ПАО «Промсвязьбанк»", "044525555", "30101810400000000555"),
    ("Юго-Западный банк ПАО Сбербанк", "046015602", "30101810600000000602"),
    ("Северо-Западный банк ПАО Сбербанк", "044030653", "30101810500000000653"),
]
SBER = dict(
    name="ПАО Сбербанк",
    inn="7707083893",
    kpp="773601001",
    bic="044525225",
    account="40702810138250123017",
    corr_account="30101810400000000225",
)


# ---------------------------------------------------------------- ИНН


def test_inn_real_company() -> None:
    assert validate_inn("7707083893") == "7707083893"
    assert validate_inn(" 7707 083 893 ") == "7707083893"


def test_gost_example_inn_fails_checksum() -> None:
    with pytest.raises(ValidationError) as err:
        validate_inn("6200098765")
    assert err.value.field == "ИНН"
    assert "контрольной" in err.value.message


def test_inn_12_digits() -> None:
    assert validate_inn("500100732259") == "500100732259"
    with pytest.raises(ValidationError):
        validate_inn("500100732258")


@pytest.mark.parametrize("bad", ["", "770708389", "77070838931", "77070838a3", "7707083893000"])
def test_inn_bad_format(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_inn(bad, field="ИНН получателя")
    assert err.value.field == "ИНН получателя"


def test_inn_every_single_digit_typo_in_sber_is_caught_or_still_valid_checksum() -> None:
    caught = 0
    for pos in range(9):
        for d in "0123456789":
            typo = "7707083893"[:pos] + d + "7707083893"[pos + 1 :]
            if typo == "7707083893":
                continue
            try:
                validate_inn(typo)
            except ValidationError:
                caught += 1
    # mod 11 mod 10 lets about one in eleven typos through; most must be caught.
    assert caught >= 75


# ---------------------------------------------------------------- КПП, БИК, ОГРН, индекс


def test_kpp() -> None:
    assert validate_kpp("773601001") == "773601001"
    assert validate_kpp("7736ab001") == "7736AB001"
    for bad in ("77360100", "7736010011", "7736АВ001", "A73601001", ""):
        with pytest.raises(ValidationError):
            validate_kpp(bad)


def test_bic() -> None:
    assert validate_bic("044525225") == "044525225"
    for bad in ("04452522", "0445252255", "123456789", "04452522x", ""):
        with pytest.raises(ValidationError) as err:
            validate_bic(bad)
        assert err.value.field == "БИК"


def test_ogrn() -> None:
    assert validate_ogrn("1027700132195") == "1027700132195"  # ПАО Сбербанк
    assert validate_ogrn("385768585948949") == "385768585948949"
    for bad in ("1027700132196", "102770013219", "1022500001328"):
        with pytest.raises(ValidationError):
            validate_ogrn(bad)


def test_postal_index() -> None:
    assert validate_postal_index("344038") == "344038"
    assert validate_postal_index(" 344 038 ") == "344038"
    for bad in ("34403", "3440381", "34403a", ""):
        with pytest.raises(ValidationError):
            validate_postal_index(bad)


# ---------------------------------------------------------------- account control key


def test_gost_example_account_with_sberbank_bic() -> None:
    assert validate_settlement_account("40702810138250123017", "044525225") == "40702810138250123017"


def test_real_housing_bill_account() -> None:
    # From a real ЖКУ bill (gost-qr-real-samples.txt): account and БИК agree.
    assert validate_settlement_account("40702810952090030727", "046015602") == "40702810952090030727"


def test_account_at_wrong_bank_fails() -> None:
    with pytest.raises(ValidationError) as err:
        validate_settlement_account("40702810138250123017", "044525187")
    assert err.value.field == "Расчётный счёт"


def test_every_single_digit_change_is_caught() -> None:
    account = "40702810138250123017"
    for pos in range(20):
        for d in "0123456789":
            typo = account[:pos] + d + account[pos + 1 :]
            if typo != account:
                assert not account_key_ok("225", typo), typo


@pytest.mark.parametrize(("bank", "bic", "corr"), REAL_BANKS)
def test_real_correspondent_accounts(bank: str, bic: str, corr: str) -> None:
    assert validate_corr_account(corr, bic) == corr, bank


@pytest.mark.parametrize(("bank", "bic", "corr"), REAL_BANKS)
def test_corr_account_digit_typo_fails(bank: str, bic: str, corr: str) -> None:
    typo = corr[:12] + str((int(corr[12]) + 1) % 10) + corr[13:]
    with pytest.raises(ValidationError):
        validate_corr_account(typo, bic)


def test_corr_account_of_other_bank_fails() -> None:
    with pytest.raises(ValidationError):
        validate_corr_account("30101810700000000187", "044525225")
    with pytest.raises(ValidationError):
        validate_corr_account("40702810138250123017", "044525225")


def test_corr_key_uses_bic_digits_5_6_not_last_three() -> None:
    # Т-Банк's к/с passes only with the «0» + digits 5–6 code, not with the settlement rule.
    assert account_key_ok("025", "30101810145250000974")
    assert not account_key_ok("974", "30101810145250000974")


# ---------------------------------------------------------------- whole payee


def test_valid_payee() -> None:
    assert validate_payee(**SBER) == []
    check_payee(**SBER)


def test_gost_example_payee_fails_on_inn_only() -> None:
    problems = validate_payee(**{**SBER, "inn": "6200098765"})
    assert len(problems) == 1
    assert problems[0].startswith("ИНН: ")


def test_payee_collects_every_problem() -> None:
    problems = validate_payee(name="", inn="1", kpp="x", bic="12", account="1", corr_account="2")
    fields = [p.split(":")[0] for p in problems]
    assert fields == ["Наименование", "ИНН", "КПП", "БИК", "Расчётный счёт", "Корр. счёт"]


def test_payee_account_key_checked_against_bic() -> None:
    problems = validate_payee(**{**SBER, "bic": "044525187", "corr_account": "30101810700000000187"})
    assert [p.split(":")[0] for p in problems] == ["Расчётный счёт"]


def test_payee_kpp_rules() -> None:
    assert any(p.startswith("КПП:") for p in validate_payee(**{**SBER, "kpp": ""}))
    ip = {**SBER, "inn": "500100732259", "kpp": ""}
    assert validate_payee(**ip) == []
    assert any(p.startswith("КПП:") for p in validate_payee(**{**ip, "kpp": "773601001"}))


def test_check_payee_raises_first() -> None:
    with pytest.raises(ValidationError) as err:
        check_payee(**{**SBER, "bic": "123", "inn": "1"})
    assert err.value.field == "ИНН"


# ---------------------------------------------------------------- demo-data generators


@given(
    st.sampled_from([bic for _, bic, _ in REAL_BANKS]),
    st.text(alphabet="0123456789", min_size=19, max_size=19),
)
def test_make_valid_account(bic: str, prefix: str) -> None:
    account = make_valid_account(bic, prefix)
    assert validate_settlement_account(account, bic) == account
    assert account[:8] + account[9:] == prefix
    assert make_valid_account(bic, account) == account


def test_make_valid_account_known_value() -> None:
    # Removing the key digit of the standard's example account and recomputing gives it back.
    assert make_valid_account("044525225", "4070281038250123017") == "40702810138250123017"


def test_make_valid_account_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        make_valid_account("044525225", "123")
    with pytest.raises(ValidationError):
        make_valid_account("12345", "4070281038250123017")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_make_valid_inn10(prefix: str) -> None:
    inn = make_valid_inn10(prefix)
    assert inn.startswith(prefix) and validate_inn(inn) == inn


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_make_valid_inn12(prefix: str) -> None:
    inn = make_valid_inn12(prefix)
    assert inn.startswith(prefix) and validate_inn(inn) == inn


def test_make_valid_inn_known_values() -> None:
    assert make_valid_inn10("770708389") == "7707083893"
    assert make_valid_inn12("5001007322") == "500100732259"
    with pytest.raises(ValueError):
        make_valid_inn10("12345")
