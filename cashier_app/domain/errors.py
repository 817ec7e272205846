"""Errors that carry a message meant for the user.

Every layer raises these for user mistakes; the CLI prints ``str(err)`` as one
line and the UI shows it in a message box.  Anything else is a bug.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; the text is shown as is."""


class ValidationError(UserError):
    """Bad input in a named field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class NotFound(UserError):
    """A looked-up record does not exist."""


class RuleViolation(UserError):
    """A business rule refuses the action; ``reasons`` lists why, one per item."""

    def __init__(self, reasons: list[str] | str) -> None:
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        super().__init__("; ".join(self.reasons))


class PermissionDenied(UserError):
    """The signed-in user's role does not allow the action."""
