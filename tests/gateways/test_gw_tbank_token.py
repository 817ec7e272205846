"""T-Bank Token signing against the spec's example vector, and its edge rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashier_app.services.gateways.tbank import make_token, verify_token

SPEC_PARAMS = {
    "TerminalKey": "MerchantTerminalKey",
    "Amount": 19200,
    "OrderId": "21090",
    "Description": "Подарочная карта на 1000 рублей",
}
SPEC_PASSWORD = "usaf8fw8fsw21g"
SPEC_TOKEN = "0024a00af7c350a3a67ca168ce06502aa72772456662e38696d48b56ee9c97d9"


def test_spec_example_vector() -> None:
    assert make_token(SPEC_PARAMS, SPEC_PASSWORD) == SPEC_TOKEN


def test_nested_objects_do_not_enter_the_token_but_stay_in_the_request() -> None:
    params = {**SPEC_PARAMS, "DATA": {"Phone": "+71234567890"}, "Receipt": {"Items": [{"Price": 1}]}}
    assert make_token(params, SPEC_PASSWORD) == SPEC_TOKEN
    assert "DATA" in params and "Receipt" in params  # signing must not strip them from the body


def test_key_order_and_existing_token_do_not_matter() -> None:
    reordered = dict(reversed(list(SPEC_PARAMS.items())))
    assert make_token({**reordered, "Token": "old"}, SPEC_PASSWORD) == SPEC_TOKEN


def test_booleans_are_signed_lowercase() -> None:
    with_true = make_token({**SPEC_PARAMS, "Recurrent": True}, "p")
    with_text = make_token({**SPEC_PARAMS, "Recurrent": "true"}, "p")
    with_python = make_token({**SPEC_PARAMS, "Recurrent": "True"}, "p")
    assert with_true == with_text != with_python


def test_float_amount_is_refused() -> None:
    with pytest.raises(TypeError):
        make_token({**SPEC_PARAMS, "Amount": 192.0}, "p")


def test_verify_token() -> None:
    signed = {**SPEC_PARAMS, "Token": SPEC_TOKEN}
    assert verify_token(signed, SPEC_PASSWORD)
    assert verify_token({**signed, "Token": SPEC_TOKEN.upper()}, SPEC_PASSWORD)
    assert not verify_token(signed, "wrong")
    assert not verify_token({**signed, "Amount": 19201}, SPEC_PASSWORD)
    assert not verify_token(SPEC_PARAMS, SPEC_PASSWORD)


_scalars = st.one_of(st.integers(min_value=0, max_value=10**12), st.text(max_size=20), st.booleans())


@given(
    st.dictionaries(st.from_regex(r"[A-Z][A-Za-z]{0,10}", fullmatch=True), _scalars, min_size=1, max_size=6),
    st.text(min_size=1, max_size=20),
)
def test_any_change_of_a_signed_value_breaks_the_token(params: dict, password: str) -> None:
    params.pop("Token", None)
    params.pop("Password", None)
    signed = {**params, "Token": make_token(params, password)}
    assert verify_token(signed, password)
    key = sorted(params)[0]
    changed = {**signed, key: f"{signed[key]}x"}
    assert not verify_token(changed, password)
