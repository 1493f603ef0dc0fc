"""Shared fixtures: a store on a fresh SQLite file, settings that never touch the user's config."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

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


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(db=str(db_path), locale="it_IT", path=None)


PG_URL = os.environ.get("KOACHIFY_TEST_PG_URL", "")
#: Mark for tests that need PostgreSQL (.ci/run starts a throw-away server and sets KOACHIFY_TEST_PG_URL).
needs_postgres = pytest.mark.skipif(not PG_URL, reason="KOACHIFY_TEST_PG_URL not set")


@contextmanager
def new_pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database per test (independent under pytest-xdist); yields its URL, drops it after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"koachify_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_store() -> Iterator[Store]:
    with new_pg_database() as url:
        store = Store.open(url)
        yield store
        store.close()
