"""The gallery's two halves: a fit check without pixels, and the list of what the gallery shows.

``check_window``: after layout, the text of each visible QLabel (one line: width and height; word-wrapped: the
wrapped height at its width), QPushButton, QCheckBox, QRadioButton, QToolButton, QGroupBox title, QComboBox,
QTabBar tab, QHeaderView section, QMenuBar entry, status bar message and QLineEdit text or placeholder —
measured with ``QFontMetrics(widget.font())`` (a ``QTextDocument`` for rich text) plus the style's margins —
must fit the widget's current size; no visible widget may be cut off by its parent or the window's edge, nor
lie under a floating one (a toast); the window must fit the screen.  Elided view cells: collected on request.

**Elided on purpose**: a widget that shortens its text deliberately sets the dynamic property ``elide_ok``:
``label.setProperty("elide_ok", True)`` skips its text check; set on a view or tab widget it covers its header
or tab bar; a list of ints (``view.setProperty("elide_ok", [3])``) names the logical sections, tabs or cell
columns meant.  Position is still checked.

``ITEMS``: one ``(name, factory)`` line per window, dialog or card; a factory takes the test's ``GalleryEnv``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenuBar,
    QPushButton,
    QRadioButton,
    QSizeGrip,
    QStatusBar,
    QStyle,
    QStyleOptionButton,
    QStyleOptionComboBox,
    QStyleOptionFrame,
    QStyleOptionGroupBox,
    QStyleOptionTab,
    QStyleOptionToolButton,
    QStyleOptionViewItem,
    QTabBar,
    QToolButton,
    QWidget,
)

from cashier_app.i18n import tr
from tests.conftest import TODAY

if TYPE_CHECKING:  # the office the test module prepares; factories only read it
    from tests.test_gallery import GalleryEnv

BIG = 100_000
TOLERANCE = 1  # px: rounding of fractional advances; anything more is a clipped glyph
MNEMONIC = int(Qt.TextFlag.TextShowMnemonic)
LEFT_RIGHT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignRight
TOP_BOTTOM = Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignBottom


@dataclass(frozen=True)
class Clip:
    """One clipped widget: where, what text, how many px it needs and how many it has."""

    window: str
    widget: str
    text: str
    axis: str  # "width", "height", "position" (outside the window), "screen" (window larger than the screen)
    needed: int
    available: int

    def line(self) -> str:
        text = self.text.replace("\n", "⏎") if len(self.text) <= 90 else self.text[:87].replace("\n", "⏎") + "…"
        return (f"{self.window}: {self.widget} «{text}» — {self.axis} needs {self.needed} px, "
                f"has {self.available} px")


# --- the fit check ---------------------------------------------------------------------------------------


def _elide_ok(w: QWidget, index: int | None = None) -> bool:
    """The widget (or, for a header/tab bar, its view) says its text is shortened on purpose."""
    for owner in (w, w.parentWidget()) if isinstance(w, (QHeaderView, QTabBar)) else (w,):
        if owner is None:
            continue
        value = owner.property("elide_ok")
        if value is None or value is False:
            continue
        if isinstance(value, (list, tuple)):
            if index is not None and index in value:
                return True
            continue
        return bool(value)
    return False


def describe(w: QWidget, window: QWidget) -> str:
    """``Class#objectName`` of the widget and its nearest named ancestor (for the finding list)."""
    me = type(w).__name__ + (f"#{w.objectName()}" if w.objectName() else "")
    p = w.parentWidget()
    while p is not None and p is not window and not (p.objectName() and not p.objectName().startswith("qt_")):
        p = p.parentWidget()
    if p is not None and p is not window:
        return f"{type(p).__name__}#{p.objectName()} > {me}"
    if isinstance(w.parentWidget(), QGroupBox) and w.parentWidget().title():
        return f"QGroupBox«{w.parentWidget().title()}» > {me}"
    return me


def _need(text_w: int, avail_w: int, text_h: int, avail_h: int) -> list[tuple[str, int, int]]:
    return [(axis, need, have) for axis, need, have in (("width", text_w, avail_w), ("height", text_h, avail_h))
            if need > have + TOLERANCE]


