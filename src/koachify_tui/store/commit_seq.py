"""This store's own commits, told apart from other writers' by the SQLite change watcher (store/watch.py).

`PRAGMA data_version` on the watcher's connection changes whenever any other connection commits, this store's
own write connection included: every save came back as an external change, and the active screen reloaded
about a second after each write (134–163 ms on a board of 10k open deals). So every SQLite write transaction
of a store that changed a row also bumps the database's `user_version` (a header field SQLite leaves to the
application; written, and rolled back, with the transaction), and the store remembers the numbers it
committed. The watcher reports a change unless every number since its last look is one of them.

A writer that does not bump the number (the sqlite3 shell, another tool, a migration, an older Koachify)
changes data_version alone: reported. Only such a commit made in the same poll interval as one of this
store's own goes unnoticed until the next change.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

BEGIN_CHANGES = "koachify_total_changes"  # connection info: the DBAPI connection's total_changes at BEGIN
KEEP = 4096  # own numbers remembered (the watcher looks every second)
MAX = 2**31 - 1  # user_version is a signed 32-bit integer: the numbers wrap to 1


def mark_begin(conn: Any) -> None:
    """At a write transaction's BEGIN (`conn`: its SQLAlchemy connection): how many rows this connection had
    changed until then."""
    conn.connection.info[BEGIN_CHANGES] = conn.connection.dbapi_connection.total_changes


def bump(conn: Any) -> int | None:
    """Before the commit: the transaction's number, written, when it changed a row (None when it did not: a
    write that changed nothing must not make other processes reload)."""
    raw, info = conn.connection.dbapi_connection, conn.connection.info
    if raw.total_changes == info.get(BEGIN_CHANGES, raw.total_changes):
        return None
    number = read(raw) % MAX + 1
    raw.execute(f"PRAGMA user_version = {number}")
    return number


def read(dbapi_conn: Any) -> int:
    return int(dbapi_conn.execute("PRAGMA user_version").fetchone()[0])


class OwnCommits:
    """The last KEEP numbers this store committed, for the watcher's thread."""

    def __init__(self) -> None:
        self._numbers: deque[int] = deque(maxlen=KEEP)
        self._lock = threading.Lock()

    def add(self, number: int) -> None:
        with self._lock:
            self._numbers.append(number)

    def only_own(self, before: int, now: int) -> bool:
        """Every number after `before` up to `now` is one of ours (False when none came: another writer)."""
        if now == before:
            return False
        span = now - before if now > before else now + MAX - before  # wrapped
        if span > KEEP:
            return False
        with self._lock:
            numbers = set(self._numbers)
        return all(((before + i - 1) % MAX) + 1 in numbers for i in range(1, span + 1))
