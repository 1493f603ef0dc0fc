"""The import dialog after the dry run and the import: warnings listed row by row, the dry-run label gone once
the import ran, `u` undoes the batch from the dialog (what was worked on since stays, with the reason)."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from koachify_tui.app import make_app
from koachify_tui.config import Settings
from koachify_tui.screens.contact_forms import ConfirmDialog
from koachify_tui.screens.import_csv import ImportCsvScreen
from koachify_tui.store import Store
from koachify_tui.store.importer import list_batches
from test_import_screen import FIXTURES, SIZE, open_dialog, settle, text_of


def warning_rows(screen: ImportCsvScreen) -> list[tuple[str, str]]:
    table = screen.query_one("#import-warnings", DataTable)
    return [(str(table.get_row_at(i)[0]), str(table.get_row_at(i)[1])) for i in range(table.row_count)]


async def imported(pilot: Pilot[None], path: Path) -> ImportCsvScreen:
    screen = await open_dialog(pilot, path)
    await pilot.press("ctrl+r")
    await settle(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert screen.result is not None
    return screen


async def test_warnings_are_listed_with_their_lines(store: Store, settings: Settings, tmp_path: Path) -> None:
    path = shutil.copy(FIXTURES / "tui_import.csv", tmp_path / "clienti.csv")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, path)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert warning_rows(screen) == [("5", "invalid phone '12' dropped")]
        assert screen.query_one("#import-warnings", DataTable).display
        assert "1 warning" in text_of(app, "#import-warnings-title")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert warning_rows(screen) == [("5", "invalid phone '12' dropped")]  # the import's own, still listed


async def test_the_dry_run_label_goes_once_the_import_ran(store: Store, settings: Settings, tmp_path: Path) -> None:
    path = shutil.copy(FIXTURES / "tui_import.csv", tmp_path / "clienti.csv")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, path)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "dry run: nothing written" in text_of(app, "#import-preview")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "dry run" not in text_of(app, "#import-preview")
        assert not screen.query_one("#import-preview", Static).display
        assert "Imported clienti.csv" in text_of(app, "#import-summary")
        assert "u undoes it here" in text_of(app, "#import-summary")
        assert all(field.disabled for field in screen.query(Input))  # `u` is a key now, not a letter typed


async def test_u_undoes_the_import_from_the_dialog(store: Store, settings: Settings, tmp_path: Path) -> None:
    path = shutil.copy(FIXTURES / "tui_import.csv", tmp_path / "clienti.csv")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await imported(pilot, path)
        assert store.count_contacts() == 3
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # not yet
        await pilot.pause()
        assert app.screen is screen and store.count_contacts() == 3
        await pilot.press("u", "y")
        await settle(pilot)
        assert store.count_contacts() == 0
        [batch] = list_batches(store)
        assert batch.undone_at is not None
        shown = text_of(app, "#import-undo")
        assert "Undid batch" in shown and "3 contacts removed" in shown
        await pilot.press("u")  # done once: nothing more to undo
        await pilot.pause()
        assert app.screen is screen


async def test_undo_keeps_what_was_worked_on_and_says_why(store: Store, settings: Settings, tmp_path: Path) -> None:
    path = shutil.copy(FIXTURES / "tui_import.csv", tmp_path / "clienti.csv")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await imported(pilot, path)
        [anna] = store.find_contacts_by_email("anna.tui@example.com")
        store.add_note("Called her: wants the spring course", contact_id=anna)  # worked on since the import
        await pilot.press("u", "y")
        await settle(pilot)
        assert store.count_contacts() == 1 and store.get_contact(anna).first_name == "Anna"
        shown = text_of(app, "#import-undo")
        assert f"kept contact #{anna}" in shown and "partly undone" in shown
        assert screen.undo is not None and not screen.undo.complete


async def test_possible_duplicates_hint_opens_the_screen_on_the_batch(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    from koachify_tui.screens.duplicates import DuplicatesScreen

    anna = store.create_contact(first_name="Anna", last_name="Bianchi", company="Studio Acme", email="anna@acme.it")
    store.create_contact(first_name="Luca", last_name="Verdi", company="Ortofrutta", email="luca@ortofrutta.it")
    store.create_contact(first_name="Luca", last_name="Verdi", company="Ortofrutta", email="lv@ortofrutta.it")
    path = tmp_path / "nuovi.csv"
    path.write_text("First Name,Last Name,Company,Email\nAnna,Bianchi,Studio Acme,anna.b@gmail.com\n", encoding="utf-8")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await imported(pilot, path)
        hint = screen.query_one("#import-duplicates", Static)
        assert hint.display and "1 possible duplicate — press D to review" in text_of(app, "#import-duplicates")
        await pilot.press("D")
        await settle(pilot)
        dupes = app.screen
        assert isinstance(dupes, DuplicatesScreen)
        assert [g.contact_ids[0] for g in dupes.groups] == [anna.id]  # the batch's group only, not the Lucas
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen  # back in the dialog: the import can still be undone