def _label(w: QLabel) -> list[tuple[str, int, int]]:
    pm = w.pixmap()
    if (pm is not None and not pm.isNull()) or w.movie() is not None or not w.text().strip():
        return []
    text, fm = w.text(), QFontMetrics(w.font())
    cr = w.contentsRect()
    m = w.margin()
    cr.adjust(m, m, -m, -m)
    align, indent = w.alignment(), w.indent()
    if indent < 0 and w.frameWidth():
        indent = fm.horizontalAdvance("x") // 2 - m
    if indent > 0:  # as QLabel::paintEvent: the indent is taken on the aligned side
        if align & LEFT_RIGHT:
            cr.setWidth(cr.width() - indent)
        if align & TOP_BOTTOM:
            cr.setHeight(cr.height() - indent)
    fmt = w.textFormat()
    rich = fmt == Qt.TextFormat.RichText or (fmt == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text))
    if rich or fmt == Qt.TextFormat.MarkdownText:
        doc = QTextDocument()
        doc.setDefaultFont(w.font())
        doc.setDocumentMargin(0)  # as QLabel's text control
        if rich:
            doc.setHtml(text)
        else:
            doc.setMarkdown(text)
        doc.setTextWidth(cr.width() if w.wordWrap() else -1)
        # idealWidth: the widest line once wrapped — a word longer than the label sticks out
        return _need(math.ceil(doc.idealWidth()), cr.width(), math.ceil(doc.size().height()), cr.height())
    flags = MNEMONIC if w.buddy() is not None else 0
    flags |= int(align & LEFT_RIGHT | Qt.AlignmentFlag.AlignHCenter & align)
    if w.wordWrap():
        br = fm.boundingRect(QRect(0, 0, max(cr.width(), 1), BIG), flags | int(Qt.TextFlag.TextWordWrap), text)
    else:
        br = fm.boundingRect(QRect(0, 0, BIG, BIG), flags, text)
    return _need(br.width(), cr.width(), br.height(), cr.height())


def _button(w: QAbstractButton) -> list[tuple[str, int, int]]:
    text = w.text()
    if not text.strip():
        return []
    style, fm = w.style(), QFontMetrics(w.font())
    size = fm.size(MNEMONIC, text)
    icon = 0 if w.icon().isNull() else w.iconSize().width() + 4
    if isinstance(w, QPushButton):
        opt = QStyleOptionButton()
        w.initStyleOption(opt)
        r = style.subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, w)
        menu = style.pixelMetric(QStyle.PixelMetric.PM_MenuButtonIndicator, opt, w) if w.menu() else 0
        return _need(size.width() + icon + menu, r.width(), size.height(), r.height())
    if isinstance(w, (QCheckBox, QRadioButton)):
        opt = QStyleOptionButton()
        w.initStyleOption(opt)
        sub = (QStyle.SubElement.SE_CheckBoxContents if isinstance(w, QCheckBox)
               else QStyle.SubElement.SE_RadioButtonContents)
        r = style.subElementRect(sub, opt, w)
        return _need(size.width() + icon, r.width(), size.height(), r.height())
    if isinstance(w, QToolButton):
        if w.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly:
            return []
        opt = QStyleOptionToolButton()
        w.initStyleOption(opt)
        r = style.subControlRect(QStyle.ComplexControl.CC_ToolButton, opt, QStyle.SubControl.SC_ToolButton, w)
        fw = style.pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, opt, w)
        r.adjust(fw, fw, -fw, -fw)
        beside = w.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        return _need(size.width() + (icon if beside else 0), r.width(), size.height(), r.height())
    return []


def _group_box(w: QGroupBox) -> list[tuple[str, int, int]]:
    if not w.title().strip():
        return []
    opt = QStyleOptionGroupBox()
    w.initStyleOption(opt)
    label = w.style().subControlRect(QStyle.ComplexControl.CC_GroupBox, opt, QStyle.SubControl.SC_GroupBoxLabel, w)
    need = label.x() + QFontMetrics(w.font()).size(MNEMONIC, w.title()).width()
    return _need(need, w.width(), 0, 0)


