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
from cashier_app.i18n import N_, tr

_REASONS = {
    errno.ENOSPC: N_("нет места на диске"),
    errno.EDQUOT: N_("превышена квота диска"),
    errno.EFBIG: N_("файл слишком большой для этого диска"),
    errno.EROFS: N_("диск только для чтения"),
    errno.EACCES: N_("нет прав на запись"),
    errno.EPERM: N_("нет прав на запись"),
    errno.ENAMETOOLONG: N_("слишком длинное имя файла"),
}


def _reason(exc: OSError) -> str:
    known = _REASONS.get(exc.errno or 0)
    return tr(known) if known else (exc.strerror or type(exc).__name__)


def check_target(path: str | os.PathLike[str], field: str) -> Path:
    """The output path, or a ValidationError naming ``field`` if it cannot be written."""
    raw = os.fspath(path)
    if not raw or not raw.strip():
        raise ValidationError(field, tr("укажите имя файла"))
    if "\x00" in raw:
        raise ValidationError(field, tr("недопустимое имя файла (нулевой символ)"))
    target = Path(raw)
    parent = target.parent
    # os.stat, not Path.exists/is_dir: those hide «name too long» and a loop of links as «absent».
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        if exc.errno != errno.ENOTDIR:
            raise ValidationError(field, tr("«{path}»: {reason}", path=_short(raw), reason=_reason(exc))) from exc
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise ValidationError(field, tr("«{path}» — папка, нужен файл", path=_short(raw)))
    if mode is not None and not stat.S_ISREG(mode):
        # A device or a pipe cannot be replaced atomically (and /dev/full must not be).
        raise ValidationError(field, tr("«{path}» — не обычный файл", path=_short(raw)))
    try:
        parent_mode: int | None = os.stat(parent).st_mode
    except OSError:
        parent_mode = None
    if parent_mode is None or not stat.S_ISDIR(parent_mode):
        raise ValidationError(field, tr("папки «{path}» нет", path=_short(str(parent))))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValidationError(field, tr("в папку «{path}» нельзя писать", path=_short(str(parent))))
    if len(target.name.encode("utf-8", "surrogateescape")) > 240:
        # The temp file's name adds a few characters to this one.
        raise ValidationError(field, tr("слишком длинное имя файла"))
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
        raise ValidationError(field, _failed(path, _reason(exc))) from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def write_failed(path: str | os.PathLike[str], field: str, exc: OSError) -> ValidationError:
    """The one line for a write that failed half-way (the caller has removed what it wrote)."""
    return ValidationError(field, _failed(path, _reason(exc)))


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
    raise ValidationError(field, _failed(path, problem or ""))


def _failed(path: str | os.PathLike[str], reason: str) -> str:
    return tr("не удалось записать «{path}»: {reason}", path=_short(os.fspath(path)), reason=reason)
