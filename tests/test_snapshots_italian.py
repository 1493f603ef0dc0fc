"""The main screens in Italian (language = "it"), on fixed data: contacts, detail, board, automations, import
dialog, and the contacts screen at 80×24 (Italian runs ~20 % longer than English: nothing may be cut).

Update after an intended change: `pytest tests/test_snapshots_italian.py --snapshot-update`, then look."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from conftest import settle_for_snapshot
from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.store import Store
from koachify_tui.store.demo import fill_demo

NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def italian(db_path: Path) -> Settings:
    return Settings(db=str(db_path), locale="it_IT", language="it", path=None)


@pytest.fixture
def fixed(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    day = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    mario = store.create_contact(
        first_name="Mario",
        last_name="Rossi",
        company="Yoga Città",
        email="mario@example.it",
        phone="+39 333 123 4567",
        source="Instagram",
        owner="Giulia",
        tags=["vip"],
        created_at=day,
    )
    store.create_contact(first_name="Luca", last_name="Verdi", email="luca@example.it", created_at=day)
    assert mario.id is not None
    store.create_opportunity(mario.id, "Percorso 10 sessioni", "Vendite Coaching", value_minor=150000, created_at=day)
    store.add_note("Prima call: obiettivo forza", contact_id=mario.id, at=datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
    store.add_task("Richiamare", contact_id=mario.id, due_at=datetime(2026, 3, 5, 18, 0, tzinfo=UTC), at=day)
    store.log_message(
        "Ci sentiamo giovedì", contact_id=mario.id, direction="out", at=datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    )
    yield store
    time.tzset()


async def _settle(pilot: Pilot[None]) -> None:
    await settle_for_snapshot(pilot)


def test_contacts_italian(snap_compare: Any, fixed: Store, italian: Settings) -> None:
    async def highlight(pilot: Pilot[None]) -> None:
        await _settle(pilot)
        await pilot.press("j")
        await _settle(pilot)

    assert snap_compare(make_app(italian, fixed), terminal_size=(140, 30), run_before=highlight)


def test_contacts_italian_80x24(snap_compare: Any, fixed: Store, italian: Settings) -> None:
    assert snap_compare(make_app(italian, fixed), terminal_size=(80, 24), run_before=_settle)


def test_contact_detail_italian(snap_compare: Any, fixed: Store, italian: Settings) -> None:
    async def open_mario(pilot: Pilot[None]) -> None:
        from textual.widgets import DataTable

        from koachify_tui.screens.contact_detail import ContactDetailPane

        await _settle(pilot)
        await pilot.press("j", "enter")
        for _ in range(100):  # focus reaches the pane a few frames late on a loaded machine
            focused = pilot.app.focused
            if focused is not None and any(isinstance(n, ContactDetailPane) for n in focused.ancestors_with_self):
                break
            await pilot.pause(0.05)
        for _ in range(100):  # the deals table is filled after the pane's read, later still on a loaded machine
            if pilot.app.screen.query_one("#detail-opps", DataTable).row_count:
                break
            await pilot.pause(0.05)
        await _settle(pilot)
        pilot.app.screen.refresh_bindings()
        await _settle(pilot)

    assert snap_compare(make_app(italian, fixed), terminal_size=(120, 36), run_before=open_mario)


def test_board_italian(snap_compare: Any, tmp_path: Path) -> None:
    db = tmp_path / "snap.db"
    store = Store.open(db)
    fill_demo(store, contacts=40, now=NOW)
    app = make_app(Settings(db=str(db), locale="it_IT", language="it"), store, start="board")
    app.clock = lambda: NOW  # type: ignore[attr-defined]

    async def settle(pilot: Any) -> None:
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(120, 36), run_before=settle)
    finally:
        store.close()


def test_automations_italian(snap_compare: Any, store: Store, italian: Settings) -> None:
    store.create_rule(
        "Nuovo lead ⇒ task di benvenuto",
        "contact.created",
        filters={"source": "Form"},
        actions=[{"type": "create_task", "title": "Chiamare", "due_in_days": 1}],
    )

    async def rules_shown(pilot: Pilot[None]) -> None:
        table = pilot.app.screen.query_one("#rules-table", DataTable)
        for _ in range(200):  # the rules are read in a worker
            if table.row_count == 2:
                break
            await pilot.pause(0.02)
        await settle_for_snapshot(pilot)  # and its columns sized

    assert snap_compare(make_app(italian, store, start="automations"), terminal_size=(120, 30), run_before=rules_shown)


def test_import_dialog_italian(snap_compare: Any, store: Store, italian: Settings) -> None:
    async def open_import(pilot: Pilot[None]) -> None:
        from textual.widgets import Input

        await _settle(pilot)
        await pilot.press("i")
        await _settle(pilot)
        path = pilot.app.screen.query(Input).first()
        path.cursor_blink = False  # the cursor is drawn whatever the blink phase
        path.focus()
        await _settle(pilot)

    assert snap_compare(make_app(italian, store), terminal_size=(120, 36), run_before=open_import)
