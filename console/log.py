"""The console's log: a rotating file in the shop folder, never the screen.

    path = setup(home.root)        # <home>/logs/console.log (or a per-user temp folder)
    log = logging.getLogger("console.app")
    log_cause(log, exc, "保存没有成功")  # a StoreError's original exception, with its traceback

What goes in: start and stop, migrations, imports, every database error shown to an agent
with the exception it came from, and every unexpected exception with its traceback: what a
shop sends when something goes wrong. Standard library only; no Textual here.
"""

from __future__ import annotations

import logging
import re
import tempfile
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_DIR = "logs"
LOG_FILE = "console.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"
ROOT = "console"

_root = logging.getLogger(ROOT)
# A logger with no handler anywhere above it falls back to logging.lastResort, which prints
# WARNING and above on stderr, straight over the console's screen. Never without one.
_root.addHandler(logging.NullHandler())


class _QuietRotatingFileHandler(RotatingFileHandler):
    """A rotating UTF-8 file that never prints a failure of its own (a full disk, a rollover
    another console's open file prevents on Windows) to the terminal: the record is dropped."""

    _console_log = True

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        pass

    def doRollover(self) -> None:  # noqa: N802 - logging's name
        """Rotate; when the files cannot be renamed (on Windows while another console sharing
        the shop folder has the log open) go on appending to the same file and try again at
        the next record, rather than lose every record from here on."""
        try:
            super().doRollover()
        except OSError:
            if self.stream is None:
                self.stream = self._open()


def default_path(home_root: Path) -> Path:
    """Where the log of the shop folder `home_root` is."""
    return Path(home_root) / LOG_DIR / LOG_FILE


def fallback_dir() -> Path:
    """A per-user temp folder, for when the shop folder cannot hold the log."""
    try:
        import getpass

        user = re.sub(r"[^\w.-]", "_", getpass.getuser()) or "user"
    except Exception:  # noqa: BLE001 - getuser raises different things on different systems
        user = "user"
    return Path(tempfile.gettempdir()) / f"aftersales-{user}" / LOG_DIR


def log_path() -> Path | None:
    """The file the console logs to now; None when no file could be opened (or no setup yet)."""
    handler = _our_handler()
    return Path(handler.baseFilename) if handler is not None else None


def setup(home_root: Path | None) -> Path | None:
    """Log to `<home_root>/logs/console.log` (the folder created as needed), else to a
    per-user temp folder; returns the file, or None if neither can be written (the console
    then runs without a log rather than not at all). Calling it again for the same file
    changes nothing; for another file it moves the log there."""
    candidates: list[Path] = []
    if home_root is not None and Path(home_root).is_dir():
        # The shop folder itself is made by `init` or the first start, not by logging.
        candidates.append(default_path(home_root))
    candidates.append(fallback_dir() / LOG_FILE)
    current = _our_handler()
    for path in candidates:
        if current is not None and Path(current.baseFilename) == path.absolute():
            return path.absolute()
        handler = _open(path)
        if handler is None:
            continue
        if current is not None:
            _root.removeHandler(current)
            current.close()
        _root.addHandler(handler)
        if _root.level == logging.NOTSET or _root.level > logging.INFO:
            _root.setLevel(logging.INFO)
        return Path(handler.baseFilename)
    return None


def close() -> None:
    """Stop logging to the file (tests; a process ends without it)."""
    handler = _our_handler()
    if handler is not None:
        _root.removeHandler(handler)
        handler.close()


def _open(path: Path) -> logging.Handler | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _QuietRotatingFileHandler(path.absolute(), maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                            encoding="utf-8")
    except (OSError, ValueError):
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(logging.INFO)
    return handler


def _our_handler() -> RotatingFileHandler | None:
    for handler in _root.handlers:
        if getattr(handler, "_console_log", False):
            return handler  # type: ignore[return-value]
    return None


def exc_info(exc: BaseException) -> tuple[type[BaseException], BaseException, object]:
    return (type(exc), exc, exc.__traceback__)


def log_cause(logger: logging.Logger, exc: BaseException, doing: str) -> bool:
    """A StoreError about to be shown to an agent: write the original exception (`.cause`)
    with its traceback, unless it was written where it happened (`.logged`) or there is none
    (a refusal such as an empty note, whose message says it all). True if written here."""
    cause = getattr(exc, "cause", None)
    if cause is None or getattr(exc, "logged", False):
        return False
    logger.error("%s: %s", doing, getattr(exc, "message", str(exc)), exc_info=exc_info(cause))
    return True
