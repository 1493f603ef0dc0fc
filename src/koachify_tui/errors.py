"""What a failure looks like to the user: one line, no personal data, the traceback in a private log file.

Shared by the CLI's error boundary (commands/common.py) and the TUI's (app.py)."""

from __future__ import annotations

import os
import traceback
from datetime import UTC, datetime
from pathlib import Path

from .i18n import _
from .safe_text import visible


def log_dir() -> Path:
    from platformdirs import user_log_dir

    return Path(os.environ.get("KOACHIFY_LOG_DIR") or user_log_dir("koachify", appauthor=False))


def log_exception(exc: BaseException) -> Path | None:
    """Append the traceback to the log file (private: 0600 in a 0700 dir); its path, or None when the log
    cannot be written (a failure to log never hides the error itself)."""
    from .files import PRIVATE_FILE, private_dir

    path = log_dir() / "koachify.log"
    try:
        private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now(UTC).isoformat(timespec='seconds')}\n")
            fh.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def describe(exc: BaseException, log_path: Path | None = None) -> str:
    """One line for `exc`. Database errors show the driver's message only: SQLAlchemy's own text carries the
    statement's parameters (a contact's name and email), which belong in the log, not on the screen."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(exc, DBAPIError):
        message = _("database error: {error}").format(error=_first_line(str(exc.orig)))
    elif isinstance(exc, SQLAlchemyError):
        message = _("database error: {error}").format(error=type(exc).__name__)
    elif isinstance(exc, OverflowError):
        message = _("a number is too large")
    elif isinstance(exc, RecursionError):
        message = _("the input is nested too deeply")
    elif isinstance(exc, MemoryError):
        message = _("out of memory")
    elif isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        message = f"{exc.strerror or type(exc).__name__}{where}"
    elif _is_user_facing(exc):
        message = _first_line(str(exc)) or type(exc).__name__
    else:
        message = _("unexpected {error}").format(error=type(exc).__name__)
        if log_path is not None:
            message += " " + _("(details in {path}; run with --debug for the traceback)").format(path=log_path)
    return visible(message, keep_lines=False)


def _is_user_facing(exc: BaseException) -> bool:
    """Errors whose message was written for the user (store errors, bad values, command errors)."""
    from .commands.common import UserError
    from .store import DatabaseError, StoreError

    return isinstance(exc, UserError | StoreError | DatabaseError | ValueError)
