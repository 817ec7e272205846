"""Who may do what.  Checked in the services, whatever the UI shows or hides."""

from __future__ import annotations

from cashier_app.domain.errors import PermissionDenied
from cashier_app.services.context import DeskContext

ROLE_LABELS = {"cashier": "кассир", "manager": "менеджер", "admin": "администратор"}

# ``lookup``: the search, the account and booking cards and quotes (personal data: names, addresses, phones);
# ``view_rates``: the rates history.  Every role works the counter, so every role has both; a user who is
# not signed in has neither (the command line signs in for ``find``/``show``/``rates list`` too).
CASHIER = frozenset({"lookup", "view_rates", "take_payment", "print", "shift_own", "card_payment"})
MANAGER = CASHIER | {"refund", "correct", "spend_bonus", "reports", "view_journal"}
ADMIN = MANAGER | {"manage_payees", "manage_rates", "manage_users", "gateway_settings", "view_audit",
                   "manage_settings", "bonus_batch"}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {"cashier": CASHIER, "manager": MANAGER, "admin": ADMIN}

PERMISSION_LABELS = {
    "lookup": "поиск и карточки счетов и заявок", "view_rates": "просмотр курсов валют",
    "take_payment": "приём платежей", "print": "печать документов",
    "shift_own": "открытие и закрытие смены", "card_payment": "оплата картой",
    "refund": "возвраты", "correct": "отмена платежей", "spend_bonus": "списание бонусов",
    "reports": "отчёты", "view_journal": "журнал платежей", "manage_payees": "получатели платежей",
    "manage_rates": "курсы валют", "manage_users": "пользователи", "gateway_settings": "настройки шлюзов",
    "view_audit": "журнал аудита", "manage_settings": "настройки", "bonus_batch": "начисление и сгорание бонусов",
}


def allowed(role: str | None, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role or "", frozenset())


def require(ctx: DeskContext, permission: str) -> None:
    """Raise ``PermissionDenied`` with a sentence a cashier understands."""
    if ctx.user is None:
        raise PermissionDenied("Войдите в программу: действие требует входа пользователя.")
    if not allowed(ctx.user.role, permission):
        what = PERMISSION_LABELS.get(permission, permission)
        role = ROLE_LABELS.get(ctx.user.role, ctx.user.role)
        raise PermissionDenied(f"Недостаточно прав: «{what}» недоступно для роли «{role}» ({ctx.user.login}).")
