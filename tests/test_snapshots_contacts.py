"""Snapshots of the contacts screen, the detail and a form, on fixed data (fixed dates, UTC, no clock).

Update after an intended change of look: `pytest tests/test_snapshots_contacts.py --snapshot-update`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.pilot import Pilot

from conftest import settle_for_snapshot
from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.store import Store


@pytest.fixture
def fixed(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A handful of contacts with fixed timestamps; local time is UTC so dates render the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    day = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    store.define_field("contact", "Obiettivo", type="select", options=["Peso", "Forza"])
    mario = store.create_contact(
        first_name="Mario",
        last_name="Rossi",
        company="Yoga Città",
        email="mario@example.it",
        phone="+39 333 123 4567",
        source="Instagram",
        owner="Giulia",
        tags=["vip", "corso"],
        custom={"obiettivo": "Forza"},
        created_at=day,
    )
    store.create_contact(first_name="[bold red]Anna[/]", last_name="Bianchi", tags=["[link=x]y"], created_at=day)
    store.create_contact(first_name="Luca", last_name="Verdi", email="luca@example.it", created_at=day)
    assert mario.id is not None
    opp = store.create_opportunity(
        mario.id, "Percorso 10 sessioni", "Vendite Coaching", value_minor=150000, created_at=day
    )
    store.add_note("Prima call: obiettivo forza", contact_id=mario.id, at=datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
    store.add_note("Proposta inviata", opportunity_id=opp.id, at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    store.add_task(
        "Richiamare",
        contact_id=mario.id,
        due_at=datetime(2026, 3, 5, 18, 0, tzinfo=UTC),
        at=datetime(2026, 3, 4, 11, 0, tzinfo=UTC),
    )
    store.log_message(
        "Ci sentiamo giovedì", contact_id=mario.id, direction="out", at=datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    )
    yield store
    time.tzset()


def _app(store: Store, settings: Settings) -> Any:
    return make_app(settings, store)


async def _settle(pilot: Pilot[None]) -> None:
    await settle_for_snapshot(pilot)


def test_contact_list(snap_compare: Any, fixed: Store, settings: Settings) -> None:
    assert snap_compare(_app(fixed, settings), terminal_size=(120, 30), run_before=_settle)


def test_contact_detail_screen(snap_compare: Any, fixed: Store, settings: Settings) -> None:
    async def open_mario(pilot: Pilot[None]) -> None:
        from koachify_tui.screens.contact_detail import ContactDetailPane

        await _settle(pilot)
        await pilot.press("j", "enter")
        # On a loaded machine focus reaches the pane a few frames late, and the footer shows its keys only then.
        for _ in range(100):
            focused = pilot.app.focused
            if focused is not None and any(isinstance(n, ContactDetailPane) for n in focused.ancestors_with_self):
                break
            await pilot.pause(0.05)
        await _settle(pilot)
        pilot.app.screen.refresh_bindings()  # the footer then shows the pane's keys whatever the timing
        await _settle(pilot)

    assert snap_compare(_app(fixed, settings), terminal_size=(120, 36), run_before=open_mario)


def test_split_pane_wide(snap_compare: Any, fixed: Store, settings: Settings) -> None:
    async def highlight_mario(pilot: Pilot[None]) -> None:
        await _settle(pilot)
        await pilot.press("j")
        await _settle(pilot)

    assert snap_compare(_app(fixed, settings), terminal_size=(170, 36), run_before=highlight_mario)


def test_contact_form_with_inline_errors(snap_compare: Any, fixed: Store, settings: Settings) -> None:
    async def bad_email(pilot: Pilot[None]) -> None:
        await _settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Giulia", "tab", "tab", "tab", *"giulia@@x", "ctrl+s")
        await pilot.pause()

    assert snap_compare(_app(fixed, settings), terminal_size=(120, 40), run_before=bad_email)


@pytest.mark.parametrize(
    "line",
    ["Giulia Verdi giulia@x.it 333 1234567 #lead @Form (Studio Verdi)", "Giulia giulia@ 12 @Form @Web"],
    ids=["read", "errors"],
)
def test_quick_add_line(snap_compare: Any, fixed: Store, settings: Settings, line: str) -> None:
    async def type_line(pilot: Pilot[None]) -> None:
        await _settle(pilot)
        await pilot.press("plus", *line)
        pilot.app.screen.query_one("#quick-add-input").cursor_blink = False  # a steady cursor, whatever the timing
        await _settle(pilot)

    assert snap_compare(_app(fixed, settings), terminal_size=(120, 30), run_before=type_line)
