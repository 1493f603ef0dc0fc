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


def _watch(store: Store) -> tuple[list[ExternalChange], object]:
    seen: list[ExternalChange] = []
    return seen, store.watch(seen.append, 0.02)


def _settle(seconds: float = 0.2) -> None:
    import time

    time.sleep(seconds)


def test_sqlite_own_commits_are_not_reported_as_another_writers(db_path: Path) -> None:
    """data_version also changes on the watching store's own commits: numbered commits tell them apart."""
    import sqlite3

    mine, theirs = Store.open(db_path, origin="tui"), Store.open(db_path, origin="cli")
    seen, stop = _watch(mine)
    try:
        _settle()
        for name in ("Anna", "Bruno", "Carla"):
            mine.create_contact(first_name=name)
        _settle()
        assert seen == []  # its own saves: no reload
        theirs.create_contact(first_name="Zeno")  # another store (process) numbers its commit too
        _settle()
        assert len(seen) == 1 and seen[0].full
        raw = sqlite3.connect(db_path)  # a writer that numbers nothing (the sqlite3 shell, another tool)
        with raw:
            raw.execute("UPDATE contact SET last_name = 'Rossi' WHERE first_name = 'Anna'")
        raw.close()
        _settle()
        assert len(seen) == 2
    finally:
        stop()  # type: ignore[operator]
        mine.close()
        theirs.close()


def test_a_write_that_changes_nothing_is_not_numbered(db_path: Path) -> None:
    """Only a commit that changed a row is numbered: a no-op write must not make other processes reload, and a
    rolled-back one leaves the number as it was."""
    import sqlite3

    import pytest

    def number() -> int:
        conn = sqlite3.connect(db_path)
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()

    store = Store.open(db_path, origin="tui")
    store.create_contact(first_name="Anna")
    first = number()
    assert first > 0
    with store.write() as tx:
        tx.session.connection()  # BEGIN IMMEDIATE, then nothing
    store.run_write(lambda: None)
    assert number() == first
    with pytest.raises(RuntimeError), store.write() as tx:
        store.create_contact(first_name="Bruno")
        raise RuntimeError("rolled back")
    assert number() == first
    store.create_contact(first_name="Carla")
    assert number() == first + 1
    store.close()


def test_own_commit_numbers_across_the_wrap() -> None:
    from koachify_tui.store.commit_seq import MAX, OwnCommits

    own = OwnCommits()
    for n in (5, 6, 7):
        own.add(n)
    assert own.only_own(4, 7) and own.only_own(5, 6)
    assert not own.only_own(3, 7)  # 4 is another writer's
    assert not own.only_own(7, 7)  # data_version moved, the number did not: a writer that numbers nothing
    own.add(MAX)
    own.add(1)
    assert own.only_own(MAX - 1, 1)  # MAX, then 1
    assert not own.only_own(MAX - 2, 1)
