"""Deals in daily use, by keyboard (issue 15): delete and undo on the board and the deal detail, the deleted
deals list (`D`), won-on-entry stages (pipelines screen `w`, the board's move) and the "press w" hint."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from koachify_tui.app import KoachifyApp, make_app
from koachify_tui.config import Settings
from koachify_tui.screens import contacts as contacts_module
from koachify_tui.screens.board import UNDO_WINDOW, BoardScreen
from koachify_tui.screens.opportunity_detail import OpportunityDetail
from koachify_tui.screens.pipelines import PipelinesScreen
from koachify_tui.store import Store


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def toasts(app: KoachifyApp) -> list[str]:
    """Every message notified so far (recorded as sent: a toast on screen expires on a slow machine)."""
    sent: list[str] | None = getattr(app, "_sent_toasts", None)
    if sent is None:
        sent = []
        notify = app.notify

        def record(message: object, **kwargs: object) -> None:
            sent.append(str(message))
            notify(message, **kwargs)  # type: ignore[arg-type]

        app.notify = record  # type: ignore[method-assign]
        app._sent_toasts = sent  # type: ignore[attr-defined]
    return sent


SIZE = (160, 45)


@pytest.fixture
def board_store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "board.db")
    yield store  # type: ignore[misc]
    store.close()


def _app(store: Store, tmp_path: Path) -> KoachifyApp:
    return make_app(Settings(db=str(tmp_path / "board.db"), locale="it_IT"), store, start="board")


def _opp(store: Store, title: str, stage: str | None = None) -> int:
    cid = store.create_contact(first_name="Mario", last_name="Rossi").id
    return store.create_opportunity(cid, title, "Vendite Coaching", stage=stage, value_minor=100_000).id  # type: ignore[arg-type,return-value]


def _board(app: KoachifyApp) -> BoardScreen:
    assert isinstance(app.screen, BoardScreen)
    return app.screen


async def test_board_delete_then_undo(board_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = board_store
    oid = _opp(store, "Percorso")
    note = store.add_note("Primo incontro", opportunity_id=oid).id
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        board = _board(app)
        toasts(app)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")  # no: nothing happens
        await settle(pilot)
        assert store.list_opportunities() != []
        await pilot.press("d")
        await pilot.pause()
        assert "Delete “Percorso” (Mario Rossi)?" in str(app.screen.query_one("#confirm-question", Static).render())
        await pilot.press("y")
        await settle(pilot)
        assert store.list_opportunities() == [] and board.columns[0].count == 0 and board.card is None
        assert "Deleted “Percorso” — u to undo, D lists the deleted" in toasts(app)
        await pilot.press("u")
        await settle(pilot)
        assert [r.id for r in store.list_opportunities()] == [oid]
        assert board.card is not None and board.card.id == oid
        assert "Undone: restored “Percorso”" in toasts(app)
        assert [i.ref_id for i in store.timeline(store.opportunity_row(oid).contact_id) if i.kind == "note"] == [note]
        # A delete minutes ago is not undone by `u` (out of view): the deleted list brings it back.
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        later = time.monotonic() + UNDO_WINDOW + 1
        monkeypatch.setattr(contacts_module, "undo_clock", lambda: later)
        await pilot.press("u")
        await settle(pilot)
        assert store.list_opportunities() == []
        assert any("restore “Percorso” from the deleted opportunities (D)" in t for t in toasts(app))
        await pilot.press("D")
        await settle(pilot)
        listing = app.screen.query_one("#picker-list", OptionList)
        assert "Percorso — Mario Rossi · Nuovo contatto" in str(listing.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert [r.id for r in store.list_opportunities()] == [oid]
        assert board.card is not None and board.card.id == oid
        assert "Restored “Percorso”" in toasts(app)


async def test_detail_delete_and_undo(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    oid = _opp(store, "Percorso")
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        toasts(app)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, OpportunityDetail)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert store.list_opportunities() == []
        assert detail.sub_title == "Opportunity (deleted: u undoes)"
        assert "Deleted “Percorso” — u to undo, escape goes back" in toasts(app)
        assert detail.check_action("edit", ()) is None  # a deleted deal is not edited
        await pilot.press("u")
        await settle(pilot)
        assert [r.id for r in store.list_opportunities()] == [oid]
        assert "Undone: restored “Percorso”" in toasts(app)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        board = _board(app)
        assert board.columns[0].count == 0 and board.card is None


async def test_detail_history_shows_value_and_owner_edits(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    oid = _opp(store, "Percorso")
    store.update_opportunity(oid, value_minor=150_000, owner="Luca")
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#detail-history", Static).content)
        text = console.export_text().replace("\xa0", " ")
        assert "1.000,00 € → 1.500,00 €" in text
        assert "– → Luca" in text
        assert "Nuovo contatto" in text  # created at its stage


async def test_pipelines_screen_toggles_won_on_entry(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    oid = _opp(store, "Percorso", stage="Proposta inviata")
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        toasts(app)
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, PipelinesScreen)
        await pilot.press("tab")
        stages = app.screen.query_one("#pm-stages", OptionList)
        stages.highlighted = 2
        await pilot.press("w")
        await settle(pilot)
        assert store.get_pipeline("Vendite Coaching").stage("Contratto vinto").won_on_entry
        assert "Contratto vinto  ✓ won on entry" in str(stages.get_option_at_index(2).prompt)
        await pilot.press("w")  # off again, and on: a toggle
        await settle(pilot)
        assert not store.get_pipeline("Vendite Coaching").stage("Contratto vinto").won_on_entry
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        board = _board(app)
        board.action_column(1)
        await pilot.press("L")  # into "Contratto vinto": won on entry
        await settle(pilot)
        assert store.opportunity_row(oid).status == "won"
        assert any("“Percorso” is now won" in t for t in toasts(app))
        await pilot.press("u")  # the move and the win, together
        await settle(pilot)
        row = store.opportunity_row(oid)
        assert (row.stage, row.status) == ("Proposta inviata", "open")


async def test_moving_into_the_last_stage_hints_w(board_store: Store, tmp_path: Path) -> None:
    store = board_store
    oid = _opp(store, "Percorso", stage="Proposta inviata")
    app = _app(store, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        toasts(app)
        board = _board(app)
        board.action_column(1)
        await pilot.press("L")
        await settle(pilot)
        assert store.opportunity_row(oid).status == "open"
        assert "“Percorso” is still open: press w to mark it won" in toasts(app)
        await pilot.press("w")
        await settle(pilot)
        assert store.opportunity_row(oid).status == "won"
