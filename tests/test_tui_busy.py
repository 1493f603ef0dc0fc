"""The TUI on a database another process is writing: it never freezes, never crashes, never loses what was typed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static, TextArea

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.screens.board import BoardScreen
from koachify_tui.screens.contact_forms import ActivityForm
from koachify_tui.screens.contacts import ContactsScreen
from koachify_tui.screens.writes import WriteStatus
from koachify_tui.store import Store

SIZE = (120, 40)


@pytest.fixture
def busy_store(db_path: Path) -> Iterator[Store]:
    """The TUI's store with a 2 s busy timeout; the lock is held by another Store (another process's)."""
    s = Store.open(db_path, origin="tui", busy_timeout=2)
    s.create_contact(first_name="Anna", last_name="Bianchi")
    yield s
    s.close()


def status_text(screen: object) -> str:
    found = screen.query(WriteStatus)  # type: ignore[attr-defined]
    return str(found.first().content) if found and found.first().display else ""


async def test_note_saved_during_a_held_lock_waits_times_out_and_retries(
    busy_store: Store, settings: Settings, db_path: Path
) -> None:
    other = Store.open(db_path)
    app = make_app(settings, busy_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("N")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ActivityForm)
        await pilot.press(*"Chiamata ok")
        with other.write() as tx, other.announce("import of contatti.csv"):
            tx.session.connection()  # BEGIN IMMEDIATE: the lock is held until the block ends
            await pilot.press("ctrl+s")
            assert form.write_pending and "Waiting for the database" in status_text(form)
            await app.workers.wait_for_complete()  # the worker gives up after the 2 s busy timeout
            await pilot.pause()
            assert app.is_running and app.screen is form and not form.write_pending
            assert "busy" in str(form.query_one("#form-error", Static).content)
            assert "import of contatti.csv" in str(form.query_one("#form-error", Static).content)
            assert form.query_one("#in-body", TextArea).text == "Chiamata ok"
        await pilot.press("ctrl+s")  # the lock is free: saved at once
        await pilot.pause()
        assert isinstance(app.screen, ContactsScreen)
    assert [i.text for i in busy_store.timeline(1, kinds=["note"])] == ["Chiamata ok"]
    other.close()


async def test_escape_gives_up_and_nothing_is_written_later(
    busy_store: Store, settings: Settings, db_path: Path
) -> None:
    other = Store.open(db_path)
    app = make_app(settings, busy_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("N")
        await pilot.pause()
        form = app.screen
        await pilot.press(*"Da non salvare")
        with other.write() as tx:
            tx.session.connection()
            await pilot.press("ctrl+s")
            assert form.write_pending
            await pilot.press("escape")  # gives up: the form stays, with its text
            await pilot.pause()
            assert app.screen is form and not form.write_pending
            assert "Gave up" in str(form.query_one("#form-error", Static).content)
        await app.workers.wait_for_complete()  # the worker gets the lock, sees it was given up, rolls back
        assert busy_store.timeline(1, kinds=["note"]) == []
        await pilot.press("escape")  # now escape closes the form
        await pilot.pause()
        assert isinstance(app.screen, ContactsScreen)


async def test_board_move_waits_in_the_footer_and_lands(busy_store: Store, settings: Settings, db_path: Path) -> None:
    opp = busy_store.create_opportunity(1, "Percorso", busy_store.list_pipelines()[0].id, value_minor=10000)
    first_stage = opp.stage_id
    other = Store.open(db_path)
    app = make_app(settings, busy_store, start="board")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = app.screen
        assert isinstance(board, BoardScreen)
        with other.write() as tx:
            tx.session.connection()
            await pilot.press("L")
            assert board.write_pending and "Waiting for the database" in status_text(board)
            await pilot.press("j", "k")  # the UI goes on meanwhile
            # The lock is released at the end of this block: the waiting worker then moves the card.
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not board.write_pending and not status_text(board)
        assert busy_store.opportunity_row(opp.id or 0).stage_id != first_stage
    other.close()


async def test_edit_form_merges_and_asks_on_a_same_field_conflict(
    busy_store: Store, settings: Settings, db_path: Path
) -> None:
    from textual.widgets import Input

    from koachify_tui.screens.contact_forms import ContactForm
    from koachify_tui.screens.pickers import ChoicePicker

    busy_store.update_contact(1, company="Acme", phone="+39 333 123 4567")
    other = Store.open(db_path, origin="cli")
    app = make_app(settings, busy_store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(ContactForm(1))
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ContactForm)
        other.update_contact(1, company="Beta", phone="+39 347 000 1111")  # user B, from the CLI
        form.query_one("#in-first_name", Input).value = "Anna Maria"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ContactsScreen)  # merged: no question asked
        saved = busy_store.get_contact(1)
        assert (saved.first_name, saved.company, saved.phone) == ("Anna Maria", "Beta", "+39 347 000 1111")

        app.push_screen(ContactForm(1))
        await pilot.pause()
        form = app.screen
        other.update_contact(1, company="Gamma")
        form.query_one("#in-company", Input).value = "Mia"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoicePicker)  # both values shown: keep mine or take theirs
        await pilot.press("enter")  # the first choice: keep mine
        await pilot.pause()
        assert isinstance(app.screen, ContactsScreen)
        assert busy_store.get_contact(1).company == "Mia"
    other.close()
