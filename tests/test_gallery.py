"""Issue 12 §5: every window, dialog and card, in both languages, at 1024×700 and 1920×1080.

Each case renders one item of ``gallery_helpers.ITEMS`` into ``artifacts/gallery/<lang>-<w>x<h>/<name>.png``
for a person to look at, then runs the fit check without pixels (``check_window``): no text clipped or
elided, no widget outside its window, no window larger than the screen.  A dialog that fails to build
fails its case by name.  Every finding also lands in ``artifacts/gallery/findings.md``.

One office for the module: a copy of the session's demo office with a shift open, a paid cash payment
with its fiscal receipt (register emulator), a pending card order (bank sandbox), a booking with the
manager's bonuses and a locked user.  The cases only read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLibraryInfo, QLocale, QSize, Qt, QTranslator
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget
from sqlalchemy import func, select, update

from cashier_app.i18n import set_language
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.conftest import ARTIFACTS, TODAY, copy_sqlite
from tests.gallery_helpers import ITEMS, Clip, check_window

pytestmark = pytest.mark.gui

LANGUAGES = ("ru", "en")
SCREENS = (QSize(1024, 700), QSize(1280, 720), QSize(1920, 1080))  # 1280×720: the README's walk
OUT = ARTIFACTS / "gallery"
FINDINGS: dict[str, list[Clip]] = {}
CELLS: dict[str, list[Clip]] = {}


@dataclass
class GalleryEnv:
    """What a factory may use: the prepared office (``office``: numbers, documents), contexts, a runner."""

    db: Any
    runner: Any
    office: dict[str, Any] = field(default_factory=dict)
    desk: str = "desk-1"

    def ctx(self, login: str = "cashier") -> Any:
        from cashier_app.services.context import DeskContext, UserInfo

        with self.db.read() as uow:
            u = uow.session.execute(select(m.User).where(m.User.login == login)).scalar_one()
        return DeskContext(self.db, self.desk, UserInfo(u.id, u.login, u.full_name, u.role), today_override=TODAY)




def _pick(env: GalleryEnv) -> None:
    """The records shown: the accounts with the longest addresses (the card must wrap them, not clip them)
    and a booking of the manager, 90 % paid or more (bonuses may pay the rest), ahead enough for every method."""
    def size(col: Any) -> Any:
        return func.length(func.coalesce(col, ""))

    address = size(m.Contract.region) + size(m.Contract.city) + size(m.Contract.street)
    with env.db.read() as uow:
        s = uow.session
        accounts = s.execute(select(m.Account.number).join(m.Contract).join(m.Payee, m.Payee.id == m.Contract.payee_id)
                             .where(m.Payee.kind == "isp").order_by(address.desc(), m.Account.id).limit(3)).scalars()
        env.office["account"], env.office["card_account"], env.office["card_account_free"] = list(accounts)
        q = (select(m.Booking.number).join(m.User, m.User.id == m.Booking.manager_id).outerjoin(m.Tourist)
             .where(m.User.login == "manager", m.Booking.status == "confirmed",
                    m.Booking.paid_minor < m.Booking.price_minor, m.Booking.departure_on > TODAY + timedelta(days=5))
             .group_by(m.Booking.id).order_by(func.count(m.Tourist.id).desc(), m.Booking.id).limit(1))
        ready = q.where(m.Booking.paid_minor * 10 >= m.Booking.price_minor * 9)
        env.office["booking"] = (s.execute(ready.where(m.Booking.tour_type == "standard",
                                                       m.Booking.departure_on > TODAY + timedelta(days=9))).scalar()
                                 or s.execute(ready).scalar() or s.execute(q).scalar_one())
        env.office["billing_payee"] = s.execute(select(m.Payee.code).join(m.Contract).join(m.Account)
                                                .where(m.Account.number == env.office["account"])).scalar_one()


def _prepare(env: GalleryEnv, register: Any, billing: Any) -> None:
    """What the dialogs show: an open shift, a payment with its receipt and slip, a pending card order, bonuses,
    a locked user, and the account's billing answering (every connector at the billing emulator)."""
    from cashier_app.services import card_pending, cash, users
    from cashier_app.services.billing import settings as billing_settings
    from cashier_app.ui.billing_actions import _isp_payees
    from tests.fiscal.fc_helpers import open_desk
    from tests.test_bonuses_service import ensure_rate, set_balance

    db, office, admin = env.db, env.office, env.ctx("admin")
    _pick(env)
    with db.uow() as uow:
        uow.session.execute(update(m.BillingSettings).values(url=billing.osmp_url, dialect=billing.dialect))
        uow.commit()
    billing_settings.configure(admin, office["billing_payee"], url=billing.osmp_url, dialect=billing.dialect)
    billing.load_accounts([{"number": office["account"], "full_name": "Абонент", "balance": "1234.50", "blocked": "0"}])
    cashier = open_desk(db, register, "cashier", env.desk)
    paid = cash.take_cash(cashier, token=cash.new_token(), amount_minor=612_345, received_minor=700_000,
                          account=office["account"], contact="buyer@example.ru")
    assert paid.slip is not None
    office["payment"], office["slip"] = paid.payment_number, paid.slip
    card_pending.start_or_reuse(cashier, account=office["card_account"], amount_minor=150_000)
    ensure_rate(db, TODAY)
    set_balance(db, "manager", "plus", 40_000)
    set_balance(db, "manager", "select", 15_000)
    users.add_user(admin, "ivanova.m", "Иванова Мария Сергеевна", "cashier", "right-password-1")
    for _ in range(users.MAX_FAILED):
        with pytest.raises(users.SignInError):
            users.authenticate(db, env.desk, "ivanova.m", "wrong")
    office["locked_login"] = "ivanova.m"
    office["isp_payees"] = _isp_payees(admin)
    office["isp_payee"] = office["isp_payees"][0]


