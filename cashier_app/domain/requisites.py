"""Russian payee requisites: ИНН, КПП, БИК, settlement and correspondent accounts.

Every ``validate_*`` returns the cleaned value (spaces removed) or raises
:class:`ValidationError` naming the field in Russian.  :func:`validate_payee`
collects every problem at once for a form; :func:`check_payee` stops at the first.

The account control key (Bank of Russia, 1997): take 23 digits — a three-digit
bank code followed by the 20-digit account — multiply by 7,1,3 repeated, and the
sum must end in 0.  The bank code is the last three digits of the БИК for a
client account, and ``0`` + digits 5–6 of the БИК for a correspondent account
(it is opened in the Bank of Russia's division, not in the bank).
"""

from __future__ import annotations

import re

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr

_WEIGHTS = (7, 1, 3)
_SPACES = re.compile(r"[\s\u00a0\u202f-]")
_DIGITS = re.compile(r"[0-9]+")
_KPP = re.compile(r"[0-9]{4}[0-9A-Z]{2}[0-9]{3}")
# Position (0-based) of the control digit inside a 20-digit account.
_KEY_POS = 8


def _clean(value: object) -> str:
    if value is None:
        return ""
    return _SPACES.sub("", str(value))


def _digits(value: object, field: str, length: int | tuple[int, ...], what: str) -> str:
    """``what`` (marked with ``N_``) names the value in «укажите …»; lengths are 6 to 20, always «цифр»."""
    cleaned = _clean(value)
    if not cleaned:
        raise ValidationError(field, tr("укажите {what}", what=tr(what)))
    lengths = (length,) if isinstance(length, int) else length
    if not _DIGITS.fullmatch(cleaned) or len(cleaned) not in lengths:
        if len(lengths) == 1:
            raise ValidationError(field, tr("нужно {n} цифр, введено «{value}»", n=lengths[0], value=value))
        raise ValidationError(field, tr("нужно {a} или {b} цифр, введено «{value}»", a=lengths[0], b=lengths[1],
                                        value=value))
    return cleaned


def _key_sum(digits23: str) -> int:
    return sum(int(d) * _WEIGHTS[i % 3] for i, d in enumerate(digits23))


def _settlement_code(bic: str) -> str:
    return bic[-3:]


def _corr_code(bic: str) -> str:
    return "0" + bic[4:6]


def account_key_ok(code3: str, account: str) -> bool:
    """The control-key rule over ``code3 + account`` (23 digits)."""
    return _key_sum(code3 + account) % 10 == 0


def _with_key(code3: str, account: str) -> str:
    zeroed = account[:_KEY_POS] + "0" + account[_KEY_POS + 1 :]
    # The key's weight is 3 (position 11 of 23); 3 * 7 ≡ 1 (mod 10).
    key = (-_key_sum(code3 + zeroed) * 7) % 10
    return account[:_KEY_POS] + str(key) + account[_KEY_POS + 1 :]


# ---------------------------------------------------------------- single fields


def validate_inn(s: str, field: str = N_("ИНН")) -> str:
    """10 digits (организация) or 12 digits (ИП, физлицо), check digits verified."""
    cleaned = _clean(s)
    if not cleaned:
        raise ValidationError(field, tr("укажите ИНН"))
    if not _DIGITS.fullmatch(cleaned) or len(cleaned) not in (10, 12):
        raise ValidationError(field, tr("нужно 10 цифр (организация) или 12 цифр (ИП, физлицо), введено «{value}»",
                                        value=s))
    try:
        stdnum_inn.validate(cleaned)
    except InvalidChecksum as exc:
        raise ValidationError(
            field, tr("«{value}» не проходит проверку контрольной цифры — опечатка?", value=cleaned)
        ) from exc
    except (InvalidFormat, InvalidLength) as exc:  # pragma: no cover - the checks above come first
        raise ValidationError(field, tr("неверный формат ИНН")) from exc
    return cleaned


def validate_kpp(s: str, field: str = N_("КПП")) -> str:
    """9 characters: 4 digits, 2 digits or Latin capitals, 3 digits (no checksum exists)."""
    cleaned = _clean(s).upper()
    if not cleaned:
        raise ValidationError(field, tr("укажите КПП"))
    if not _KPP.fullmatch(cleaned):
        raise ValidationError(
            field, tr("нужно 9 знаков: 4 цифры, 2 цифры или латинские буквы, 3 цифры; введено «{value}»",
                      value=s)
        )
    return cleaned


def validate_bic(s: str, field: str = N_("БИК")) -> str:
    """9 digits starting with 04, the country code of Russia."""
    cleaned = _digits(s, field, 9, N_("БИК"))
    if not cleaned.startswith("04"):
        raise ValidationError(field, tr("БИК банка в России начинается с 04"))
    return cleaned


def validate_settlement_account(account: str, bic: str, field: str = N_("Расчётный счёт")) -> str:
    """20 digits whose control key matches the bank's БИК."""
    cleaned = _digits(account, field, 20, N_("расчётный счёт"))
    bic_clean = validate_bic(bic)
    if not account_key_ok(_settlement_code(bic_clean), cleaned):
        raise ValidationError(
            field, tr("счёт {account} не сходится с БИК {bic} по контрольному ключу — проверьте обе цифры",
                     account=cleaned, bic=bic_clean)
        )
    return cleaned


