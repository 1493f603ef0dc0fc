"""Several writers on one database: reads never wait, writes wait up to the busy timeout and then fail cleanly."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from conftest import needs_postgres, new_pg_database
from koachify_tui.cli import app
from koachify_tui.config import Settings
from koachify_tui.store import Store
from koachify_tui.store.errors import Busy, EditConflict, WriteCancelled
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


# --- optimistic concurrency: two editors of one record ---------------------------------------------------


def _two_editors(url: str | Path) -> None:
    a, b = Store.open(url, origin="tui"), Store.open(url, origin="cli")
    c = a.create_contact(first_name="Mario", company="Acme", phone="+39 333 123 4567")
    loaded = a.get_contact(c.id or 0)  # A opens the edit form at this version
    b.update_contact(c.id or 0, company="Beta", phone="+39 347 000 1111")  # B, from the CLI
    # A appended to the first name: a different field, so B's company and phone stay.
    merged = a.update_contact(c.id or 0, {"first_name": "Mario Jr"}, expected_version=loaded.version)
    assert (merged.first_name, merged.company, merged.phone) == ("Mario Jr", "Beta", "+39 347 000 1111")
    assert merged.version == loaded.version + 2
    # A, still on the old version, now changes the company B changed: a conflict naming it, nothing written.
    with pytest.raises(EditConflict) as caught:
        a.update_contact(c.id or 0, {"company": "Gamma", "owner": "Lia"}, expected_version=loaded.version)
    assert (caught.value.field, caught.value.mine, caught.value.theirs) == ("company", "Gamma", "Beta")
    assert (b.get_contact(c.id or 0).company, b.get_contact(c.id or 0).owner) == ("Beta", "")
    # The same value as theirs is no conflict; on the current version anything goes.
    a.update_contact(c.id or 0, {"company": "Beta"}, expected_version=loaded.version)
    a.update_contact(c.id or 0, {"company": "Gamma"}, expected_version=a.get_contact(c.id or 0).version)
    opp = a.create_opportunity(c.id or 0, "Percorso", a.list_pipelines()[0].id)
    b.update_opportunity(opp.id or 0, title="Percorso 10")
    a.update_opportunity(opp.id or 0, owner="Lia", expected_version=opp.version)  # merged
    with pytest.raises(EditConflict, match="title"):
        a.update_opportunity(opp.id or 0, title="Percorso 5", expected_version=opp.version)
    a.close()
    b.close()


def test_two_editors_merge_or_conflict_sqlite(db_path: Path) -> None:
    _two_editors(db_path)


@needs_postgres
def test_two_editors_merge_or_conflict_postgres() -> None:
    with new_pg_database() as url:
        _two_editors(url)


def test_cli_edit_with_if_version_conflict_is_one_line(db_path: Path) -> None:
    store = Store.open(db_path)
    c = store.create_contact(first_name="Mario", company="Acme")
    store.update_contact(c.id or 0, company="Beta")
    store.close()
    args = ["contacts", "edit", str(c.id), "--company", "Gamma", "--if-version", str(c.version), "--db", str(db_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "company" in result.stderr and "Traceback" not in result.stderr
    other_field = ["contacts", "edit", str(c.id), "--first-name", "Luigi", *args[5:]]
    result = runner.invoke(app, other_field)  # a field nobody changed since: merged
    assert result.exit_code == 0, result.stderr


def test_import_update_bumps_the_version(db_path: Path, tmp_path: Path) -> None:
    from koachify_tui.store.importer import ImportOptions, run_import

    store = Store.open(db_path)
    c = store.create_contact(first_name="Mario", email="mario@example.it")
    path = tmp_path / "x.csv"
    path.write_text("First Name,Email,Company\nMario,mario@example.it,Acme\n", encoding="utf-8")
    run_import(store, path, ImportOptions(on_duplicate="update"))
    assert store.get_contact(c.id or 0).company == "Acme"
    with pytest.raises(EditConflict):
        store.update_contact(c.id or 0, company="Mine", expected_version=c.version)
    store.close()
