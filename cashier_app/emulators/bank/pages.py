"""HTML of the sandbox payment page, 3-D Secure page and result page.

Plain server-rendered forms so a test can drive them with ``requests`` exactly
as a browser would.  Card fields are posted to the server and never echoed back.
"""

from __future__ import annotations

from html import escape

from cashier_app.domain.money import format_money

_STYLE = (
    "body{font-family:sans-serif;max-width:28em;margin:2em auto;color:#222}"
    "label{display:block;margin:.6em 0}input{font-size:1.1em;padding:.3em;width:100%}"
    "button{font-size:1.1em;padding:.5em 1.5em;margin-top:1em}.err{color:#b00}.hint{color:#666}"
)


def _page(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    ).encode()


def bank_title(bank: str) -> str:
    return "Сбербанк (песочница)" if bank == "sberbank" else "Т-Банк (песочница)"


def card_form(order: dict, action: str, error: str | None = None) -> bytes:
    err = f"<p class='err'>{escape(error)}</p>" if error else ""
    body = (
        f"<p>{escape(bank_title(order['bank']))}</p>"
        f"<p>Заказ № {escape(order['order_number'])}: {escape(order['description'] or '')}</p>"
        f"<p><b>К оплате: {escape(format_money(order['amount']))}</b></p>{err}"
        f"<form method='post' action='{escape(action)}' autocomplete='off'>"
        "<label>Номер карты <input name='pan' inputmode='numeric' autocomplete='off'></label>"
        "<label>Срок действия (ММ/ГГ) <input name='exp' autocomplete='off'></label>"
        "<label>CVC <input name='cvc' type='password' inputmode='numeric' autocomplete='off'></label>"
        "<button type='submit'>Оплатить</button></form>"
        "<p class='hint'>Тестовые карты: 2201 3820 0000 0013 — успех; …0047 — с 3-D Secure; "
        "…0021 — отказ; …0831 — недостаточно средств.</p>"
    )
    return _page("Оплата картой", body)


def three_ds_form(order: dict, action: str, demo_code: str) -> bytes:
    body = (
        f"<p>Банк, выпустивший карту {escape(order['card_mask'] or '')}, просит подтвердить платёж "
        f"на {escape(format_money(order['amount']))}.</p>"
        f"<p class='hint'>Код из SMS для демонстрации: <b id='demo-code'>{escape(demo_code)}</b></p>"
        f"<form method='post' action='{escape(action)}' autocomplete='off'>"
        "<label>Код подтверждения <input name='code' inputmode='numeric' autocomplete='one-time-code'></label>"
        "<button type='submit'>Подтвердить</button></form>"
    )
    return _page("3-D Secure", body)


def result_page(order: dict, ok: bool, reason_ru: str | None) -> bytes:
    url = order["return_url"] if ok else (order["fail_url"] or order["return_url"])
    link = f"<p><a id='return' href='{escape(url)}'>Вернуться в магазин</a></p>" if url else ""
    if ok:
        body = f"<p id='result' data-status='paid'>Оплата {escape(format_money(order['amount']))} прошла успешно.</p>"
    else:
        body = f"<p id='result' data-status='declined' class='err'>Оплата не прошла: {escape(reason_ru or '')}</p>"
    return _page("Оплата прошла" if ok else "Оплата отклонена", body + link)


def message_page(title: str, text: str) -> bytes:
    return _page(title, f"<p>{escape(text)}</p>")