def _combo(w: QComboBox) -> list[tuple[str, int, int]]:
    if w.isEditable() or not w.currentText().strip():
        return []  # an editable combo box is its QLineEdit, checked as one
    opt = QStyleOptionComboBox()
    w.initStyleOption(opt)
    r = w.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, w)
    icon = 0 if w.itemIcon(w.currentIndex()).isNull() else w.iconSize().width() + 4
    size = QFontMetrics(w.font()).size(0, w.currentText())
    return _need(size.width() + icon, r.width(), size.height(), r.height())


def _line_edit(w: QLineEdit) -> list[tuple[str, int, int]]:
    shown = w.text() if w.text() else w.placeholderText()
    if not shown.strip() or (w.text() and w.echoMode() != QLineEdit.EchoMode.Normal):
        return []
    opt = QStyleOptionFrame()
    w.initStyleOption(opt)
    r = w.style().subElementRect(QStyle.SubElement.SE_LineEditContents, opt, w)
    tm = w.textMargins()
    r.adjust(tm.left(), tm.top(), -tm.right(), -tm.bottom())
    # Side widgets (the clear button, actions) take their width and a margin of iconSize/4 each.
    side = sum(b.width() + 4 for b in w.findChildren(QToolButton) if b.isVisibleTo(w))
    fm = QFontMetrics(w.font())
    avail = r.width() - side - 2 * 2  # QLineEditPrivate::horizontalMargin on each side
    if w.text():
        avail -= 1  # the cursor's pixel: longer text scrolls and hides its start or its end
    return _need(fm.horizontalAdvance(shown), avail, fm.height(), r.height())


def _tabs(w: QTabBar) -> list[tuple[str, str, int, int]]:
    out = []
    fm = QFontMetrics(w.font())
    for i in range(w.count()):
        if not w.isTabVisible(i) or _elide_ok(w, i):
            continue
        text = w.tabText(i)
        opt = QStyleOptionTab()
        w.initStyleOption(opt, i)
        rect = w.tabRect(i)
        if not w.rect().contains(rect):
            out.append((text, "position", rect.right() + 1, w.width()))
            continue
        r = w.style().subElementRect(QStyle.SubElement.SE_TabBarTabText, opt, w)
        need = fm.size(MNEMONIC, text).width()
        if need > r.width() + TOLERANCE:
            out.append((text, "width", need, r.width()))
    return out


def _header(w: QHeaderView) -> list[tuple[str, str, int, int]]:
    out = []
    model = w.model()
    if model is None:
        return out
    horizontal = w.orientation() == Qt.Orientation.Horizontal
    for visual in range(w.count()):
        li = w.logicalIndex(visual)
        if w.isSectionHidden(li) or _elide_ok(w, li):
            continue
        pos = w.sectionViewportPosition(li)
        extent = w.viewport().width() if horizontal else w.viewport().height()
        if pos >= extent or pos + w.sectionSize(li) <= 0:
            continue  # scrolled out of view: the scroll bar brings it
        text = str(model.headerData(li, w.orientation(), Qt.ItemDataRole.DisplayRole) or "")
        if not text.strip():
            continue
        hint = w.sectionSizeFromContents(li)  # text + the style's margins + the sort arrow
        need, have = (hint.width(), w.sectionSize(li)) if horizontal else (hint.width(), w.width())
        if need > have + TOLERANCE:
            out.append((text, "width", need, have))
    return out


