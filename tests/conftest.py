"""Shared fixtures: a store on a fresh SQLite file, settings that never touch the user's config."""

from __future__ import annotations

import gc
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from koachify_tui import i18n
from koachify_tui.config import Settings
from koachify_tui.store import Store


def _import_everything() -> None:
    """Import every module up front, while the language is English: strings evaluated at import (bindings,
    column titles) must be the English msgids, whatever language an earlier test in this worker chose."""
    import importlib
    import pkgutil

    import koachify_tui

    for module in pkgutil.walk_packages(koachify_tui.__path__, "koachify_tui."):
        if ".migrations." not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)


_import_everything()

# The cyclic GC's default thresholds (700, 10, 10) run a full collection every few seconds of a Pilot test, each
# walking every object the worker holds (≈ 0.2 s at ~450k objects: ~15 % of the CPU of the TUI tests); collect
# the young generations less often and the old one rarely. Only when, not whether, garbage is collected.
gc.set_threshold(10_000, 20, 20)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject's addopts): one worker more than there are cores. A Pilot test spends about a
    third of its time asleep, waiting for the app to be idle between keys; the extra worker uses that time.
    $PYTEST_XDIST_AUTO_NUM_WORKERS still decides when set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + 1


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real config or database."""
    monkeypatch.setenv("KOACHIFY_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("KOACHIFY_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("KOACHIFY_DB", raising=False)
    monkeypatch.delenv("KOACHIFY_DEBUG", raising=False)
    # English unless a test asks for Italian (language = "it" in its settings, or LANG in the env it passes)
    for var in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    i18n.set_language("en")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "koachify.db"


#: Per worker process: a new database exactly as `Store.open` leaves it (schema at head, default pipeline, seed
#: rule; the main file and the WAL holding what is not checkpointed yet), built once a day (the seed's timestamps
#: stay on the day the test runs). Each test gets a copy of both files.
_TEMPLATE: dict[str, Path] = {}
_FILES = ("", "-wal")  # the database and its WAL; SQLite rebuilds the -shm index from the WAL on open


def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    day = date.today().isoformat()
    if day not in _TEMPLATE:
        build, path = (
            tmp_path_factory.mktemp("template-build") / "koachify.db",
            tmp_path_factory.mktemp("template") / "koachify.db",
        )
        store = Store.open(build)
        try:  # copied while open and idle (no transaction): the pair as a test's store had it
            for suffix in _FILES:
                _private_copy(Path(f"{build}{suffix}"), Path(f"{path}{suffix}"))
        finally:
            store.close()
        _TEMPLATE.clear()
        _TEMPLATE[day] = path
    return _TEMPLATE[day]


def _private_copy(source: Path, target: Path) -> None:
    """A 0600 copy (the mode `Store.open` creates the database with; SQLite gives its WAL the same)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as data:
        shutil.copyfileobj(data, out)


def open_new_store(path: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """`Store.open(path)` on a new file, without building the schema again: the files are private copies of
    the template's, which opening finds at head and seeded. Default arguments only: the seed's change-log rows
    carry the origin."""
    if any(Path(f"{path}{suffix}").exists() for suffix in (*_FILES, "-shm")):
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    template = _sqlite_template(tmp_path_factory)
    for suffix in _FILES:
        _private_copy(Path(f"{template}{suffix}"), Path(f"{path}{suffix}"))
    return Store.open(path)


@pytest.fixture
def new_store(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Store]:
    """`new_store(path)`: what `Store.open(path)` returns on a path where nothing exists yet, faster."""

    return lambda path: open_new_store(path, tmp_path_factory)


@pytest.fixture
def store(db_path: Path, new_store: Callable[[Path], Store]) -> Iterator[Store]:
    s = new_store(db_path)
    yield s
    s.close()


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(db=str(db_path), locale="it_IT", path=None)


PG_URL = os.environ.get("KOACHIFY_TEST_PG_URL", "")
#: Mark for tests that need PostgreSQL (.ci/run starts a throw-away server and sets KOACHIFY_TEST_PG_URL).
needs_postgres = pytest.mark.skipif(not PG_URL, reason="KOACHIFY_TEST_PG_URL not set")


def _pg_admin() -> Engine:
    from sqlalchemy import create_engine

    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


#: Per worker process and day, like the SQLite template: a database `Store.open` made, copied by PostgreSQL's
#: `CREATE DATABASE … TEMPLATE` (a file-level copy: schema, rows and sequences as they were).
_PG_TEMPLATE: dict[str, str] = {}


def _pg_template() -> str:
    from sqlalchemy import text

    day = date.today().isoformat()
    if day not in _PG_TEMPLATE:
        name = f"koachify_tpl_{uuid.uuid4().hex[:12]}"
        admin = _pg_admin()
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            Store.open(_pg_url(name)).close()
            for old in _PG_TEMPLATE.values():
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'))
        finally:
            admin.dispose()
        _PG_TEMPLATE.clear()
        _PG_TEMPLATE[day] = name
    return _PG_TEMPLATE[day]


def _pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not _PG_TEMPLATE:
        return
    from sqlalchemy import text

    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            for name in _PG_TEMPLATE.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def new_pg_database(at_head: bool = False) -> Iterator[str]:
    """A fresh PostgreSQL database per test (independent under pytest-xdist); yields its URL, drops it after.
    Empty, or with `at_head` what `Store.open` makes of an empty database (a copy of the template)."""
    from sqlalchemy import text

    admin = _pg_admin()
    name = f"koachify_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{_pg_template()}"' if at_head else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_store() -> Iterator[Store]:
    with new_pg_database(at_head=True) as url:
        store = Store.open(url)
        yield store
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_postgres)])
def any_store(request: pytest.FixtureRequest, store: Store) -> Iterator[Store]:
    """The store on SQLite, and on a new PostgreSQL database when the CI server is there (migrated by open)."""
    if request.param == "sqlite":
        yield store
        return
    with new_pg_database() as url:
        pg = Store.open(url)
        yield pg
        pg.close()


def hold_full_duplicates(monkeypatch: pytest.MonkeyPatch, store: Store) -> threading.Event:
    """Holds `store.find_duplicates`' full pass (not the strong-only one the Duplicates screen paints first)
    until the returned event is set: a test sees the screen between its two passes."""
    release = threading.Event()
    find = store.find_duplicates

    def gated(**kwargs: Any) -> Any:
        if not kwargs.get("strong_only"):
            assert release.wait(30)
        return find(**kwargs)

    monkeypatch.setattr(store, "find_duplicates", gated)
    return release


async def settle_for_snapshot(pilot: Any) -> None:
    """Workers done and every DataTable's columns sized: a DataTable sizes them when idle, which on a loaded
    machine lands frames after the rows, and a snapshot taken between shows the rows under label-wide columns."""
    from textual.widgets import DataTable

    await pilot.pause(0.2)
    settled = 0
    for _ in range(100):  # twice in a row: a worker finishing meanwhile may fill a table again
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        tables = list(pilot.app.screen.query(DataTable))
        pending = any(t._require_update_dimensions or t._updated_cells or t._new_rows for t in tables)
        settled = 0 if pending else settled + 1
        if settled >= 2:
            break
    # A table painted between its rows and that idle re-measure keeps the header it cached at the labels'
    # widths (Textual 8.2 clears its render caches there only for auto-height rows): paint it from scratch.
    for table in pilot.app.screen.query(DataTable):
        table._clear_caches()
        table.refresh()
    await pilot.pause()
