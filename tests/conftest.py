"""Shared fixtures: a store on a fresh SQLite file, settings that never touch the user's config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from koachify_tui.config import Settings
from koachify_tui.store import Store


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real config or database."""
    monkeypatch.setenv("KOACHIFY_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.delenv("KOACHIFY_DB", raising=False)
    monkeypatch.delenv("KOACHIFY_DEBUG", raising=False)


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
