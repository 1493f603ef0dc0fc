"""Pilot tests of the "Import CSV…" dialog: preview (nothing written), import with progress, cancel, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Static

from koachify_tui.app import KoachifyApp, make_app
from koachify_tui.config import Settings
from koachify_tui.screens.contacts import ContactsScreen
from koachify_tui.screens.import_csv import ImportCsvScreen, PathSuggester
from koachify_tui.store import Store
from koachify_tui.store.importer import list_batches
from koachify_tui.widgets.contact_table import ContactTable

SIZE = (120, 40)
FIXTURES = Path(__file__).parent / "fixtures" / "csv"


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def text_of(app: KoachifyApp, selector: str) -> str:
    """What a Static shows, as plain text (its content may be a Rich table)."""
    console = Console(width=110, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(app.screen.query_one(selector, Static).content)
    return console.export_text()


def names(app: KoachifyApp) -> list[str]:
    table = app.screen.query_one(ContactTable)
    return [table.get_row_at(i)[0].plain for i in range(table.row_count)]


async def open_dialog(pilot: Pilot[None], path: Path | str) -> ImportCsvScreen:
    await settle(pilot)
    assert isinstance(pilot.app.screen, ContactsScreen)
    await pilot.press("i")
    screen = pilot.app.screen
    assert isinstance(screen, ImportCsvScreen)
    screen.query_one("#import-path", Input).value = str(path)
    return screen


async def test_preview_shows_mapping_counts_and_rejects_and_writes_nothing(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = shutil.copy(FIXTURES / "tui_import.csv", tmp_path / "clienti.csv")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, path)
        await pilot.press("enter")  # in the path field: preview
        await settle(pilot)
        assert screen.preview is not None and screen.preview.dry_run
        shown = text_of(app, "#import-preview")
        assert "Email" in shown and "email" in shown and "first_name" in shown  # column → field
        assert "dry run" in shown
        counts = screen.preview.counts
        assert (counts.created, counts.rejected) == (3, 1)
        [reject] = screen.preview.rejects
        assert reject.line == 4 and "invalid email 'not-an-email' dropped" in shown  # line and reason
        assert any(line.split()[:1] == ["4"] for line in shown.splitlines())
        assert store.count_contacts() == 0 and list_batches(store) == []  # a dry run writes nothing


async def test_import_with_progress_then_the_list_shows_the_contacts(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = shutil.copy(FIXTURES / "tui_import.csv", tmp_path / "clienti.csv")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, path)
        await pilot.press("ctrl+s")  # no preview yet: nothing happens
        await settle(pilot)
        assert screen.result is None and store.count_contacts() == 0
        screen.query_one("#import-tag", Input).value = "Workshop"
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.result is not None and screen.result.counts.created == 3
        bar = screen.query_one(ProgressBar)
        assert bar.display and bar.percentage == 1
        assert "Imported clienti.csv" in text_of(app, "#import-summary")
        assert store.count_contacts() == 3
        [batch] = list_batches(store)
        assert batch.id == screen.result.batch_id
        await pilot.press("escape")  # done: closes and the list refreshes
        await settle(pilot)
        assert isinstance(app.screen, ContactsScreen)
        assert "[bold]Mario[/bold] Rossi" in " ".join(names(app))  # markup-looking text shown verbatim
        mario = store.find_contacts_by_email("mario.tui@example.com")
        assert store.contact_row(mario[0]).tags == ("[red]VIP[/red]", "Clienti", "Workshop")


async def test_escape_cancels_before_writing(store: Store, settings: Settings, tmp_path: Path) -> None:
    path = shutil.copy(FIXTURES / "tui_import.csv", tmp_path / "clienti.csv")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, path)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.preview is not None
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ContactsScreen)
        assert store.count_contacts() == 0 and list_batches(store) == []


async def test_changing_an_option_needs_a_new_preview(store: Store, settings: Settings, tmp_path: Path) -> None:
    path = shutil.copy(FIXTURES / "tui_import.csv", tmp_path / "clienti.csv")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, path)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.preview is not None
        screen.query_one("#import-source", Input).value = "Fiera"
        await pilot.pause()
        assert screen.preview is None
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.count_contacts() == 0


async def test_file_errors_are_shown_inline(store: Store, settings: Settings, tmp_path: Path) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, tmp_path / "missing.csv")
        await pilot.press("ctrl+r")
        await settle(pilot)
        error = screen.query_one("#import-error", Static)
        assert error.display and "no such file" in text_of(app, "#import-error")
        for name in ("binary.csv", "empty.csv"):
            screen.query_one("#import-path", Input).value = str(FIXTURES / name)
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert error.display and screen.preview is None, name
        screen.query_one("#import-path", Input).value = str(tmp_path)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "directory" in text_of(app, "#import-error")
        assert app.screen is screen and store.count_contacts() == 0


async def test_palette_command_opens_the_dialog(store: Store, settings: Settings) -> None:
    app = make_app(settings, store, start="board")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Import CSV…" in commands
        commands["Import CSV…"].callback()
        await pilot.pause()
        assert isinstance(app.screen, ImportCsvScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ImportCsvScreen)


async def test_path_completion(tmp_path: Path) -> None:
    (tmp_path / "clienti.csv").write_text("Email\n")
    (tmp_path / "foto.png").write_text("")
    (tmp_path / "export").mkdir()
    suggester = PathSuggester()
    assert await suggester.get_suggestion(str(tmp_path / "cl")) == str(tmp_path / "clienti.csv")
    assert await suggester.get_suggestion(str(tmp_path / "ex")) == str(tmp_path / "export") + "/"
    assert await suggester.get_suggestion(str(tmp_path / "fo")) is None


async def test_preview_shows_merges_and_findings_before_writing(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    store.create_contact(first_name="Mario", last_name="Rossi", email="mario@x.it")
    path = tmp_path / "pipedrive.csv"
    rows = [
        "Person - Name,Person - Email - Work,Person - Phone - Work",
        "Mario Rossi,MARIO@x.it,",
        "Anna Neri,noemail@x.it,",
        "Bruno Galli,bruno@a.it,02 4851 2311",
        "Carla Costa,carla@a.it,02 4851 2311",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot, path)
        await pilot.press("enter")
        await settle(pilot)
        shown = text_of(app, "#import-preview")
        assert "Merges" in shown and "mario@x.it" in shown  # the merge and the key that matched
        assert "Placeholders read as empty" in shown and "noemail@x.it" in shown
        assert "Shared numbers" in shown and "+390248512311" in shown
        assert store.count_contacts() == 1  # nothing written yet
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.count_contacts() == 4 and screen.result is not None