@pytest.fixture(scope="module")
def gallery(qapp, demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GalleryEnv]:  # type: ignore[no-untyped-def]
    from cashier_app.ui.operations import SyncRunner
    from tests.fiscal.fc_helpers import set_fiscal, start_register
    from tests.test_card_helpers import point_payees_at, start_bank

    tmp = tmp_path_factory.mktemp("gallery")
    copy_sqlite(demo_db_path, tmp / "office.sqlite3")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASHIER_GW_TIMEOUTS", "1,0.5")
        mp.setenv("CASHIER_FISCAL_TIMEOUTS", "1,1")
        mp.setenv("CASHIER_BILLING_TIMEOUTS", "1,1")
        from cashier_app.emulators.billing.server import BillingServer

        billing = BillingServer(dialect="abills", port=0)
        billing.start()
        bank = start_bank(tmp / "bank.sqlite3")
        register = start_register(tmp / "register.sqlite")
        db = Database(f"sqlite:///{tmp / 'office.sqlite3'}")
        runner = SyncRunner()
        try:
            point_payees_at(db, bank.url)
            set_fiscal(db, register, "atol_online")
            env = GalleryEnv(db, runner, {"tmp": tmp})
            _prepare(env, register, billing)
            yield env
        finally:
            set_language("ru")
            _write_findings()
            db.dispose()
            bank.stop()
            register.stop()
            billing.stop()
            runner.deleteLater()


