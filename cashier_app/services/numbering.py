"""Human-readable numbers unique across desks: one atomic counter row per kind."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

PREFIXES = {
    "payment": "P",
    "document": "D",
    "shift": "S",
    "gateway_order": "CA",
    "z_report": "Z",
}


def next_value(s: Session, name: str) -> int:
    """Increment and read in one statement; the row lock keeps two desks from sharing a value."""
    row = s.execute(
        text("UPDATE counters SET value = value + 1 WHERE name = :n RETURNING value"), {"n": name}
    ).first()
    if row is None:
        s.execute(text("INSERT INTO counters (name, value) VALUES (:n, 1)"), {"n": name})
        return 1
    return int(row[0])


def next_number(s: Session, name: str) -> str:
    value = next_value(s, name)
    return f"{PREFIXES.get(name, name[:2].upper())}-{value:09d}"
