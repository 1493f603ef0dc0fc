"""The store's core: engines, transactions and event publication after commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from . import changes
from .changes import Cause
from .events import DomainEvent, EventBus
from .models import utcnow

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
    def write(self, origin: str | None = None, *, cause: Cause | None = None) -> Iterator[Tx]:
        """A write transaction. Nested calls join the outer one, so a composite change is atomic; events
        are published after the outermost commit, never on rollback. `cause` (default: derived from the
        origin) is stamped on every change the transaction logs; a nested call keeps the outer one's."""
        outer = self._current_tx()
        if outer is not None:
            yield outer
            return
        session = Session(self._write_engine, expire_on_commit=False)
        origin = origin or self.default_origin
        tx = Tx(session=session, origin=origin, depth=self.bus.depth, cause=cause or Cause.for_origin(origin))
        self._local.tx = tx
        try:
            yield tx
            logged = changes.flush(tx)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            self._local.tx = None
            session.close()
        if logged:
            self._local.last_txn = tx.txn
        for callback in tx.after_commit:
            callback()
        self.bus.publish(tx.events)

    def run_as_one(self, work: Callable[[], R], *, origin: str | None = None, cause: Cause | None = None) -> R:
        """Run `work` (which makes store calls only) as one transaction: an automation rule's actions and its
        run log commit together or not at all. Callers outside store/ use this, never `write()`."""
        with self.write(origin, cause=cause):
            return work()

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

    def close(self) -> None:
        self._write_engine.dispose()
        if self._read_engine is not self._write_engine:
            self._read_engine.dispose()
