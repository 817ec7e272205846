"""Declarative, typed desk settings with defaults and help text.

Desk-local values (the desk name, the database URL, the UI language, paper)
live in a small JSON file in the user config directory; office-wide rules live
in the database ``settings`` table.  The settings dialog is built from
``SETTINGS`` so a new entry needs no UI code.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "cashier-app"


@dataclass(frozen=True)
class SettingVar:
    key: str
    default: Any
    label: str
    help: str
    choices: tuple[str, ...] | None = None


SETTINGS: tuple[SettingVar, ...] = (
    SettingVar("desk", None, "Рабочее место", "Имя кассы; записывается в каждый платёж, документ и смену."),
    SettingVar("language", "ru", "Язык", "Язык интерфейса.", ("ru", "en")),
    SettingVar("receipt_paper", "a4", "Бумага для чеков", "A4 или лента 80 мм.", ("a4", "80mm")),
    SettingVar("db_url", None, "База данных", "URL базы; пусто — встроенная SQLite."),
    SettingVar("fiscal_register_url", None, "Адрес ККТ этой кассы",
               "ATOL Web Server этой кассы, например http://127.0.0.1:16732; пусто — адрес из настроек получателя."),
    # Remembered by the main window (issue 12 §3), not edited by hand.
    SettingVar("window_geometry", None, "Положение окна", "Размер и место главного окна при выходе (base64)."),
    SettingVar("splitter_sizes", None, "Разделитель окна", "Ширины списка и карточки при выходе, в точках."),
    SettingVar("last_login", None, "Последний вход", "Логин, подставляемый в окно входа."),
)


def data_dir() -> Path:
    override = os.environ.get("CASHIER_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_path() -> Path:
    override = os.environ.get("CASHIER_CONFIG_DIR")
    base = Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    return base / "settings.json"


def log_dir() -> Path:
    """Where the rotating log lives (``CASHIER_LOG_DIR`` overrides, as the data and config dirs do)."""
    override = os.environ.get("CASHIER_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def log_path() -> Path:
    return log_dir() / "cashier-app.log"


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'cashier.sqlite3'}"


class DeskSettings:
    """Read/write access to the desk-local settings file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_path()
        self._values: dict[str, Any] = {}
        if self.path.exists():
            try:
                self._values = json.loads(self.path.read_text("utf-8"))
            except (OSError, ValueError):
                # A damaged settings file must not stop the counter; defaults apply.
                self._values = {}

    def get(self, key: str) -> Any:
        var = _by_key(key)
        value = self._values.get(key, var.default)
        if key == "desk" and not value:
            return os.environ.get("CASHIER_DESK") or socket.gethostname() or "desk"
        return value

    def set(self, key: str, value: Any) -> None:
        var = _by_key(key)
        if var.choices and value not in var.choices:
            raise ValueError(f"{var.label}: допустимо {', '.join(var.choices)}")
        self._values[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._values, ensure_ascii=False, indent=2), "utf-8")
        tmp.replace(self.path)


def _by_key(key: str) -> SettingVar:
    for var in SETTINGS:
        if var.key == key:
            return var
    raise KeyError(key)


def env_timeouts(variable: str, default: tuple[float, float]) -> tuple[float, float]:
    """(connect, read) seconds from ``variable`` ("2,5"; tests use short ones), else ``default``."""
    try:
        connect, read = (float(x) for x in os.environ.get(variable, "").split(","))
        if connect > 0 and read > 0:
            return connect, read
    except ValueError:
        pass
    return default
