"""Store events from other threads (a worker, the `koachify-watch` thread) reach the active screen without the
thread waiting for the app's loop, and once the app is closing they are dropped without an error in the thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from textual.screen import Screen

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.messages import StoreChanged
from koachify_tui.store import Store
from koachify_tui.store.events import ContactCreated, DomainEvent, ExternalChange

SIZE = (80, 24)


class Recorder(Screen[None]):
    """Keeps every StoreChanged it is sent."""

    def __init__(self) -> None:
        super().__init__()
        self.got: list[StoreChanged] = []

    def on_store_changed(self, message: StoreChanged) -> None:
        self.got.append(message)


def from_thread(call: Callable[[DomainEvent], None], event: DomainEvent) -> list[BaseException]:
    """Run `call(event)` in a thread of its own and wait for it; what it raised. The caller's loop does not
    run meanwhile: a hand-off that waited for it would never end (the join gives up after 10 s)."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call(event)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            raised.append(exc)

    thread = threading.Thread(target=run, name="koachify-watch")
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "the thread waited for the app's loop"
    return raised


@pytest.mark.parametrize("via", ["watcher", "worker"])
async def test_an_event_from_another_thread_reaches_the_screen_without_waiting(
    store: Store, settings: Settings, via: str
) -> None:
    app = make_app(settings, store)
    app.WATCH_INTERVAL = 0  # the events here are the test's
    async with app.run_test(size=SIZE) as pilot:
        recorder = Recorder()
        await app.push_screen(recorder)
        await pilot.pause()
        recorder.got.clear()
        call = app._on_external_change if via == "watcher" else app._on_store_event
        event: DomainEvent = ExternalChange(origin="external", full=True)
        if via == "worker":
            event = ContactCreated(contact_id=7)
        assert from_thread(call, event) == []
        for _ in range(100):  # the 50 ms coalescing timer
            if recorder.got:
                break
            await asyncio.sleep(0.02)
            await pilot.pause()
        assert [m.events for m in recorder.got] == [(event,)]  # arrived before exit: not lost


async def test_after_exit_an_event_from_another_thread_is_dropped_without_an_error(
    store: Store, settings: Settings
) -> None:
    app = make_app(settings, store)
    app.WATCH_INTERVAL = 0
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    for call in (app._on_external_change, app._on_store_event):
        assert from_thread(call, ContactCreated(contact_id=8)) == []
