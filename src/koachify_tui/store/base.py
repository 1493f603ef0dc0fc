"""The store's core: engines, transactions and event publication after commit."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from . import changes, commit_seq, name_rank, writer_note
from .changes import Cause
from .db import BUSY_TIMEOUT, NOWAIT, Checkpointer, is_lock_timeout
from .errors import Busy, Conflict, WriteCancelled
from .events import DomainEvent, EventBus
from .models import utcnow

T = TypeVar("T")
#: How long a write with wait=False may queue behind another transaction's row locks on PostgreSQL.
PG_NOWAIT_LOCK_TIMEOUT = "200ms"

E = TypeVar("E", bound=DomainEvent)
R = TypeVar("R")


@dataclass
class Tx:
    """One write transaction: its session and the events to publish once it commits."""

    session: Session
    origin: str
    depth: int
    events: list[DomainEvent] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    #: What the transaction is done for, stamped on every change it logs (see store/changes.py).
    cause: Cause = field(default_factory=Cause)
    txn: str = field(default_factory=changes.new_txn)
    now: datetime = field(default_factory=utcnow)
    changes: list[dict[str, Any]] = field(default_factory=list)
    #: Tell other PostgreSQL clients "everything may have changed" (a bulk write whose events come later).
    notify_all: bool = False

    def emit(self, event_type: type[E], **fields: Any) -> E:
        event = event_type(origin=self.origin, depth=self.depth, **fields)
        self.events.append(event)
        return event


class StoreBase:
    """Engines, transactions and the event bus. Feature APIs are mixins over this class."""

    url: str
    bus: EventBus
    default_origin: str
    region: str
    _write_engine: Engine
    _read_engine: Engine
    #: Bumped after every committed change to automation rules, so caches of them know when to reload.
    rules_version: int = 0

    def _init_base(self, write_engine: Engine, read_engine: Engine, origin: str, region: str) -> None:
        self._write_engine = write_engine
        self._read_engine = read_engine
        self.bus = EventBus()
        self.default_origin = origin
        self.region = region
        self._local = threading.local()
        self._checkpoints: list[Checkpointer] = []  # background WAL checkpoints, joined by close()
        self._sender = uuid.uuid4().hex[:12]  # tags this store's NOTIFYs: its own app skips them (watch.py)
        self._own_commits = commit_seq.OwnCommits()  # the same on SQLite, by commit number

    @property
    def dialect(self) -> str:
        return self._write_engine.dialect.name

    def subscribe(self, handler: Callable[[E], None], event_type: type[E] | None = None) -> Callable[[], None]:
        """Run `handler` after every committed change that emits `event_type` (all events when None)."""
        return self.bus.subscribe(handler, event_type)

    def last_txn(self) -> str | None:
        """The change-log id of the last committed write of this thread that changed anything: what the
        TUI keeps on its undo stack and hands to `undo_changes`."""
        return getattr(self._local, "last_txn", None)

    def _current_tx(self) -> Tx | None:
        return getattr(self._local, "tx", None)

    @contextmanager
    def write(self, origin: str | None = None, *, cause: Cause | None = None, wait: bool = True) -> Iterator[Tx]:
        """A write transaction. Nested calls join the outer one, so a composite change is atomic; events
        are published after the outermost commit, never on rollback. `cause` (default: derived from the
        origin) is stamped on every change the transaction logs; a nested call keeps the outer one's.

        When another process holds the write lock longer than the busy timeout this raises `Busy` (nothing
        written); with `wait=False` it raises `Busy` at once instead of waiting (the TUI then waits in a
        worker thread, see screens/writes.py)."""
        outer = self._current_tx()
        if outer is not None:
            yield outer
            return
        session = Session(self._write_engine, expire_on_commit=False)
        origin = origin or self.default_origin
        tx = Tx(session=session, origin=origin, depth=self.bus.depth, cause=cause or Cause.for_origin(origin))
        self._local.tx = tx
        try:
            if not wait:
                self._begin_nowait(session)
            yield tx
            logged = changes.flush(tx)
            number = None
            if self.dialect == "sqlite":  # contacts new or renamed get their place in the search index
                session.flush()
                conn = session.connection()
                name_rank.rank_pending(conn)
                number = commit_seq.bump(conn)
            if (tx.events or tx.notify_all) and self.dialect == "postgresql":
                self._notify_others(tx)
            session.commit()
            if number is not None:  # the watcher does not report it as another writer's (commit_seq)
                self._own_commits.add(number)
        except OperationalError as exc:
            session.rollback()
            if not is_lock_timeout(exc):
                raise
            raise self._busy(wait) from exc
        except IntegrityError as exc:  # a uniqueness race lost to another process: a message, not a traceback
            session.rollback()
            detail = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise Conflict(
                f"another process saved a clashing change at the same moment ({detail}); nothing was saved"
            ) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            self._local.tx = None
            session.close()
        if logged:
            self._local.last_txn = tx.txn
        mine = self.last_txn()
        try:
            for callback in tx.after_commit:
                callback()
            self.bus.publish(tx.events)
        finally:
            # Handlers (automations) write in this thread too: `last_txn` stays this write's, so the TUI's
            # `u` undoes what the user did, not the rule's reaction to it.
            self._local.last_txn = mine

    def run_as_one(self, work: Callable[[], R], *, origin: str | None = None, cause: Cause | None = None) -> R:
        """Run `work` (which makes store calls only) as one transaction: an automation rule's actions and its
        run log commit together or not at all. Callers outside store/ use this, never `write()`."""
        with self.write(origin, cause=cause):
            return work()

    def _notify_others(self, tx: Tx) -> None:
        """NOTIFY the other clients' open screens, delivered at commit (store/watch.py listens)."""
        from .watch import CHANNEL, notify_all_payload, notify_payload

        payload = notify_all_payload(self._sender) if tx.notify_all else notify_payload(tx.events, self._sender)
        tx.session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})

    def watch(self, callback: Callable[[Any], None], interval: float = 1.0) -> Callable[[], None]:
        """Call `callback(ExternalChange)` (from a daemon thread) when another process or user commits;
        returns the function that stops watching. See store/watch.py."""
        from .watch import Watcher

        return Watcher(self.url, callback, interval, self._sender, self._own_commits.only_own).start().stop

    def _begin_nowait(self, session: Session) -> None:
        if self.dialect == "sqlite":
            NOWAIT.on = True
            try:
                session.connection()  # BEGIN IMMEDIATE, trying the lock once
            finally:
                NOWAIT.on = False
        else:
            session.execute(text(f"SET LOCAL lock_timeout = '{PG_NOWAIT_LOCK_TIMEOUT}'"))

    def _busy(self, waited: bool) -> Busy:
        timeout = float(getattr(self, "busy_timeout", 0.0)) if waited else 0.0
        who = self.current_writer()
        if who:
            message = f"the database is busy: another process is writing ({who}); nothing was saved"
        else:
            message = "the database is busy: another process is writing; nothing was saved"
        if waited:
            message += f" after waiting {timeout:g} s"
        return Busy(message, waited=timeout)

    def run_write(self, fn: Callable[[], T], *, wait: bool = True, cancelled: Callable[[], bool] | None = None) -> T:
        """`fn()` in one write transaction, the lock taken first. `wait=False`: `Busy` at once when another
        writer holds the lock. `cancelled` is asked once the lock is held: True rolls back with
        `WriteCancelled` (the user gave up while waiting), so a given-up write is never applied later."""
        with self.write(wait=wait) as tx:
            tx.session.connection()  # BEGIN (IMMEDIATE on SQLite): the wait for the lock happens here
            if cancelled is not None and cancelled():
                raise WriteCancelled("gave up waiting for the database; nothing was saved")
            return fn()

    @contextmanager
    def announce(self, what: str) -> Iterator[None]:
        """Tell other processes waiting for the write lock who holds it ("import of contatti.csv"): the
        TUI shows it in its "waiting for the database" line. Use inside a long write."""
        with writer_note.announce(self, what):
            yield

    def current_writer(self) -> str | None:
        """What another process said it is writing (`announce`), if it is still writing; None if unknown."""
        try:
            return writer_note.current(self)
        except Exception:  # noqa: BLE001 - only a label for a message: never worth an error of its own
            return None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (a WAL snapshot on SQLite); inside a write it is the write's own session."""
        outer = self._current_tx()
        if outer is not None:
            yield outer.session
            return
        session = Session(self._read_engine, expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()  # close, not rollback: rollback would expire the objects handed out

    def checkpoint_in_background(self) -> None:
        """SQLite: copy the WAL a bulk write left (see `db.defer_checkpoint`) into the database file in a
        thread, while the caller goes on; `close()` waits for it. Nothing to do elsewhere."""
        database = self._write_engine.url.database
        if self.dialect != "sqlite" or not database or database == ":memory:":
            return
        self._checkpoints = [c for c in self._checkpoints if c.running()]  # a long TUI session imports often
        self._checkpoints.append(Checkpointer(database, float(getattr(self, "busy_timeout", BUSY_TIMEOUT))))

    def close(self) -> None:
        for checkpoint in self._checkpoints:
            checkpoint.join()
        self._checkpoints.clear()
        self._write_engine.dispose()
        if self._read_engine is not self._write_engine:
            self._read_engine.dispose()