def _cells(w: QAbstractItemView) -> list[tuple[str, str, int, int]]:
    """Cells of the rows in view whose text the delegate elides (wider than the column, or taller than the row)."""
    out: list[tuple[str, str, int, int]] = []
    model = w.model()
    if model is None or model.rowCount() == 0:
        return out
    vp = w.viewport().rect()
    wrap = bool(getattr(w, "wordWrap", lambda: False)())
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            index = model.index(row, col)
            rect = w.visualRect(index)
            if not rect.isValid() or not rect.intersects(vp) or _elide_ok(w, col):
                continue
            text = model.data(index, Qt.ItemDataRole.DisplayRole)
            if text is None or not str(text).strip() or w.indexWidget(index) is not None:
                continue
            opt = QStyleOptionViewItem()
            w.initViewItemOption(opt)
            opt.rect = rect
            hint = w.itemDelegateForIndex(index).sizeHint(opt, index)
            column = str(model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or col)
            if wrap and hint.height() > rect.height() + TOLERANCE:  # wrapped into more lines than the row has
                out.append((str(text), f"cell height, column «{column}»", hint.height(), rect.height()))
            elif not wrap and hint.width() > rect.width() + TOLERANCE:
                out.append((str(text), f"cell width, column «{column}»", hint.width(), rect.width()))
        if w.visualRect(model.index(row, 0)).top() > vp.bottom():
            break
    return out


def _menu_bar(w: QMenuBar) -> list[tuple[str, str, int, int]]:
    out = []
    for act in w.actions():
        if not act.isVisible() or act.isSeparator():
            continue
        g = w.actionGeometry(act)
        if g.isEmpty() or not w.rect().contains(g):
            # QMenuBar moves what does not fit behind its «»» extension button
            out.append((act.text(), "position", max(g.right() + 1, 0), w.width()))
    return out


def _status_message(w: QStatusBar) -> list[tuple[str, str, int, int]]:
    """The status bar's own message («F6: …»), drawn left of its widgets: it is cut where the first one starts."""
    text = w.currentMessage()
    if not text:
        return []
    starts = [c.x() for c in w.findChildren(QWidget) if c.isVisible() and c.parentWidget() is w
              and not isinstance(c, QSizeGrip)]
    avail = (min(starts) if starts else w.width() - 12) - 6  # QStatusBarPrivate::messageRect: 6 px margin
    need = QFontMetrics(w.font()).horizontalAdvance(text)
    return [(text, "width", need, avail)] if need > avail + TOLERANCE else []


def _in_layout(lay: Any, w: QWidget) -> bool:
    for i in range(lay.count()):
        item = lay.itemAt(i)
        if item.widget() is w or (item.layout() is not None and _in_layout(item.layout(), w)):
            return True
    return False


def _covered(window: QWidget, name: str) -> list[Clip]:
    """Text under a floating child (one its parent's layout does not place: a toast, a popup note)."""
    out: list[Clip] = []
    floating = [f for f in window.findChildren(QWidget) if f.isVisible() and not f.isWindow()
                and (p := f.parentWidget()) is not None and p.layout() is not None and not _in_layout(p.layout(), f)]
    texts = [t for t in window.findChildren(QWidget) if isinstance(t, (QLabel, QAbstractButton)) and t.isVisible()
             and t.text().strip()]
    for f in floating:
        rf = QRect(f.mapTo(window, f.rect().topLeft()), f.size())
        for t in texts:
            if f.isAncestorOf(t) or t.isAncestorOf(f) or t is f:
                continue
            hit = rf.intersected(QRect(t.mapTo(window, t.rect().topLeft()), t.size()))
            if not hit.isEmpty():
                out.append(Clip(name, describe(t, window), t.text(), f"covered by {describe(f, window)} (area px²)",
                                t.width() * t.height(), t.width() * t.height() - hit.width() * hit.height()))
    return out


def _scroll_viewport(w: QWidget) -> bool:
    p = w.parentWidget()
    return isinstance(p, QAbstractScrollArea) and p.viewport() is w


