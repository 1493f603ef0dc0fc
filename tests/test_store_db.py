"""Database: URLs, pragmas, migrations, concurrent writers, bad files."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from conftest import needs_postgres, new_pg_database
from koachify_tui.store import ContactQuery, DatabaseError, Store, resolve_url
from koachify_tui.store.db import SCHEMA_HEAD, current_revision, make_engines, upgrade


def test_resolve_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert resolve_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    assert resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("KOACHIFY_DB", str(tmp_path / "env.db"))
    assert resolve_url(None).endswith("env.db")
    monkeypatch.delenv("KOACHIFY_DB")
    assert resolve_url(None).endswith("koachify.db")


def test_sqlite_pragmas(store: Store) -> None:
    with store._write_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 30_000


def test_new_database_at_head_with_search_index(store: Store, db_path: Path) -> None:
    assert current_revision(store._write_engine) == SCHEMA_HEAD
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT name FROM sqlite_master WHERE name='contact_fts'").fetchone()
    con.close()


def test_schema_head_constant_matches_migrations() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import koachify_tui.store.db as db

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_HEAD


def test_upgrade_keeps_data(db_path: Path) -> None:
    """A database at the first revision (no search index) is upgraded on open; its contacts survive and
    become searchable."""
    write, _ = make_engines(resolve_url(db_path))
    upgrade(write, "0001_core")
    with write.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contact (first_name, last_name, company, email, email_key, phone, source, owner, name_key,"
                " search_text, created_at, updated_at) VALUES ('Öla', 'Vecchio', '', '', NULL, '', '', '',"
                " 'öla vecchio', 'öla vecchio', '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
            )
        )
    write.dispose()
    s = Store.open(db_path)
    assert current_revision(s._write_engine) == SCHEMA_HEAD
    [row] = s.list_contacts()
    assert row.display_name == "Öla Vecchio"
    from koachify_tui.store import ContactQuery

    assert s.count_contacts(ContactQuery(search="vecchio")) == 1
    s.close()


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("hello, I am a text file")
    with pytest.raises(DatabaseError, match="not a Koachify database"):
        Store.open(bad)


def test_foreign_database_is_not_touched(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE stuff (x)")
    con.commit()
    con.close()
    with pytest.raises(DatabaseError, match="no Koachify schema"):
        Store.open(other)


def test_two_writers_on_one_file_never_fail(db_path: Path) -> None:
    """The TUI and a CLI import write at the same time: BEGIN IMMEDIATE + busy timeout serialise them."""
    a = Store.open(db_path)
    b = Store.open(db_path)
    errors: list[BaseException] = []

    def writer(store: Store, prefix: str) -> None:
        try:
            for i in range(40):
                with store.write():
                    c = store.create_contact(first_name=f"{prefix}{i}")
                    store.add_tag(c.id, prefix)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s, p)) for s, p in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert a.count_contacts() == 80
    a.close()
    b.close()


def test_reader_not_blocked_by_open_write(db_path: Path) -> None:
    """A long write transaction (an import) does not stop the screens from reading."""
    a = Store.open(db_path)
    a.create_contact(first_name="Before")
    reader = Store.open(db_path)
    with a.write():
        a.create_contact(first_name="Uncommitted")
        assert [r.first_name for r in reader.list_contacts()] == ["Before"]
    assert reader.count_contacts() == 2
    a.close()
    reader.close()


def test_store_never_imports_textual() -> None:
    import subprocess
    import sys

    code = (
        "import sys, koachify_tui.store, koachify_tui.store.demo, koachify_tui.cli;"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _sqlite_schema(path: Path) -> dict[str, object]:
    con = sqlite3.connect(path)
    objects = sorted(con.execute("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))
    # The search index's DDL itself (its options, e.g. detail=none) and the triggers; the other tables' CREATE
    # text differs in layout between create_all and Alembic, their columns are compared below.
    search_ddl = sorted(
        con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' OR sql LIKE 'CREATE VIRTUAL TABLE%'")
    )
    tables = [name for kind, name, _ in objects if kind == "table"]
    detail = {}
    for table in tables:
        columns = [row[1:6] for row in con.execute(f"PRAGMA table_info('{table}')")]
        foreign = sorted(row[2:7] for row in con.execute(f"PRAGMA foreign_key_list('{table}')"))
        indexes = sorted(
            (row[1], row[2], tuple(col[2] for col in con.execute(f"PRAGMA index_info('{row[1]}')")))
            for row in con.execute(f"PRAGMA index_list('{table}')")
            if not row[1].startswith("sqlite_autoindex")
        )
        detail[table] = (columns, foreign, indexes)
    con.close()
    return {"objects": objects, "search_ddl": search_ddl, "tables": detail}


def test_new_database_equals_running_every_migration(tmp_path: Path) -> None:
    """New files are created at head in one step (no Alembic import); that must equal the migrations."""
    fast = tmp_path / "fast.db"
    Store.open(fast, seed=False).close()
    migrated = tmp_path / "migrated.db"
    write, _ = make_engines(resolve_url(migrated))
    upgrade(write)
    write.dispose()
    schema = _sqlite_schema(fast)
    assert schema == _sqlite_schema(migrated)
    assert "detail=none" in dict(schema["search_ddl"])["contact_fts"]


def _downgrade(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    import koachify_tui.store.db as db

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _fts_ddl(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'contact_fts'").scalar())


def test_upgrade_from_0002_rebuilds_the_search_index(db_path: Path) -> None:
    """0003 recreates the index with detail=none and refills it: contacts indexed before stay searchable; its
    downgrade brings 0002's index back, filled too."""
    write, _ = make_engines(resolve_url(db_path))
    upgrade(write, "0002_search")
    assert "detail" not in _fts_ddl(write)
    with write.begin() as conn:
        for first, key in (("Søren", "søren kierkegaard"), ("Lucia", "lucia d'amico")):
            conn.execute(
                text(
                    "INSERT INTO contact (first_name, last_name, company, email, email_key, phone, source, owner,"
                    " name_key, search_text, created_at, updated_at) VALUES (:first, '', '', '', NULL, '', '', '',"
                    " :key, :key, '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
                ),
                {"first": first, "key": key},
            )
    write.dispose()
    s = Store.open(db_path)
    assert current_revision(s._write_engine) == SCHEMA_HEAD
    assert "detail=none" in _fts_ddl(s._write_engine)
    from koachify_tui.store import ContactQuery

    assert [r.first_name for r in s.list_contacts(ContactQuery(search="kierkegaard"))] == ["Søren"]
    assert [r.first_name for r in s.list_contacts(ContactQuery(search="d'amico"))] == ["Lucia"]
    s.create_contact(first_name="Niccolò", last_name="Kierkegaard")  # the triggers still index new rows
    assert s.count_contacts(ContactQuery(search="kierkegaard")) == 2
    with s._write_engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO contact_fts(contact_fts, rank) VALUES('integrity-check', 1)")
    s.close()

    write, _ = make_engines(resolve_url(db_path))
    _downgrade(write, "0002_search")
    assert "detail" not in _fts_ddl(write)
    with write.begin() as conn:
        conn.exec_driver_sql("INSERT INTO contact_fts(contact_fts, rank) VALUES('integrity-check', 1)")
        ids = conn.exec_driver_sql("SELECT rowid FROM contact_fts WHERE contact_fts MATCH '\"kierkegaard\"'").all()
        assert len(ids) == 2  # a phrase query: detail=full again
    write.dispose()


