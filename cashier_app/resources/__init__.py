"""Package resources: fonts, icons, translations and demo data files."""

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent
FONTS = RESOURCES / "fonts"