def _outside(w: QWidget, window: QWidget) -> tuple[int, int] | None:
    """(needed, visible) area when the widget is cut off by an ancestor or the window's edge."""
    if w.width() <= 0 or w.height() <= 0:
        return None
    rect = QRect(w.mapTo(window, w.rect().topLeft()), w.size())
    visible = QRect(rect)
    p = w.parentWidget()
    while p is not None:
        if _scroll_viewport(p):
            return None  # inside a scroll area: scrolling shows it; the scroll area itself is checked
        prect = window.rect() if p is window else QRect(p.mapTo(window, p.rect().topLeft()), p.size())
        visible = visible.intersected(prect)
        if p is window:
            break
        p = p.parentWidget()
    if visible.width() * visible.height() + TOLERANCE * max(rect.width(), rect.height()) < rect.width() * rect.height():
        return rect.width() * rect.height(), max(visible.width(), 0) * max(visible.height(), 0)
    return None


def check_window(window: QWidget, name: str, screen: QSize, cells: list[Clip] | None = None) -> list[Clip]:
    """Every clipped text, every widget outside the window, and the window larger than the screen.

    ``cells``: a list to collect the item views' elided cells into (a report: long free text in a
    column is often elided by design, so cells do not fail the check unless the caller decides so).
    """
    out = [Clip(name, describe(window, window), window.windowTitle(), f"window {axis} > screen", have, screen_px)
           for axis, have, screen_px in (("width", window.width(), screen.width()),
                                         ("height", window.height(), screen.height())) if have > screen_px]
    for w in [window, *window.findChildren(QWidget)]:
        if not w.isVisible() or w.window() is not window:
            continue
        where = describe(w, window)
        if w is not window and (area := _outside(w, window)) is not None:
            text = w.text() if hasattr(w, "text") and callable(w.text) else ""
            out.append(Clip(name, where, str(text), "position (area px²)", area[0], area[1]))
        found: list[tuple[str, str, int, int]] = []
        if cells is not None and isinstance(w, QAbstractItemView):
            cells.extend(Clip(name, where, text, axis, need, have) for text, axis, need, have in _cells(w))
        if isinstance(w, QTabBar):
            found = _tabs(w)
        elif isinstance(w, QHeaderView):
            found = _header(w)
        elif isinstance(w, QMenuBar):
            found = _menu_bar(w)
        elif isinstance(w, QStatusBar):
            found = _status_message(w)
        elif not _elide_ok(w):
            if isinstance(w, QLabel):
                found = [(w.text(), *x) for x in _label(w)]
            elif isinstance(w, QAbstractButton):
                found = [(w.text(), *x) for x in _button(w)]
            elif isinstance(w, QGroupBox):
                found = [(w.title(), *x) for x in _group_box(w)]
            elif isinstance(w, QComboBox):
                found = [(w.currentText(), *x) for x in _combo(w)]
            elif isinstance(w, QLineEdit):
                found = [(w.text() or w.placeholderText(), *x) for x in _line_edit(w)]
        out.extend(Clip(name, where, text, axis, need, have) for text, axis, need, have in found)
    return out + _covered(window, name)


# --- what the gallery shows ------------------------------------------------------------------------------

Factory = Callable[[Any], QWidget]


def main_window(env: GalleryEnv, login: str = "cashier") -> Any:
    """The main window as ``run_gui`` builds it: every capability installed, the user signed in."""
    from cashier_app.ui import app
    from cashier_app.ui.main_window import MainWindow

    ctx = env.ctx(login)
    user, ctx.user = ctx.user, None
    window = MainWindow(ctx, env.runner)
    for capability in app._extensions():
        window.install(capability())  # as run_gui plugs them in
    window.set_user(user)
    return window


def _with_card(env: GalleryEnv, login: str, key: str) -> Any:
    """Typed into the search and Enter, as a cashier does: the results list and the card both show."""
    window, number = main_window(env, login), env.office[key]
    window.search.setText(number)
    window.open_first()
    if window.current is None or window.current.number != number:
        window.open_hit(window.model.hit(0))
    assert window.current is not None and window.current.number == number, f"card {number} did not open"
    return window