def test_upgrade_drops_the_per_contact_import_rows(db_path: Path) -> None:
    """0004: the history rows older imports wrote per created contact go (the timeline derives that line from
    the batch's items now); other import rows stay, and the contact shows "Imported from" once."""
    write, _ = make_engines(resolve_url(db_path))
    upgrade(write, "0003_fts_detail_none")
    at = "'2025-01-01 10:00:00.000000'"
    with write.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contact (id, first_name, last_name, company, email, email_key, phone, source, owner,"
                f" name_key, search_text, created_at, updated_at) VALUES (1, 'Anna', '', '', '', NULL, '', '', '',"
                f" 'anna', 'anna', {at}, {at})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO import_batch (id, filename, source, options_json, counts_json, started_at, finished_at)"
                f" VALUES (7, 'x \"1\".csv', 'CSV', '{{}}', '{{}}', {at}, {at})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO import_batch_item (batch_id, contact_id, action, before_json)"
                " VALUES (7, 1, 'created', '{}')"
            )
        )
        rows = [
            ('Imported from x "1".csv', '{"batch_id": 7, "file": "x \\"1\\".csv", "line": 2, "action": "created"}'),
            ("Updated from y.csv", '{"batch_id": 8, "file": "y.csv", "line": 2, "action": "merge"}'),
            ("Import of y.csv undone", '{"batch_id": 8, "action": "undo"}'),
        ]
        for body, data in rows:
            conn.execute(
                text(
                    "INSERT INTO history_entry (contact_id, kind, at, actor, from_value, to_value, text, data_json)"
                    f" VALUES (1, 'import', {at}, 'import', '', '', :body, :data)"
                ),
                {"body": body, "data": data},
            )
    write.dispose()
    s = Store.open(db_path)
    with s.read() as session:
        kept = session.execute(text("SELECT text FROM history_entry ORDER BY id")).scalars().all()
    assert kept == ["Updated from y.csv", "Import of y.csv undone"]
    assert sorted(i.text for i in s.timeline(1) if i.kind == "import") == [
        "Import of y.csv undone",
        'Imported from x "1".csv',
        "Updated from y.csv",
    ]
    s.close()


