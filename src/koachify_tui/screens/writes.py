"""Screen writes that never block the UI thread on the database lock.

`run_store_write(fn, done=…, failed=…)` first tries the write at once without waiting (`Store.run_write(wait=
False)`): with the lock free, the common case, it runs in the same frame as the key press, so a board move or a
form save is as immediate as before. When another process holds the lock (an import, a CLI loop, another user on
PostgreSQL) the write goes to a thread worker that waits up to the busy timeout, while a line under the screen
(or in the form) says "waiting for the database — another process is writing (import of contatti.csv)" and
`escape` gives up. A timeout or any store/database error is a message: the form stays open with everything typed
(`ctrl+s` tries again), and the app never ends because of the database.

A write given up is never applied later: the worker checks the flag once it holds the lock and rolls back.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from ..i18n import _
from ..store.errors import Busy, StoreError, WriteCancelled, database_errors
from ..store.normalize import InvalidValue

if TYPE_CHECKING:
    from ..store import Store

#: What a failed write may raise short of a bug: shown as a message, never a crash.
DATABASE_ERRORS = database_errors()
WRITE_ERRORS: tuple[type[Exception], ...] = (StoreError, InvalidValue, ValueError, *DATABASE_ERRORS)


class WriteStatus(Static):
    """One line saying that a write waits for the database, and why; hidden when nothing waits."""

    DEFAULT_CSS = """
    WriteStatus { height: auto; background: $warning-muted; color: $text-warning; padding: 0 1; display: none; }
    Screen > WriteStatus { dock: bottom; }
    """


@dataclass(eq=False)
class PendingWrite:
    """A write waiting for the lock in a worker thread."""

    fn: Callable[[], Any]
    done: Callable[[Any], object]
    failed: Callable[[Exception], None]
    gave_up: Callable[[], None]
    cancelled: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Deferred:
    """What a form's `save()` returns once its fields are valid: `write()` makes the store calls (run by
    `run_store_write`, maybe in a worker) and returns what the form is dismissed with."""

    write: Callable[[], Any]


def waiting_text(writer: str | None) -> str:
    if writer:
        return _("Waiting for the database — another process is writing ({writer}) · escape gives up").format(
            writer=writer
        )
    return _("Waiting for the database — another process is writing · escape gives up")


def error_text(exc: Exception) -> str:
    if isinstance(exc, Busy):
        return _("{error}. Try again when it is free.").format(error=str(exc).capitalize())
    if isinstance(exc, DATABASE_ERRORS):
        orig = getattr(exc, "orig", None) or exc
        return _("The database reported an error; nothing was saved: {error}").format(error=str(orig).split("\n")[0])
    return str(exc)


class ScreenWrites:
    """Mixin for screens and forms (before the Screen class, beside AppAccess or a `store` attribute): every
    store write from a key goes through `run_store_write`."""

    _pending_write: PendingWrite | None = None
    #: The change-log id of the write whose `done` callback is running (None if it changed nothing): what
    #: `u` hands to `store.undo_changes`. `Store.last_txn()` is per thread and set only after the commit, so
    #: it is taken here, in the thread that ran the write, and handed to the UI thread with the result.
    written_txn: str | None = None

    @property
    def _app(self) -> Any:
        return cast(Any, self).app

    @property
    def _store(self) -> Store:
        return cast(Any, self).store  # type: ignore[no-any-return]

    @property
    def write_pending(self) -> bool:
        """True while a write waits for the lock (`escape` then gives up, see KoachifyApp)."""
        return self._pending_write is not None

    def write_status_parent(self) -> Widget:
        """Where the "waiting" line goes: the screen itself (docked above the footer); forms override it."""
        return self  # type: ignore[return-value]

    def run_store_write(
        self,
        fn: Callable[[], Any],
        *,
        done: Callable[[Any], object] | None = None,
        failed: Callable[[Exception], None] | None = None,
        gave_up: Callable[[], None] | None = None,
        skip: tuple[type[Exception], ...] = (),
    ) -> None:
        """Run `fn` (store calls) in one write transaction; `done(result)` after it committed, `failed(error)`
        (default: an error notification) if it could not be saved. Errors of a `skip` type (e.g. NotFound:
        deleted meanwhile) count as done, with result None."""
        on_done = done or (lambda _result: None)
        notify = failed or self._notify_failure

        def on_failed(exc: Exception) -> None:
            if skip and isinstance(exc, skip):
                on_done(None)
            else:
                notify(exc)

        if self._pending_write is not None:
            on_failed(StoreError(_("still waiting for the database to save the previous change")))
            return
        try:
            result, txn = self._write_logged(fn, wait=False)
        except Busy:
            self._wait_for_lock(PendingWrite(fn, on_done, on_failed, gave_up or self._notify_gave_up))
            return
        except WRITE_ERRORS as exc:
            on_failed(exc)
            return
        self._done_with(on_done, result, txn)

    def _write_logged(
        self, fn: Callable[[], Any], *, wait: bool = True, cancelled: Callable[[], bool] | None = None
    ) -> tuple[Any, str | None]:
        """`run_write(fn)` and the change-log id it committed (None when it logged nothing), in this thread."""
        before = self._store.last_txn()
        result = self._store.run_write(fn, wait=wait, cancelled=cancelled)
        after = self._store.last_txn()
        return result, (after if after != before else None)

    def _done_with(self, done: Callable[[Any], object], result: Any, txn: str | None) -> None:
        self.written_txn = txn
        try:
            done(result)
        finally:
            self.written_txn = None

    async def store_write(self, fn: Callable[[], Any]) -> Any:
        """`run_store_write` for async handlers (workers awaiting dialogs): returns `fn()`'s result or raises
        its error, `Busy` after the busy timeout, `WriteCancelled` when the user gave up waiting."""
        if self._pending_write is not None:
            raise StoreError(_("still waiting for the database to save the previous change"))
        try:
            return self._store.run_write(fn, wait=False)
        except Busy:
            pass
        loop = asyncio.get_running_loop()
        gave_up: asyncio.Future[None] = loop.create_future()

        def give_up() -> None:
            if not gave_up.done():
                gave_up.set_result(None)

        pending = PendingWrite(fn, lambda _r: None, lambda _e: None, give_up)
        self._pending_write = pending
        self._show_status(waiting_text(None))
        cast(Any, self).run_worker(partial(self._label_in_thread, pending), thread=True, exit_on_error=False)
        job = loop.run_in_executor(None, partial(self._store.run_write, fn, cancelled=pending.cancelled.is_set))
        job.add_done_callback(lambda f: f.cancelled() or f.exception())  # a given-up job's error is expected
        try:
            finished, _waiting = await asyncio.wait({job, gave_up}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if self._pending_write is pending:
                self._pending_write = None
                self._show_status(None)
        if job in finished:
            return job.result()
        raise WriteCancelled(_("gave up waiting for the database; nothing was saved"))

    def give_up_write(self) -> None:
        """Stop waiting: the worker rolls back if it ever gets the lock; the form keeps what was typed."""
        pending = self._pending_write
        if pending is None:
            return
        pending.cancelled.set()
        self._pending_write = None
        self._show_status(None)
        pending.gave_up()

    # --- waiting in a worker --------------------------------------------------------------------------

    def _wait_for_lock(self, pending: PendingWrite) -> None:
        self._pending_write = pending
        self._show_status(waiting_text(None))
        screen: Any = self
        for job, group in ((self._write_in_thread, "store-write"), (self._label_in_thread, "store-writer")):
            screen.run_worker(partial(job, pending), thread=True, group=group, exit_on_error=False)

    def _write_in_thread(self, pending: PendingWrite) -> None:
        result: Any = None
        txn: str | None = None
        error: Exception | None = None
        try:
            result, txn = self._write_logged(pending.fn, cancelled=pending.cancelled.is_set)
        except WriteCancelled:
            return
        except Exception as exc:  # noqa: BLE001 - handed to the UI thread, which shows it
            error = exc
        self._to_ui(self._write_finished, pending, result, error, txn)

    def _label_in_thread(self, pending: PendingWrite) -> None:
        writer = self._store.current_writer()
        if writer:
            self._to_ui(self._label_found, pending, writer)

    def _to_ui(self, callback: Callable[..., None], *args: Any) -> None:
        with suppress(RuntimeError):  # the app has closed meanwhile: nothing left to tell
            self._app.call_from_thread(callback, *args)

    def _label_found(self, pending: PendingWrite, writer: str) -> None:
        if self._pending_write is pending:
            self._show_status(waiting_text(writer))

    def _write_finished(
        self, pending: PendingWrite, result: Any, error: Exception | None, txn: str | None = None
    ) -> None:
        current = self._pending_write is pending
        if current:
            self._pending_write = None
            self._show_status(None)
        if error is None:
            if not current:  # given up a moment too late: it was saved all the same
                self._app.notify(_("Saved after all: the database became free as you gave up"))
            self._done_with(pending.done, result, txn)
        elif current:
            pending.failed(error if isinstance(error, WRITE_ERRORS) else StoreError(str(error)))

    # --- messages -----------------------------------------------------------------------------------

    def _show_status(self, text: str | None) -> None:
        parent = self.write_status_parent()
        found = parent.query(WriteStatus)
        if text is None:
            for status in found:
                status.display = False
            return
        if found:
            status = found.first()
        else:
            status = WriteStatus(markup=False)
            parent.mount(status)
        status.update(Content(text))
        status.display = True

    def _notify_failure(self, exc: Exception) -> None:
        self._app.notify(error_text(exc), severity="error", markup=False)

    def _notify_gave_up(self) -> None:
        self._app.notify(_("Gave up waiting for the database; nothing was saved"), severity="warning")
