"""Who holds the write lock: a long writer (an import) says what it is doing, so a process waiting for the
lock can tell its user why ("another process is writing — import of contatti.csv").

SQLite: a small JSON file next to the database (`<db>-writer`: pid and label), removed when the write ends and
ignored when its process is gone. PostgreSQL: the transaction's `application_name` ("koachify: <label>", reset
by the commit), read back from `pg_stat_activity`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

PREFIX = "koachify: "


def _note_path(store: Any) -> Path | None:
    if store.dialect != "sqlite":
        return None
    database = make_url(store.url).database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}-writer")


@contextmanager
def announce(store: Any, what: str) -> Iterator[None]:
    path = _note_path(store)
    if path is None:
        if store.dialect == "postgresql":
            with store.write() as tx:
                tx.session.execute(
                    text("SELECT set_config('application_name', :name, true)"), {"name": (PREFIX + what)[:63]}
                )
        yield
        return
    tmp = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps({"pid": os.getpid(), "what": what}), encoding="utf-8")
        tmp.replace(path)
    except OSError:  # a read-only directory: the label is a nicety, the write goes on
        path = None
    try:
        yield
    finally:
        if path is not None:
            with suppress(OSError, ValueError):
                if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
                    path.unlink()


def current(store: Any) -> str | None:
    path = _note_path(store)
    if path is None:
        if store.dialect != "postgresql":
            return None
        with store._read_engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND application_name LIKE :prefix AND xact_start IS NOT NULL"
                    " ORDER BY xact_start LIMIT 1"
                ),
                {"prefix": PREFIX + "%"},
            ).first()
        return str(row[0])[len(PREFIX) :] if row else None
    try:
        note = json.loads(path.read_text(encoding="utf-8"))
        pid = int(note["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # left behind by a process that died
    except PermissionError:
        pass  # alive, another user's
    return str(note.get("what") or "") or None
