"""Snapshots of the Reports screen on the demo data (fixed day), wide and dark, narrow and light."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import settle_for_snapshot
from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.store import Store
from koachify_tui.store.demo import fill_demo

DAY = date(2026, 3, 16)


def _app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, theme: str) -> tuple[Any, Store]:
    monkeypatch.setattr("koachify_tui.screens.reports.today", lambda: DAY)
    db = tmp_path / "snap.db"
    store = Store.open(db)
    fill_demo(store, contacts=120, now=datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
    app = make_app(Settings(db=str(db), locale="it_IT", theme=theme), store, start="reports")
    app.animation_level = "none"  # the tabs' underline slides to the active tab: never caught mid-way
    return app, store


async def _loaded(pilot: Any) -> None:
    await settle_for_snapshot(pilot)


def test_reports_sources_wide_dark(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Sources, not revenue: plotext places a vertical chart's x ticks one cell apart depending on the
    # interpreter's hash seed (the revenue snapshot failed for PYTHONHASHSEED=1, passed for 2 and 3), while a
    # horizontal bar chart draws the same for every seed. Revenue's numbers are checked by the Pilot tests.
    app, store = _app(tmp_path, monkeypatch, "koachify")
    try:
        assert snap_compare(app, terminal_size=(160, 48), press=["s"], run_before=_loaded)
    finally:
        store.close()


def test_reports_funnel_narrow_light(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, store = _app(tmp_path, monkeypatch, "textual-light")
    try:
        assert snap_compare(app, terminal_size=(80, 24), press=["f"], run_before=_loaded)
    finally:
        store.close()
