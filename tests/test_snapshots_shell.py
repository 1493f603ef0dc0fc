"""Snapshots of the inbox, the automation rules and the help screen, on fixed data (no clock in view)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conftest import settle_for_snapshot
from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.store import Store


def _store(tmp_path: Path) -> tuple[Store, Settings]:
    db = tmp_path / "snap.db"
    return Store.open(db), Settings(db=str(db), locale="it_IT")


def test_inbox(snap_compare: Any, tmp_path: Path) -> None:
    store, settings = _store(tmp_path)
    giulia = store.create_contact(first_name="Giulia", last_name="D'Amico")
    marco = store.create_contact(first_name="[bold]Marco[/]", last_name="Ricci")
    store.log_message(
        "Buongiorno, vorrei informazioni sul percorso.",
        contact_id=giulia.id,
        channel="email",
        subject="Percorso 3 mesi",
        at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    )
    store.log_message(
        "Possiamo spostare la call a giovedì?",
        contact_id=marco.id,
        channel="whatsapp",
        at=datetime(2026, 3, 2, 18, 5, tzinfo=UTC),
        read=True,
    )
    store.log_message(
        "Chiamata di 15 minuti: richiamare lunedì.",
        contact_id=giulia.id,
        channel="call",
        direction="out",
        at=datetime(2026, 3, 3, 11, 0, tzinfo=UTC),
    )
    app = make_app(settings, store, start="inbox")
    try:
        assert snap_compare(app, terminal_size=(140, 30))
    finally:
        store.close()


def test_automation_rules(snap_compare: Any, tmp_path: Path) -> None:
    store, settings = _store(tmp_path)
    store.create_rule(
        "Nuovo lead ⇒ task di benvenuto",
        "contact.created",
        filters={"source": "Form"},
        actions=[{"type": "create_task", "title": "Chiamare", "due_in_days": 1}],
    )
    app = make_app(settings, store, start="automations")

    async def rules_shown(pilot: Any) -> None:
        # the rules are read in a worker: under load the frame could be taken before they arrive
        table = pilot.app.screen.query_one("#rules-table")
        for _ in range(200):
            if table.row_count == 2:
                break
            await pilot.pause(0.02)
        await settle_for_snapshot(pilot)  # and its columns sized

    try:
        assert snap_compare(app, terminal_size=(140, 30), run_before=rules_shown)
    finally:
        store.close()


def test_help_screen(snap_compare: Any, tmp_path: Path) -> None:
    store, settings = _store(tmp_path)
    app = make_app(settings, store, start="inbox")
    try:
        assert snap_compare(app, terminal_size=(120, 40), press=["f1"])
    finally:
        store.close()