def validate_corr_account(corr: str, bic: str, field: str = N_("Корр. счёт")) -> str:
    """20 digits, ``30101…``, ending in the БИК's last three digits, control key ok."""
    cleaned = _digits(corr, field, 20, N_("корреспондентский счёт"))
    bic_clean = validate_bic(bic)
    if not cleaned.startswith("30101"):
        raise ValidationError(field, tr("корр. счёт банка начинается с 30101"))
    if cleaned[-3:] != bic_clean[-3:]:
        raise ValidationError(field, tr("корр. счёт должен оканчиваться на {digits}, как БИК",
                                        digits=bic_clean[-3:]))
    if not account_key_ok(_corr_code(bic_clean), cleaned):
        raise ValidationError(
            field, tr("корр. счёт {account} не сходится с БИК {bic} по контрольному ключу", account=cleaned,
                     bic=bic_clean)
        )
    return cleaned


def validate_ogrn(s: str, field: str = N_("ОГРН")) -> str:
    """ОГРН (13 digits) or ОГРНИП (15 digits) with the check digit."""
    cleaned = _digits(s, field, (13, 15), N_("ОГРН"))
    try:
        stdnum_ogrn.validate(cleaned)
    except InvalidChecksum as exc:
        raise ValidationError(field, tr("«{value}» не проходит проверку контрольной цифры", value=cleaned)) from exc
    except (InvalidComponent, InvalidFormat, InvalidLength) as exc:
        raise ValidationError(field, tr("«{value}» не может быть ОГРН: неверный признак записи",
                                        value=cleaned)) from exc
    return cleaned


def validate_postal_index(s: str, field: str = N_("Индекс")) -> str:
    """Russian postal code: 6 digits."""
    return _digits(s, field, 6, N_("почтовый индекс"))


# ---------------------------------------------------------------- a whole payee


def validate_payee(
    name: str,
    inn: str,
    kpp: str | None,
    bic: str,
    account: str,
    corr_account: str,
) -> list[str]:
    """Every problem with a payee's requisites, ``"Поле: что не так"``; empty list = ok.

    КПП is required for an organisation (10-digit ИНН) and must be empty for an
    ИП (12-digit ИНН): entrepreneurs have none.
    """
    return [str(err) for err in _payee_errors(name, inn, kpp, bic, account, corr_account)]


def check_payee(
    name: str,
    inn: str,
    kpp: str | None,
    bic: str,
    account: str,
    corr_account: str,
) -> None:
    """Raise :class:`ValidationError` for the first problem :func:`validate_payee` finds."""
    errors = _payee_errors(name, inn, kpp, bic, account, corr_account)
    if errors:
        raise errors[0]


def _payee_errors(
    name: str, inn: str, kpp: str | None, bic: str, account: str, corr_account: str
) -> list[ValidationError]:
    errors: list[ValidationError] = []
    title = (name or "").strip()
    if not title:
        errors.append(ValidationError(N_("Наименование"), tr("укажите наименование получателя")))
    elif len(title) > 160:
        errors.append(ValidationError(N_("Наименование"), tr("не больше 160 знаков (сейчас {n})", n=len(title))))

    inn_ok: str | None = None
    try:
        inn_ok = validate_inn(inn)
    except ValidationError as err:
        errors.append(err)

    kpp_text = _clean(kpp)
    if kpp_text:
        if inn_ok is not None and len(inn_ok) == 12:
            errors.append(ValidationError(N_("КПП"), tr("у ИП и физлица нет КПП — оставьте поле пустым")))
        else:
            try:
                validate_kpp(kpp_text)
            except ValidationError as err:
                errors.append(err)
    elif inn_ok is not None and len(inn_ok) == 10:
        errors.append(ValidationError(N_("КПП"), tr("укажите КПП организации")))

    bic_ok: str | None = None
    try:
        bic_ok = validate_bic(bic)
    except ValidationError as err:
        errors.append(err)

    for value, field, check, what in (
        (account, N_("Расчётный счёт"), validate_settlement_account, N_("расчётный счёт")),
        (corr_account, N_("Корр. счёт"), validate_corr_account, N_("корреспондентский счёт")),
    ):
        try:
            if bic_ok is None:
                # Without a valid БИК the key cannot be checked; report only the format.
                _digits(value, field, 20, what)
            else:
                check(value, bic_ok, field)
        except ValidationError as err:
            errors.append(err)
    return errors


# ---------------------------------------------------------------- demo data


def make_valid_account(bic: str, prefix19: str) -> str:
    """A settlement account at ``bic`` whose control digit (position 9) is computed.

    ``prefix19`` is the account without its control digit, 19 digits:
    ``"4070281000000000001"`` → ``"40702810?00000000001"`` with ``?`` filled in.
    A full 20-digit account is also accepted; its 9th digit is recomputed.
    """
    bic_clean = validate_bic(bic)
    if not (len(prefix19) in (19, 20) and _DIGITS.fullmatch(prefix19)):
        raise ValueError("prefix19 must be 19 digits (or 20 with the key to recompute)")
    if len(prefix19) == 19:
        prefix19 = prefix19[:_KEY_POS] + "0" + prefix19[_KEY_POS:]
    return _with_key(_settlement_code(bic_clean), prefix19)


def make_valid_inn10(prefix9: str) -> str:
    """An organisation's ИНН: 9 digits + the check digit."""
    if not (len(prefix9) == 9 and _DIGITS.fullmatch(prefix9)):
        raise ValueError("prefix9 must be 9 digits")
    return prefix9 + stdnum_inn.calc_company_check_digit(prefix9)


def make_valid_inn12(prefix10: str) -> str:
    """A person's ИНН: 10 digits + two check digits."""
    if not (len(prefix10) == 10 and _DIGITS.fullmatch(prefix10)):
        raise ValueError("prefix10 must be 10 digits")
    return prefix10 + stdnum_inn.calc_personal_check_digits(prefix10)
