"""Files the office asks for (exports, saved documents): checked before work, written whole or not at all.

A bad ``--csv``/``--xlsx``/``-o`` is refused with a message naming the option
before anything is queried or journaled; a write that fails half-way (a full
disk, a quota, a removed USB stick) leaves no half-written file behind, because
the bytes go to a temp file in the same folder that is moved into place only
when complete.
"""

from __future__ import annotations

import errno
import gc
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from cashier_app.domain.errors import ValidationError

_REASONS = {
    errno.ENOSPC: "нет места на диске",
    errno.EDQUOT: "превышена квота диска",
    errno.EFBIG: "файл слишком большой для этого диска",
    errno.EROFS: "диск только для чтения",
    errno.EACCES: "нет прав на запись",
    errno.EPERM: "нет прав на запись",
    errno.ENAMETOOLONG: "слишком длинное имя файла",
}


def _reason(exc: OSError) -> str:
    return _REASONS.get(exc.errno or 0) or (exc.strerror or type(exc).__name__)


def check_target(path: str | os.PathLike[str], field: str) -> Path:
    """The output path, or a ValidationError naming ``field`` if it cannot be written."""
    raw = os.fspath(path)
    if not raw or not raw.strip():
        raise ValidationError(field, "укажите имя файла")
    if "\x00" in raw:
        raise ValidationError(field, "недопустимое имя файла (нулевой символ)")
    target = Path(raw)
    parent = target.parent
    # os.stat, not Path.exists/is_dir: those hide «name too long» and a loop of links as «absent».
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        if exc.errno != errno.ENOTDIR:
            raise ValidationError(field, f"«{_short(raw)}»: {_reason(exc)}") from exc
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise ValidationError(field, f"«{_short(raw)}» — папка, нужен файл")
    if mode is not None and not stat.S_ISREG(mode):
        # A device or a pipe cannot be replaced atomically (and /dev/full must not be).
        raise ValidationError(field, f"«{_short(raw)}» — не обычный файл")
    try:
        parent_mode: int | None = os.stat(parent).st_mode
    except OSError:
        parent_mode = None
    if parent_mode is None or not stat.S_ISDIR(parent_mode):
        raise ValidationError(field, f"папки «{_short(str(parent))}» нет")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValidationError(field, f"в папку «{_short(str(parent))}» нельзя писать")
    if len(target.name.encode("utf-8", "surrogateescape")) > 240:
        # The temp file's name adds a few characters to this one.
        raise ValidationError(field, "слишком длинное имя файла")
    return target


def _short(text: str, limit: int = 120) -> str:
    """A path inside a one-line message: the end is what tells files apart."""
    text = " ".join(text.split())
    return text if len(text) <= limit else "…" + text[-limit:]


def write_atomic(path: str | os.PathLike[str], data: bytes, field: str) -> None:
    """Write ``data`` to ``path`` whole or not at all; an OS failure becomes one clear line."""
    target = check_target(path, field)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise ValidationError(field, f"не удалось записать «{_short(os.fspath(path))}»: {_reason(exc)}") from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def write_failed(path: str | os.PathLike[str], field: str, exc: OSError) -> ValidationError:
    """The one line for a write that failed half-way (the caller has removed what it wrote)."""
    return ValidationError(field, f"не удалось записать «{_short(os.fspath(path))}»: {_reason(exc)}")


def build_bytes(make: Callable[[], bytes], path: str | os.PathLike[str], field: str) -> bytes:
    """Run a builder that writes temp files of its own (openpyxl does, one per sheet).

    A full disk fails it half-way; the failure becomes the same one line as a
    failed write.  Its half-closed generators then complain while being
    collected ("Exception ignored in …", a traceback on stderr), which says
    nothing the message does not, so that noise is swallowed while they are
    collected here.
    """
    problem: str | None = None
    hook = sys.unraisablehook
    sys.unraisablehook = lambda _unraisable: None
    try:
        try:
            return make()
        except OSError as exc:
            problem = _reason(exc)
        gc.collect()
    finally:
        sys.unraisablehook = hook
    raise ValidationError(field, f"не удалось записать «{_short(os.fspath(path))}»: {problem}")
