"""Snapshot of the board on demo data (fixed seed, fixed clock: "days in stage" never drifts)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.store import Store
from koachify_tui.store.demo import fill_demo

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


def test_board_on_demo_data(snap_compare: Any, tmp_path: Path) -> None:
    db = tmp_path / "snap.db"
    store = Store.open(db)
    fill_demo(store, contacts=60, now=NOW)
    store.create_opportunity(store.list_contacts(limit=1)[0].id, "[bold]not markup[/]", "Vendite Coaching")
    app = make_app(Settings(db=str(db), locale="it_IT"), store, start="board")
    app.clock = lambda: NOW  # type: ignore[attr-defined]

    async def settle(pilot: Any) -> None:
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(160, 45), run_before=settle)
    finally:
        store.close()
