"""Several writers on one database: reads never wait, writes wait up to the busy timeout and then fail cleanly."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from koachify_tui.cli import app
from koachify_tui.config import Settings
from koachify_tui.store import Store
from koachify_tui.store.errors import Busy, WriteCancelled
from koachify_tui.store.models import Contact

runner = CliRunner()


@contextmanager
def held_lock(db: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding SQLite's write lock (what a running import does)."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    finally:
        con.execute("ROLLBACK")
        con.close()


def count(store: Store) -> int:
    with store.read() as s:
        return int(s.execute(select(func.count()).select_from(Contact)).one()[0])


def test_open_and_read_behind_a_held_lock(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open(db_path).close()
    # A zero busy timeout: any wait for the lock would fail at once, so success means nothing waited.
    monkeypatch.setenv("KOACHIFY_BUSY_TIMEOUT", "0")
    with held_lock(db_path):
        result = runner.invoke(app, ["contacts", "list", "--db", str(db_path)])
        assert result.exit_code == 0, result.stderr
        store = Store.open(db_path)
        assert count(store) == 0
        store.close()


def test_cli_write_behind_a_held_lock_is_one_line(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open(db_path).close()
    monkeypatch.setenv("KOACHIFY_BUSY_TIMEOUT", "0")
    with held_lock(db_path):
        result = runner.invoke(app, ["contacts", "add", "--first-name", "Anna", "--db", str(db_path)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "busy" in result.stderr and "Traceback" not in result.stderr


def test_nowait_write_and_cancel(db_path: Path) -> None:
    store = Store.open(db_path, busy_timeout=0)
    with held_lock(db_path):
        with pytest.raises(Busy):
            store.run_write(lambda: store.create_contact(first_name="Anna"), wait=False)
        with pytest.raises(Busy):
            store.create_contact(first_name="Anna")  # waits the (zero) busy timeout
    with pytest.raises(WriteCancelled):
        store.run_write(lambda: store.create_contact(first_name="Anna"), cancelled=lambda: True)
    assert count(store) == 0
    assert store.run_write(lambda: store.create_contact(first_name="Anna").first_name, wait=False) == "Anna"
    assert count(store) == 1
    store.close()


def test_announced_writer_is_named_in_busy(db_path: Path) -> None:
    importer, waiter = Store.open(db_path), Store.open(db_path, busy_timeout=0)
    with importer.write() as tx, importer.announce("import of contatti.csv"):
        tx.session.connection()
        assert waiter.current_writer() == "import of contatti.csv"
        with pytest.raises(Busy, match="import of contatti.csv"):
            waiter.create_contact(first_name="Anna")
    assert waiter.current_writer() is None
    importer.close()
    waiter.close()


def test_busy_timeout_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text("busy_timeout = 2.5\n", encoding="utf-8")
    assert Settings.load(config).busy_timeout == 2.5
    store = Store.open(tmp_path / "a.db", busy_timeout=2.5)
    assert store.busy_timeout == 2.5
    store.close()
    monkeypatch.setenv("KOACHIFY_BUSY_TIMEOUT", "7")
    assert Settings.load(config).busy_timeout is None  # the variable wins over the file
    store = Store.open(tmp_path / "a.db")
    assert store.busy_timeout == 7
    store.close()
