"""Who may do what.  Checked in the services, whatever the UI shows or hides."""

from __future__ import annotations

from cashier_app.domain.errors import PermissionDenied
from cashier_app.i18n import N_, tr
from cashier_app.services.context import DeskContext

# Labels are translated where shown (``tr(ROLE_LABELS[role])``), after the language is chosen.
ROLE_LABELS = {"cashier": N_("кассир"), "manager": N_("менеджер"), "admin": N_("администратор")}

# ``lookup``: the search, the account and booking cards and quotes (personal data: names, addresses, phones);
# ``view_rates``: the rates history.  Every role works the counter, so every role has both; a user who is
# not signed in has neither (the command line signs in for ``find``/``show``/``rates list`` too).
CASHIER = frozenset({"lookup", "view_rates", "take_payment", "print", "shift_own", "card_payment"})
MANAGER = CASHIER | {"refund", "correct", "spend_bonus", "reports", "view_journal"}
ADMIN = MANAGER | {"manage_payees", "manage_rates", "manage_users", "gateway_settings", "view_audit",
                   "manage_settings", "bonus_batch"}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {"cashier": CASHIER, "manager": MANAGER, "admin": ADMIN}

PERMISSION_LABELS = {
    "lookup": N_("поиск и карточки счетов и заявок"), "view_rates": N_("просмотр курсов валют"),
    "take_payment": N_("приём платежей"), "print": N_("печать документов"),
    "shift_own": N_("открытие и закрытие смены"), "card_payment": N_("оплата картой"),
    "refund": N_("возвраты"), "correct": N_("отмена платежей"), "spend_bonus": N_("списание бонусов"),
    "reports": N_("отчёты"), "view_journal": N_("журнал платежей"), "manage_payees": N_("получатели платежей"),
    "manage_rates": N_("курсы валют"), "manage_users": N_("пользователи"), "gateway_settings": N_("настройки шлюзов"),
    "view_audit": N_("журнал аудита"), "manage_settings": N_("настройки"),
    "bonus_batch": N_("начисление и сгорание бонусов"),
}


def allowed(role: str | None, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role or "", frozenset())


def require(ctx: DeskContext, permission: str) -> None:
    """Raise ``PermissionDenied`` with a sentence a cashier understands."""
    if ctx.user is None:
        raise PermissionDenied(tr("Войдите в программу: действие требует входа пользователя."))
    if not allowed(ctx.user.role, permission):
        what = tr(PERMISSION_LABELS[permission]) if permission in PERMISSION_LABELS else permission
        role = tr(ROLE_LABELS[ctx.user.role]) if ctx.user.role in ROLE_LABELS else ctx.user.role
        raise PermissionDenied(tr("Недостаточно прав: «{what}» недоступно для роли «{role}» ({login}).",
                                  what=what, role=role, login=ctx.user.login))
