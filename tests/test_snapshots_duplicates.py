"""Snapshots of the Duplicates screen on a planted pair (fixed dates, UTC), in the default theme at 100×30 and in
a light theme at 80×24.

Update after an intended change of look: `pytest tests/test_snapshots_duplicates.py --snapshot-update`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.pilot import Pilot

from conftest import settle_for_snapshot
from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.store import Store


@pytest.fixture
def planted(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    day = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    mario = store.create_contact(
        first_name="Mario", last_name="Rossi", email="mario@example.it", company="Yoga Città", source="Instagram",
        tags=["vip"], created_at=day,
    )  # fmt: skip
    again = store.create_contact(
        first_name="Mario", last_name="Rossi [VIP]", email="MARIO@example.it", company="Yoga Citta srl",
        phone="+39 333 123 4567", source="Sito", created_at=datetime(2026, 3, 9, 12, 0, tzinfo=UTC),
    )  # fmt: skip
    store.create_opportunity(again.id or 0, "Percorso 10 sessioni", "Vendite Coaching", created_at=day)
    store.add_note("Prima call", contact_id=again.id, at=datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    store.add_task("Richiamare", contact_id=mario.id, at=datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
    yield store
    time.tzset()


async def _open(pilot: Pilot[None]) -> None:
    from koachify_tui.screens.duplicates import DuplicatesScreen

    await pilot.pause(0.2)
    pilot.app.push_screen(DuplicatesScreen())
    await settle_for_snapshot(pilot)


def test_duplicates_screen(snap_compare: Any, planted: Store, settings: Settings) -> None:
    assert snap_compare(make_app(settings, planted), terminal_size=(100, 30), run_before=_open)


def test_duplicates_screen_light_80x24(snap_compare: Any, planted: Store, settings: Settings) -> None:
    app = make_app(replace(settings, theme="textual-light"), planted)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open)