# --- the test fixtures' template copies (conftest.py): what `Store.open` makes of a new database ----------------

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")


def _rows(rows: Iterable[Sequence[object]]) -> list[tuple[object, ...]]:
    """Rows with their timestamps masked (the template was seeded earlier the same day)."""

    def mask(v: object) -> object:
        return "<time>" if isinstance(v, datetime) or (isinstance(v, str) and _TIME.match(v)) else v

    return [tuple(mask(v) for v in row) for row in rows]


def _sqlite_content(path: Path) -> dict[str, object]:
    con = sqlite3.connect(path)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    pragmas = {p: con.execute(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "page_size", "encoding")}
    pragmas |= {p: con.execute(f"PRAGMA {p}").fetchone()[0] for p in ("user_version", "application_id")}
    content = {t: _rows(con.execute(f'SELECT * FROM "{t}" ORDER BY rowid')) for t in tables if "fts" not in t}
    fts = {t: _rows(con.execute(f'SELECT * FROM "{t}"')) for t in tables if t.startswith("contact_fts_")}
    con.close()
    return {"pragmas": pragmas, "rows": content, "fts": fts}


def test_the_store_fixture_is_a_new_database(store: Store, db_path: Path, tmp_path: Path) -> None:
    """The `store` fixture copies a template instead of building the schema per test: the copy must be what
    `Store.open` makes of a path where nothing exists (schema, seed rows, pragmas, file modes, and what is in
    the main file and what still in the WAL)."""
    assert store.list_contacts(ContactQuery()) == []
    fresh = tmp_path / "fresh.db"
    opened = Store.open(fresh)
    names = ["fresh.db", "fresh.db-shm", "fresh.db-wal", "koachify.db", "koachify.db-shm", "koachify.db-wal"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    for suffix in ("", "-wal", "-shm"):
        copy, new = Path(f"{db_path}{suffix}").stat(), Path(f"{fresh}{suffix}").stat()
        assert (suffix, copy.st_size, copy.st_mode & 0o777) == (suffix, new.st_size, new.st_mode & 0o777)
    store.close()
    opened.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.db", "koachify.db"]
    assert _sqlite_schema(db_path) == _sqlite_schema(fresh)
    assert _sqlite_content(db_path) == _sqlite_content(fresh)
    assert _sqlite_content(fresh)["rows"]["pipeline"] == [(1, "Vendite Coaching", "vendite coaching", 0, "<time>")]
    assert db_path.stat().st_mode & 0o777 == fresh.stat().st_mode & 0o777 == 0o600
    assert db_path.stat().st_size == fresh.stat().st_size


def _pg_content(url: str) -> dict[str, object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            tables = sorted(insp.get_table_names())
            schema = {
                t: (
                    [(c["name"], str(c["type"]), c["nullable"], str(c["default"])) for c in insp.get_columns(t)],
                    sorted(str(sorted(i.items())) for i in insp.get_indexes(t)),
                    sorted(str(sorted(f.items())) for f in insp.get_foreign_keys(t)),
                )
                for t in tables
            }
            rows = {t: _rows(conn.execute(text(f'SELECT * FROM "{t}" ORDER BY 1'))) for t in tables}
            sequences = _rows(
                conn.execute(text("SELECT sequencename, last_value FROM pg_sequences ORDER BY sequencename"))
            )
            triggers = sorted(conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
    finally:
        engine.dispose()
    return {"schema": schema, "rows": rows, "sequences": sequences, "triggers": triggers}


@needs_postgres
def test_the_pg_store_fixture_is_a_new_database(pg_store: Store) -> None:
    """`pg_store` is a `CREATE DATABASE … TEMPLATE` copy: the same as `Store.open` on an empty database."""
    with new_pg_database() as url:
        Store.open(url).close()
        fresh = _pg_content(url)
    copy = _pg_content(pg_store.url)
    assert copy == fresh
    rows: dict[str, list[tuple[object, ...]]] = copy["rows"]  # type: ignore[assignment]
    assert [r[1] for r in rows["pipeline"]] == ["Vendite Coaching"]
