"""Commits by other processes and users reach open screens: SQLite data_version polling, PostgreSQL NOTIFY."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import needs_postgres, new_pg_database
from koachify_tui.app import KoachifyApp, make_app
from koachify_tui.config import Settings
from koachify_tui.screens.contact_forms import ContactForm
from koachify_tui.store import Store
from koachify_tui.store.events import ContactCreated, ExternalChange
from koachify_tui.store.watch import notify_payload, parse_payload
from koachify_tui.widgets.contact_table import ContactTable

SIZE = (120, 40)


def names(app: KoachifyApp) -> list[str]:
    table = app.screen.query_one(ContactTable)
    return [table.get_row_at(i)[0].plain for i in range(table.row_count)]


async def eventually(pilot: object, condition: object, attempts: int = 200) -> bool:
    """Let the app run until `condition()` holds (the watcher thread and the 50 ms coalescing need a moment)."""
    for _ in range(attempts):
        if condition():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
        await pilot.pause()  # type: ignore[attr-defined]
    return bool(condition())  # type: ignore[operator]


async def _refresh_reaches_the_app(url: str | Path, settings: Settings) -> None:
    mine, theirs = Store.open(url, origin="tui"), Store.open(url, origin="cli")
    for name in ("Anna", "Bruno", "Carla"):
        mine.create_contact(first_name=name)
    app = make_app(settings, mine)
    app.WATCH_INTERVAL = 0.05
    async with app.run_test(size=SIZE) as pilot:
        assert await eventually(pilot, lambda: len(names(app)) == 3)
        await pilot.press("j")  # select Bruno
        table = app.screen.query_one(ContactTable)
        assert table.current is not None and table.current.first_name == "Bruno"
        theirs.create_contact(first_name="Zeno")  # another process / user
        assert await eventually(pilot, lambda: "Zeno" in " ".join(names(app)))
        assert table.current is not None and table.current.first_name == "Bruno"  # the selection stays
        app.push_screen(ContactForm(None))
        await pilot.pause()
        form = app.screen
        theirs.create_contact(first_name="Dario")
        await asyncio.sleep(0.3)
        await pilot.pause()
        assert app.screen is form  # a refresh never interrupts an open form
    mine.close()
    theirs.close()


async def test_sqlite_commit_by_another_process_refreshes_the_screen(db_path: Path, settings: Settings) -> None:
    await _refresh_reaches_the_app(db_path, settings)


@needs_postgres
async def test_postgres_notify_reaches_an_app_on_another_store(settings: Settings) -> None:
    with new_pg_database() as url:
        await _refresh_reaches_the_app(url, settings)


def test_notify_payload_round_trip() -> None:
    payload = notify_payload([ContactCreated(contact_id=3)], "me")
    assert parse_payload(payload, "me") is None  # the store's own commit: already refreshed by its events
    assert parse_payload(payload, "other") == ExternalChange(origin="external", contact_ids=(3,))
    many = notify_payload([ContactCreated(contact_id=i) for i in range(500)], "me")
    assert '"all": true' in many


@needs_postgres
def test_listener_reconnects_and_asks_for_a_full_refresh() -> None:
    import threading
    import time

    from sqlalchemy import text

    with new_pg_database() as url:
        store = Store.open(url)
        got: list[ExternalChange] = []
        arrived = threading.Event()
        stop = store.watch(lambda change: (got.append(change), arrived.set()), interval=0.05)
        listening = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        with store._read_engine.connect() as conn:
            for _ in range(200):
                pids = conn.execute(text(listening)).scalars().all()
                conn.rollback()  # pg_stat_activity is a snapshot per transaction
                if pids:
                    break
                time.sleep(0.05)
            assert pids
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pids[0]})  # the connection drops
        assert arrived.wait(20) and got[-1].full  # back, and nothing it missed is lost: reload everything
        stop()
        store.close()
