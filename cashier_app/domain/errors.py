"""Errors that carry a message meant for the user.

Every layer raises these for user mistakes; the CLI prints ``str(err)`` as one
line and the UI shows it in a message box.  Anything else is a bug.
"""

from __future__ import annotations

from cashier_app.i18n import tr


class UserError(Exception):
    """A problem the user can fix; the text is shown as is."""


class ValidationError(UserError):
    """Bad input in a named field.

    ``field`` stays the Russian source label (a key the UI and tests compare; mark constants with
    ``N_``); it is translated only in the shown text.  ``message`` comes already translated.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        # gettext("") is the catalog's header, so an empty label is not looked up.
        super().__init__(f"{tr(field) if field else field}: {message}")


class NotFound(UserError):
    """A looked-up record does not exist."""


class RuleViolation(UserError):
    """A business rule refuses the action; ``reasons`` lists why, one per item."""

    def __init__(self, reasons: list[str] | str) -> None:
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        super().__init__("; ".join(self.reasons))


class PermissionDenied(UserError):
    """The signed-in user's role does not allow the action."""