@pytest.fixture
def language(request: pytest.FixtureRequest, qapp) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The interface language as ``run_gui`` sets it: the catalogs, Qt's own buttons, the locale."""
    lang, before = request.param, QLocale()
    set_language(lang)
    QLocale.setDefault(QLocale(QLocale.Language.Russian if lang == "ru" else QLocale.Language.English))
    translator = QTranslator()
    installed = lang == "ru" and translator.load(
        "qtbase_ru", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    if installed:
        qapp.installTranslator(translator)
    try:
        yield lang
    finally:
        if installed:
            qapp.removeTranslator(translator)
        set_language("ru")
        QLocale.setDefault(before)


@pytest.fixture(autouse=True)
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every message box the case would show, recorded instead of a modal loop that would hang the suite.

    Questions (closing a pending card order) answer «no», so the office stays as prepared.
    """
    from PySide6.QtWidgets import QMessageBox

    said: list[str] = []

    def static(kind: str, answer: QMessageBox.StandardButton):  # type: ignore[no-untyped-def]
        def box(_parent, _title, text, *_a, **_k):  # type: ignore[no-untyped-def]
            said.append(f"{kind}: {text}")
            return answer
        return staticmethod(box)

    for kind, answer in (("warning", QMessageBox.StandardButton.Ok), ("information", QMessageBox.StandardButton.Ok),
                         ("critical", QMessageBox.StandardButton.Ok), ("question", QMessageBox.StandardButton.No)):
        monkeypatch.setattr(QMessageBox, kind, static(kind, answer))

    def exec_(self: QMessageBox) -> int:
        said.append(f"box: {self.text()}")
        return 0  # no button clicked: ``messages.confirm`` answers «no»

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return said


def place_on_screen(window: QWidget, screen: QSize) -> None:
    """Give a window the size a desktop of ``screen`` gives it, before it is shown.

    Qt's ``adjustSize`` caps a new window at 2/3 of the *actual* screen, and the offscreen screen is
    800×800 whatever the gallery pretends; this does the same against ``screen``.  The main window is
    maximised to the screen.  A window that set its own size keeps it: Xvfb has no window manager to
    shrink it, so one larger than the screen is reported by ``check_window``.  The layout's minimum
    wins as well (Qt enforces it).
    """
    if isinstance(window, QMainWindow):
        window.resize(screen)
        return
    if window.testAttribute(Qt.WidgetAttribute.WA_Resized):
        return
    hint = window.sizeHint()
    lay = window.layout()
    if lay is not None and lay.hasHeightForWidth():
        hint.setHeight(lay.totalHeightForWidth(hint.width()))
    window.resize(min(hint.width(), screen.width() * 2 // 3), min(hint.height(), screen.height() * 2 // 3))


def _settle() -> None:
    # Layout requests, deferred geometry and queued look-ups (SyncRunner answers at once) are posted events.
    for _ in range(3):
        QApplication.processEvents()


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
@pytest.mark.parametrize("language", LANGUAGES, indirect=True)
@pytest.mark.parametrize("name, factory", ITEMS, ids=[name for name, _ in ITEMS])
def test_gallery(qtbot, gallery: GalleryEnv, boxes: list[str], language: str, screen: QSize, name: str,  # type: ignore[no-untyped-def]
                 factory) -> None:
    try:
        window = factory(gallery)
    except Exception as exc:
        pytest.fail(f"{name}: could not be built ({language}): {type(exc).__name__}: {exc}")
    qtbot.addWidget(window)
    place_on_screen(window, screen)
    window.show()
    try:
        _settle()
        folder = OUT / f"{language}-{screen.width()}x{screen.height()}"
        folder.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(folder / f"{name}.png")), f"{name}: the picture was not saved"
        cells: list[Clip] = []
        clips = check_window(window, name, screen, cells)
        case = f"{language} {screen.width()}x{screen.height()} {name}"
        FINDINGS[case] = clips
        CELLS[case] = cells  # reported in findings.md, not failed: see check_window
    finally:
        window.hide()  # not close(): a card dialog with an order would ask; the fixture closes everything
    assert not boxes, f"{name} ({language}): a message box on opening: {boxes}"
    assert not clips, f"{name} ({language}, {screen.width()}×{screen.height()}): {len(clips)} clipped\n" + "\n".join(
        c.line() for c in clips)


def _write_findings() -> None:
    """``artifacts/gallery/findings.md``: every clip, then the elided cells grouped by column."""
    if not FINDINGS:
        return
    OUT.mkdir(parents=True, exist_ok=True)
    head = ["| language, screen | window | widget | text | axis | needed | available |", "|---|---|---|---|---|---|---|"]
    lines = ["# Gallery fit check", "", "## Clipped (the test fails on these)", "", *head]
    for case, clips in sorted(FINDINGS.items()):
        where = " ".join(case.split(" ")[:2])
        lines += [f"| {where} | {c.window} | `{c.widget}` | {_cell_text(c.text)} | {c.axis} | {c.needed} | {c.available} |"
                  for c in clips]
    lines += ["", "## Elided table cells (reported, not failed; the first of each column, and how many)", "", *head]
    for case, clips in sorted(CELLS.items()):
        where = " ".join(case.split(" ")[:2])
        seen: dict[tuple[str, str], list[Clip]] = {}
        for c in clips:
            seen.setdefault((c.widget, c.axis), []).append(c)
        for (widget, axis), group in seen.items():
            c = group[0]
            more = f" (+{len(group) - 1} more rows)" if len(group) > 1 else ""
            lines.append(f"| {where} | {c.window} | `{widget}` | {_cell_text(c.text)}{more} | {axis} | {c.needed} | "
                         f"{c.available} |")
    (OUT / "findings.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _cell_text(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ⏎ ")
    return text if len(text) <= 100 else text[:97] + "…"


# --- the checker itself: it finds what it should, and nothing on a window that fits ----------------------


def _shown(qtbot, build) -> tuple[Any, list[Clip]]:  # type: ignore[no-untyped-def]
    window = QWidget()
    qtbot.addWidget(window)
    build(window)
    window.resize(400, 300)
    window.show()
    _settle()
    return window, check_window(window, "probe", QSize(1024, 700))


def test_checker_finds_clipped_text_and_honours_elide_ok(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QTableWidget

    def build(w: QWidget) -> None:
        long = "Сумма к оплате с учётом комиссии банка"
        QLabel(long, w, objectName="cut").setGeometry(0, 0, 60, 20)
        QLabel(long, w, objectName="meant").setGeometry(0, 20, 60, 20)
        w.findChild(QLabel, "meant").setProperty("elide_ok", True)
        wrapped = QLabel(long * 3, w, objectName="wrapped")
        wrapped.setWordWrap(True)
        wrapped.setGeometry(0, 40, 200, 20)
        QPushButton(long, w, objectName="button").setGeometry(0, 60, 80, 30)
        edit = QLineEdit(w, objectName="edit")
        edit.setPlaceholderText(long)
        edit.setGeometry(0, 90, 80, 24)
        QLabel("ok", w, objectName="outside").setGeometry(380, 280, 60, 40)
        table = QTableWidget(1, 2, w, objectName="table")
        table.setHorizontalHeaderLabels([long, "x"])
        table.setGeometry(0, 120, 300, 100)

    _window, clips = _shown(qtbot, build)
    found = {(c.widget.split(" > ")[-1], c.axis.split(" (")[0]) for c in clips}
    assert ("QLabel#cut", "width") in found and ("QLabel#wrapped", "height") in found
    assert ("QPushButton#button", "width") in found and ("QLineEdit#edit", "width") in found
    assert ("QLabel#outside", "position") in found
    assert any(c.widget.endswith("QHeaderView") and c.text.startswith("Сумма") for c in clips)
    assert not any("meant" in c.widget for c in clips)
    cut = next(c for c in clips if c.widget == "QLabel#cut")
    assert cut.available == 60 and cut.needed > 200


def test_checker_passes_a_window_that_fits(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import (
        QCheckBox,
        QFormLayout,
        QGroupBox,
        QLabel,
        QLineEdit,
        QPushButton,
        QVBoxLayout,
    )

    def build(w: QWidget) -> None:
        lay = QVBoxLayout(w)
        box = QGroupBox("Оплата наличными")
        form = QFormLayout(box)
        form.addRow("Сумма", QLineEdit("1 000,50"))
        note = QLabel("Адрес: 603028, Нижегородская обл., г. Нижний Новгород, ул. Краснопартизанская, д. 81к1, кв. 98")
        note.setWordWrap(True)
        form.addRow("Адрес", note)
        lay.addWidget(box)
        lay.addWidget(QCheckBox("Без печати (только электронный чек)"))
        lay.addWidget(QPushButton("Принять оплату"))

    _window, clips = _shown(qtbot, build)
    assert clips == []