def _ui(module: str, cls: str, *args: Callable[[GalleryEnv], Any], **kwargs: Callable[[GalleryEnv], Any]) -> Factory:
    """``cashier_app.ui.<module>.<cls>(*args, **kwargs)``, each argument computed from the env when built."""
    def make(env: GalleryEnv) -> QWidget:
        made = getattr(__import__(f"cashier_app.ui.{module}", fromlist=[cls]), cls)
        return made(*(a(env) for a in args), **{k: v(env) for k, v in kwargs.items()})
    return make


def _svc(name: str) -> Any:
    return __import__(f"cashier_app.services.{name}", fromlist=["_"])


def _ctx(login: str = "cashier") -> Callable[[GalleryEnv], Any]:
    return lambda env: env.ctx(login)


def _runner(env: GalleryEnv) -> Any:
    return env.runner


def _sign_in(env: GalleryEnv, *, locked: bool) -> QWidget:
    from cashier_app.ui.sign_in_dialog import SignInDialog

    dlg = SignInDialog(env.db, env.desk, env.runner)
    if locked:
        dlg.login.setText(env.office["locked_login"])
        dlg.password.setText("wrong password")
        dlg.submit()
        assert dlg.error.text(), "no lockout message shown"
    return dlg


def _card_of(key: str, login: str = "manager") -> Callable[[GalleryEnv], Any]:
    def card(env: GalleryEnv) -> Any:
        ctx = env.ctx(login)
        if key == "booking":
            return _svc("cards").booking_card(ctx, env.office[key], ctx.today())
        return _svc("cards").account_card(ctx, env.office[key])
    return card


def _with_watcher(module: str, cls: str, login: str, *rest: Callable[[GalleryEnv], Any],
                  **kwargs: Callable[[GalleryEnv], Any]) -> Factory:
    """Dialogs that follow card orders: ``Dialog(ctx, runner, watcher, *rest)``; the watcher lives with them."""
    def make(env: GalleryEnv) -> QWidget:
        from cashier_app.ui.card_actions import PaymentWatcher

        ctx = env.ctx(login)
        watcher = PaymentWatcher(ctx, env.runner)
        dlg = _ui(module, cls, lambda _e: ctx, _runner, lambda _e: watcher, *rest, **kwargs)(env)
        watcher.setParent(dlg)
        return dlg
    return make


def _help(which: str) -> Factory:
    """``help_dialog.show_*(parent)`` shows a non-modal window itself, from the main window (its ctx)."""
    def make(env: GalleryEnv) -> QWidget:
        from cashier_app.ui import help_dialog

        parent = main_window(env)
        env.office.setdefault("keep", []).append(parent)
        shown = getattr(help_dialog, which)(parent)
        assert isinstance(shown, QWidget), f"help_dialog.{which} returned {shown!r}, not its window"
        shown.hide()
        shown.setAttribute(Qt.WidgetAttribute.WA_Resized, False)  # it was sized for the 800×800 offscreen screen
        return shown
    return make


def _no_browser(_env: GalleryEnv) -> Callable[[Any], bool]:
    return lambda _url: True  # the gallery never opens a browser


def _toast(window: Any) -> Any:
    """A note over the window's corner, as the register's reconcile leaves one."""
    from cashier_app.ui.notifications import notifier_of

    notifier_of(window).notify(tr("Фискальные чеки"), tr(
        "Проверено: {n}; пробито: {done}; не пробито: {failed}; ждут ответа ККТ: {wait}", n=12, done=9, failed=2, wait=1),
        "error")
    return window


def _office(key: str) -> Callable[[GalleryEnv], Any]:
    return lambda env: env.office[key]


