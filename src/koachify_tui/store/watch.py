"""Commits made by other processes and users, noticed so open screens can refresh.

- SQLite: `PRAGMA data_version` on a connection of its own changes whenever another connection commits. A
  daemon thread asks once per `interval` (a few microseconds each: idle cost well under 1 % CPU).
- PostgreSQL: every write transaction that emits events sends `NOTIFY koachify_changes` with the changed ids
  (delivered at commit, never on rollback; `notify_payload`), and a daemon thread LISTENs on a connection of
  its own. Notifications are not replayed, so after a lost connection it reconnects and asks for a full
  refresh.

Either way the watcher calls `callback(ExternalChange(...))` from its thread; the app coalesces it with its
own store events (app.py). The store's event bus never sees these: automations react to their own
process's changes only.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.engine import make_url

from . import commit_seq
from .events import DomainEvent, ExternalChange

log = logging.getLogger(__name__)

CHANNEL = "koachify_changes"
MAX_IDS = 200  # more than this in one commit (an import): "refresh everything" (payloads are capped at 8 kB)


def new_sender() -> str:
    """Identifies one store's notifications, so its app does not refresh twice for its own commits."""
    return uuid.uuid4().hex[:12]


Callback = Callable[[ExternalChange], None]


def notify_payload(events: Iterable[DomainEvent], sender: str) -> str:
    """The NOTIFY payload for one transaction's events: {"from", "contacts", "opportunities"} or "all"."""
    contacts: set[int] = set()
    opportunities: set[int] = set()
    for event in events:
        cid = getattr(event, "contact_id", None)
        oid = getattr(event, "opportunity_id", None)
        if isinstance(cid, int):
            contacts.add(cid)
        contacts.update(getattr(event, "merged_ids", ()) or getattr(event, "restored_ids", ()))  # a merge's others
        if isinstance(oid, int):
            opportunities.add(oid)
    if len(contacts) + len(opportunities) > MAX_IDS:
        return notify_all_payload(sender)
    return json.dumps({"from": sender, "contacts": sorted(contacts), "opportunities": sorted(opportunities)})


def notify_all_payload(sender: str) -> str:
    return json.dumps({"from": sender, "all": True})


def parse_payload(payload: str, sender: str) -> ExternalChange | None:
    """The change a notification announces; None for the store's own (`sender`)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return ExternalChange(full=True)
    if data.get("from") == sender:
        return None
    if data.get("all"):
        return ExternalChange(origin="external", full=True)
    return ExternalChange(
        origin="external",
        contact_ids=tuple(data.get("contacts") or ()),
        opportunity_ids=tuple(data.get("opportunities") or ()),
    )


class Watcher:
    """A daemon thread noticing other processes' commits. `stop()` ends it (within one interval)."""

    def __init__(
        self,
        url: str,
        callback: Callback,
        interval: float = 1.0,
        sender: str = "",
        only_own: Callable[[int, int], bool] | None = None,
    ) -> None:
        """`only_own(before, now)`: whether the SQLite commits numbered after `before` up to `now` are all the
        watching store's own (store/commit_seq.py); without it every commit counts as another's."""
        self.url, self.callback, self.interval, self.sender = url, callback, interval, sender
        self.only_own = only_own
        self._stop = threading.Event()
        backend = make_url(url).get_backend_name()
        target = self._poll_sqlite if backend == "sqlite" else self._listen_postgres
        self._thread = threading.Thread(target=target, name="koachify-watch", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    # --- SQLite ---------------------------------------------------------------------------------------

    def _poll_sqlite(self) -> None:
        database = make_url(self.url).database
        if not database or database == ":memory:":
            return  # one process only: nothing else can commit
        try:
            conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, check_same_thread=False)
        except sqlite3.Error:
            return
        try:
            last, number = _data_version(conn), _commit_number(conn)
            while not self._stop.wait(self.interval):
                version = _data_version(conn)
                if version is not None and version != last:
                    last, before, number = version, number, _commit_number(conn)
                    if not self._own(before, number):
                        self.callback(ExternalChange(origin="external", full=True))
        finally:
            conn.close()

    def _own(self, before: int | None, now: int | None) -> bool:
        """The commits since the last look were all the watching store's own (not worth a reload)."""
        return self.only_own is not None and before is not None and now is not None and self.only_own(before, now)

    # --- PostgreSQL -------------------------------------------------------------------------------------

    def _listen_postgres(self) -> None:
        import psycopg

        conninfo = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        connected_before = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if connected_before:  # notifications sent while we were away are lost: reload all
                        self.callback(ExternalChange(origin="external", full=True))
                    connected_before = True
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=self.interval):
                            change = parse_payload(notify.payload, self.sender)
                            if change is not None:
                                self.callback(change)
            except psycopg.Error as exc:
                log.info("change listener lost its connection (%s); reconnecting", exc)
                self._stop.wait(self.interval)


def _commit_number(conn: sqlite3.Connection) -> int | None:
    """The number of the newest commit a store made (commit_seq), None when it cannot be read."""
    try:
        return commit_seq.read(conn)
    except sqlite3.Error:
        return None


def _data_version(conn: sqlite3.Connection) -> Any:
    try:
        return conn.execute("PRAGMA data_version").fetchone()[0]
    except sqlite3.Error:
        return None
