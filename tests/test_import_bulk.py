"""The bulk paths of the importer (SQLite): derived columns, history and undo rows as the store makes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from import_bulk_checks import check_store, write_file
from koachify_tui.store import ContactQuery, Store
from koachify_tui.store.events import ContactCreated, DomainEvent
from koachify_tui.store.importer import ImportOptions, list_batches, run_import, undo_batch


def schema(store: Store) -> set[tuple[str, str]]:
    with store.read() as s:
        rows = s.connection().exec_driver_sql("SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger')")
        return {(kind, name) for kind, name in rows}


def test_bulk_import_matches_the_store(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "gen.csv"
    distinct = write_file(path, 600)
    seen: list[DomainEvent] = []
    store.subscribe(seen.append, ContactCreated)
    before = schema(store)
    result = run_import(store, path, ImportOptions(chunk_size=97))  # duplicates across chunk boundaries
    assert schema(store) == before  # the indexes built at the end and the FTS triggers are all back
    assert result.counts.created == distinct and result.counts.rejected == 0
    assert result.counts.merged + result.counts.unchanged == 600 - distinct
    assert len(seen) == distinct
    assert {"parse", "apply", "write", "index", "commit", "events"} <= set(result.timings)
    check_store(store, result.batch_id or 0, distinct)
    assert store.count_contacts(ContactQuery(search="straße")) >= 1  # the FTS index got the new rows
    again = run_import(store, path, ImportOptions(chunk_size=250))
    assert again.counts.created == 0 and again.counts.merged == 0
    assert undo_batch(store, result.batch_id or 0).removed == distinct
    assert store.count_contacts() == 0


def test_an_exception_from_progress_rolls_everything_back(store: Store, tmp_path: Path) -> None:
    """The TUI cancels a running import by raising from its progress callback: nothing may be left."""
    path = tmp_path / "gen.csv"
    write_file(path, 300)
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    before = schema(store)
    with pytest.raises(KeyboardInterrupt):
        run_import(store, path, ImportOptions(chunk_size=50), progress=progress)
    assert store.count_contacts() == 0 and list_batches(store) == []
    assert schema(store) == before
    result = run_import(store, path)  # the FTS triggers are back: a later import and search still work
    assert store.count_contacts(ContactQuery(search="straße")) >= 1
    created = store.create_contact(first_name="Trigger", last_name="Check")
    assert created.id is not None and store.count_contacts(ContactQuery(search="trigger")) == 1
    assert result.counts.created > 0


@pytest.mark.parametrize("others", [5, 400])
def test_undo_keeps_the_search_index_and_schema_right(store: Store, tmp_path: Path, others: int) -> None:
    """An undo that removes most contacts drops the search triggers and some indexes and rebuilds them from
    the contacts left; one that removes a few deletes row by row. Either way search finds exactly the rest."""
    for i in range(others):
        store.create_contact(first_name="Rimane", last_name=f"Qui{i}", email=f"keep{i}@example.org")
    path = tmp_path / "gen.csv"
    write_file(path, 300)
    before = schema(store)
    result = run_import(store, path)
    assert undo_batch(store, result.batch_id or 0).removed == result.counts.created
    assert schema(store) == before
    assert store.count_contacts() == others
    assert store.count_contacts(ContactQuery(search="rimane")) == others
    assert store.count_contacts(ContactQuery(search="example.com")) == 0  # the imported ones are gone
    with store.read() as s:
        conn = s.connection()
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        conn.exec_driver_sql("INSERT INTO contact_fts(contact_fts, rank) VALUES('integrity-check', 1)")
    created = store.create_contact(first_name="Dopo", last_name="Undo")  # the triggers are back
    assert created.id is not None and store.count_contacts(ContactQuery(search="dopo")) == 1
    # It took the id of an imported contact: a stale index entry for that id would match it here.
    assert created.id > min(store.find_contacts_by_email("keep0@example.org"), default=0)
    assert store.count_contacts(ContactQuery(search="example.com")) == 0
    assert store.count_contacts(ContactQuery(search="use")) == 0  # 3 letters: answered by the index alone


def _autocheckpoint(store: Store, value: int | None = None) -> int:
    with store.write() as tx:
        conn = tx.session.connection()
        if value is not None:
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={value}")
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() or 0)


def test_the_wal_checkpoint_runs_after_the_commit_off_the_import_path(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit of an import skips SQLite's automatic checkpoint (as long again as the commit at 100k rows)
    and a thread runs it afterwards: the connection gets its setting back, and the file holds every row
    once the store is closed."""
    import sqlite3

    database = Path(str(store.url).removeprefix("sqlite:///"))
    path = tmp_path / "gen.csv"
    distinct = write_file(path, 300)
    assert _autocheckpoint(store, 10) == 10  # any commit of more than 10 pages would copy the WAL back
    started: list[bool] = []
    real = store.checkpoint_in_background
    monkeypatch.setattr(store, "checkpoint_in_background", lambda: started.append(True))
    result = run_import(store, path)
    assert result.counts.created == distinct and started == [True]
    wal = Path(f"{database}-wal")
    assert wal.stat().st_size > 2 * database.stat().st_size  # the rows are still in the WAL only
    assert _autocheckpoint(store) == 10  # restored when the connection went back to the pool
    real()
    store.close()  # waits for the checkpoint thread
    assert database.stat().st_size > wal.stat().st_size if wal.exists() else True
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM contact").fetchone() == (distinct,)