ITEMS: list[tuple[str, Factory]] = [
    ("main_empty", lambda env: main_window(env)),
    ("main_account", lambda env: _with_card(env, "cashier", "account")),
    ("main_booking", lambda env: _with_card(env, "manager", "booking")),
    ("main_toast", lambda env: _toast(_with_card(env, "cashier", "account"))),
    ("sign_in", lambda env: _sign_in(env, locked=False)),
    ("sign_in_locked", lambda env: _sign_in(env, locked=True)),
    ("cash_payment", _ui("cash_payment_dialog", "CashPaymentDialog", _ctx("manager"), _runner, _card_of("account"))),
    ("cash_payment_booking", _ui("cash_payment_dialog", "CashPaymentDialog", _ctx("manager"), _runner,
                                 _card_of("booking"))),
    ("card_payment", _with_watcher("card_payment_dialog", "CardPaymentDialog", "cashier",
                                   _card_of("card_account_free", "cashier"), open_url=_no_browser)),
    ("card_payment_order", _with_watcher("card_payment_dialog", "CardPaymentDialog", "cashier",
                                         _card_of("card_account", "cashier"), open_url=_no_browser)),
    ("bonus", _ui("bonus_dialog", "BonusDialog", _ctx("manager"), _runner, lambda env: _svc("bonuses").spend_info(
                  env.ctx("manager"), env.office["booking"], TODAY), lambda _env: TODAY,
                  on_done=lambda _env: lambda _r: None)),
    ("refund", _ui("refund_dialog", "RefundDialog",
                   lambda env: _svc("payments_journal").refund_info(env.ctx("manager"), env.office["payment"]))),
    ("open_shift", _ui("open_shift_dialog", "OpenShiftDialog", lambda env: _svc("shifts").proposed_float(env.ctx()))),
    ("close_shift", _ui("close_shift_dialog", "CloseShiftDialog", lambda env: _svc("shifts").current(env.ctx()))),
    ("cash_in", _ui("cash_movement_dialog", "CashMovementDialog", lambda _env: "in")),
    ("cash_out", _ui("cash_movement_dialog", "CashMovementDialog", lambda _env: "out")),
    ("cash_on_hand", _ui("cash_on_hand_dialog", "CashOnHandDialog", _ctx(), _runner)),
    ("journal", _ui("journal_dialog", "JournalDialog", _ctx("manager"), _runner)),
    ("documents_journal", _ui("documents_journal_dialog", "DocumentsJournalDialog", _ctx("manager"), _runner)),
    ("document", _ui("document_dialog", "DocumentDialog", _ctx(), _runner, lambda env: _svc("documents").document_options(
        env.ctx(), account=env.office["account"], today=TODAY))),
    ("batch", _ui("batch_dialog", "BatchDialog", _ctx(), lambda env: str(env.office["tmp"] / "debtors.pdf"),
                  limit=lambda _env: 5)),
    ("pending_orders", _with_watcher("pending_orders_dialog", "PendingOrdersDialog", "manager",
                                     lambda _env: lambda _order: None)),
    ("rates", _ui("rates_dialog", "RatesDialog", _ctx("admin"), _runner)),
    ("users", _ui("users_dialog", "UsersDialog", _ctx("admin"), _runner)),
    ("payees", _ui("payees_dialog", "PayeesDialog", _ctx("admin"), _runner,
                   lambda env: _svc("payees").list_for_admin(env.ctx("admin")))),
    ("fiscal_settings", _ui("fiscal_settings_dialog", "FiscalSettingsDialog", _ctx("admin"), _runner,
                            lambda env: env.office["isp_payee"][0], lambda env: env.office["isp_payee"][1])),
    ("billing_settings", _ui("billing_settings_dialog", "BillingSettingsDialog", _ctx("admin"), _runner,
                             _office("isp_payees"), _office("billing_payee"))),
    ("fiscal_receipt", _ui("fiscal_receipt_dialog", "FiscalReceiptDialog", _office("payment"),
                           lambda env: _svc("fiscal_views").receipts(env.ctx(), payment=env.office["payment"]))),
    ("audit", _ui("audit_dialog", "AuditDialog", _ctx("admin"), _runner)),
    ("import_wizard", _ui("import_wizard", "ImportWizard", _ctx("admin"), _runner, _office("isp_payees"))),
    ("help_shortcuts", _help("show_shortcuts")),
    ("help_about", _help("show_about")),
    ("pdf_preview", _ui("pdf_preview", "PdfPreviewDialog", lambda env: env.office["slip"].pdf,
                        lambda env: f"{tr('Квитанция об оплате')} № {env.office['slip'].number}")),
]
