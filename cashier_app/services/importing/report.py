"""What an import says: DTOs shared by the CLI, the wizard and the tests."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # 1-based line of the file (the header is line 1); for XLSX the sheet's row
    column: str  # the file's column name as written in its header («balance», «Баланс»)
    message: str  # for a person, in the UI's language: «не число: "12,3,4"»


@dataclass(slots=True)
class ImportReport:
    kind: str  # accounts | bookings
    file_name: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0  # accounts a full export no longer lists
    reopened: int = 0
    bad: list[RowError] = field(default_factory=list)
    bad_total: int = 0  # all bad rows; ``bad`` keeps the first 1 000
    written: bool = False  # False: nothing was changed (dry run, refused, cancelled, or nothing to change)
    cancelled: bool = False
    run_id: int | None = None
    skipped_report: str | None = None  # --skip-bad: where the rejected rows were written
    same_file: bool = False  # this very file was imported before and changed nothing now
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.closed + self.reopened

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "closed": self.closed, "reopened": self.reopened, "bad": self.bad_total}


@dataclass(frozen=True, slots=True)
class Preview:
    """The wizard's first page: the file as read and how its columns map."""

    encoding: str  # utf-8 | cp1251 | xlsx
    delimiter: str | None
    columns: list[str]  # the header as written
    mapping: dict[str, str]  # file column → field
    unmapped_required: list[str]  # fields the import needs that no column gives
    rows: list[list[str]]  # the first rows as read
