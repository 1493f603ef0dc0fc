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
from typing import Any

BEGIN_CHANGES = "koachify_total_changes"  # connection info: the DBAPI connection's total_changes at BEGIN
KEEP = 4096  # own numbers remembered (the watcher looks every second)
MAX = 2**31 - 1  # user_version is a signed 32-bit integer: the numbers wrap to 1


def mark_begin(dbapi_conn: Any, info: dict[str, Any]) -> None:
    """At a write transaction's BEGIN: how many rows this connection had changed until then."""
    info[BEGIN_CHANGES] = dbapi_conn.total_changes


def bump(dbapi_conn: Any, info: dict[str, Any]) -> int | None:
    """Before the commit: the transaction's number, written, when it changed a row (None when it did not: a
    write that changed nothing must not make other processes reload)."""
    if dbapi_conn.total_changes == info.get(BEGIN_CHANGES, dbapi_conn.total_changes):
        return None
    number = int(dbapi_conn.execute("PRAGMA user_version").fetchone()[0]) % MAX + 1
    dbapi_conn.execute(f"PRAGMA user_version = {number}")
    return number


def read(dbapi_conn: Any) -> int:
    return int(dbapi_conn.execute("PRAGMA user_version").fetchone()[0])


class OwnCommits:
    """The numbers this store committed, for the watcher's thread."""

    def __init__(self) -> None:
        self._numbers: set[int] = set()
        self._order: list[int] = []
        self._lock = threading.Lock()

    def add(self, number: int) -> None:
        with self._lock:
            self._numbers.add(number)
            self._order.append(number)
            if len(self._order) > 2 * KEEP:
                for old in self._order[:-KEEP]:
                    self._numbers.discard(old)
                del self._order[:-KEEP]

    def only_own(self, before: int, now: int) -> bool:
        """Every number after `before` up to `now` is one of ours (False when none came: another writer)."""
        if now == before:
            return False
        span = now - before if now > before else now + MAX - before  # wrapped
        if span > KEEP:
            return False
        with self._lock:
            return all(((before + i - 1) % MAX) + 1 in self._numbers for i in range(1, span + 1))
