"""The command speaks the desk's language: ``--lang``, else ``CASHIER_LANG``, else the saved «Язык», else Russian."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from cashier_app.cli import build_parser
from cashier_app.i18n import set_language
from tests.test_cli import cli

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# A refusal raised before any database is opened: the domain's message through the CLI's one line.
REFUSAL = ("init-db", "--scale", "0")
RU_LINE = "cashier-app: --scale: нужно положительное число"
EN_LINE = "cashier-app: --scale: enter a positive number"


def _config(tmp_path: Path, language: str | None) -> dict[str, str]:
    """An environment with its own desk settings file (``language`` saved, or none)."""
    folder = tmp_path / "config"
    folder.mkdir()
    if language is not None:
        (folder / "settings.json").write_text(json.dumps({"language": language}), "utf-8")
    return {"CASHIER_CONFIG_DIR": str(folder)}


def _stderr_line(*args: str, env: dict[str, str]) -> str:
    proc = cli(*args, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_russian_by_default(tmp_path: Path) -> None:
    env = {**_config(tmp_path, None), "CASHIER_LANG": ""}
    assert _stderr_line(*REFUSAL, env=env) == RU_LINE


def test_cashier_lang_en_prints_the_refusal_in_english(tmp_path: Path) -> None:
    line = _stderr_line(*REFUSAL, env={**_config(tmp_path, None), "CASHIER_LANG": "en"})
    assert line == EN_LINE
    assert not CYRILLIC.search(line)


def test_the_saved_language_applies_and_the_environment_wins(tmp_path: Path) -> None:
    env = _config(tmp_path, "en")
    assert _stderr_line(*REFUSAL, env={**env, "CASHIER_LANG": ""}) == EN_LINE
    assert _stderr_line(*REFUSAL, env={**env, "CASHIER_LANG": "ru"}) == RU_LINE
    # An unknown value is not a language: the saved one still applies.
    assert _stderr_line(*REFUSAL, env={**env, "CASHIER_LANG": "de"}) == EN_LINE


def test_the_lang_option_wins_over_the_environment(tmp_path: Path) -> None:
    env = {**_config(tmp_path, None), "CASHIER_LANG": "en"}
    assert _stderr_line("--lang", "ru", *REFUSAL, env=env) == RU_LINE


def test_top_level_help_in_english_has_no_russian(tmp_path: Path) -> None:
    proc = cli("--help", env={**_config(tmp_path, None), "CASHIER_LANG": "en"})
    assert proc.returncode == 0, proc.stderr
    assert "usage: cashier-app" in proc.stdout
    assert not CYRILLIC.findall(proc.stdout), [ln for ln in proc.stdout.splitlines() if CYRILLIC.search(ln)]


# The emulators' own options (``cashier_app/emulators``) are a developer's stand-ins, not the counter's.
SANDBOXES = ("gateway-sandbox", "fiscal-sandbox", "billing-sandbox")


def _parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if name not in SANDBOXES:
                    yield from _parsers(sub, (*path, name))


def test_every_sub_command_help_is_english_once_the_language_is_chosen() -> None:
    """The parser is built after the language is set, so every help text and metavar follows it."""
    set_language("en")
    try:
        parser = build_parser()
        found = list(_parsers(parser))
        russian = {" ".join(path): [ln.strip() for ln in p.format_help().splitlines() if CYRILLIC.search(ln)]
                   for path, p in found}
    finally:
        set_language("ru")
    assert len(found) > 60  # every command and action, not just the top level
    assert {k: v for k, v in russian.items() if v} == {}
    # …and the same parser in Russian is the Russian text (built after the switch back).
    assert "пользователи" in build_parser().format_help()
