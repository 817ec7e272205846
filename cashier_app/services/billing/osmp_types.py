"""What an OSMP billing answers, as the connector sees it (the client is ``billing/osmp.py``).

The protocol (INTEGRATION.md): ``GET <url>?command=check|pay|cancel&txn_id=…&account=…&sum=R.KK
[&txn_date=YYYYMMDDHHMMSS][&prv_txn=N]`` → ``<response><osmp_txn_id/><prv_txn/><sum/><result/>
<comment/>[<balance/><fio/>]</response>``.  Results: 0 OK, 1 temporary error (try later),
5 account not found, 7 payment not allowed (closed/blocked account), 79/241 not allowed or
amount out of range, 300 other error — in the ubilling dialect also «duplicate transaction».
"""

from __future__ import annotations

from dataclasses import dataclass

DIALECTS = ("abills", "ubilling")
RESULT_OK = 0
RESULT_TEMPORARY = 1
RESULT_NOT_FOUND = 5
RESULT_NOT_ALLOWED = (7, 79, 241)
RESULT_OTHER = 300


class BillingUnreachable(Exception):
    """No answer that can be read: refused connection, timeout, HTTP 5xx, not XML.

    The outcome of a ``pay`` that raised this is unknown: the row stays ``sent`` and is verified."""


@dataclass(frozen=True, slots=True)
class CheckAnswer:
    result: int
    comment: str | None = None
    balance_minor: int | None = None  # where the billing returns it (``<balance>``)
    full_name: str | None = None  # ``<fio>``
    prv_txn: str | None = None

    @property
    def found(self) -> bool:
        return self.result == RESULT_OK


@dataclass(frozen=True, slots=True)
class PayAnswer:
    result: int
    prv_txn: str | None = None
    sum_minor: int | None = None  # the billing's own record of the sum, where it echoes it
    comment: str | None = None
    # The answer says the txn_id is known already (ubilling's 300 «duplicate»); the client decides it
    # from the dialect and the comment, the connector decides whether that proves delivery.
    duplicate: bool = False
