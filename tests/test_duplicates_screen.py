"""Pilot tests of the Duplicates screen: groups ranked with their reasons, the side-by-side, choosing the survivor
and the values that survive, skip, "not a duplicate" remembered, and the ways in (the palette, the contacts key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from conftest import hold_full_duplicates
from koachify_tui.app import KoachifyApp, make_app
from koachify_tui.config import Settings
from koachify_tui.screens.contact_forms import ConfirmDialog
from koachify_tui.screens.contacts import ContactsScreen
from koachify_tui.screens.duplicates import DuplicatesScreen
from koachify_tui.screens.duplicates_view import CompareTable, GroupList
from koachify_tui.store import DEFAULT_PIPELINE, Store
from koachify_tui.store.importer import ImportOptions, run_import

SIZE = (120, 40)


def plant(store: Store) -> dict[str, int]:
    """Two true pairs (an email in another case; a phone typed two ways) and one weak name-only pair."""
    ids = {
        "mario": store.create_contact(first_name="Mario", last_name="Rossi", email="mario@x.it", company="Acme"),
        "mario2": store.create_contact(
            first_name="Mario", last_name="Rossi", email="MARIO@x.it", company="Acme srl", phone="+39 333 1234567"
        ),
        "anna": store.create_contact(first_name="Anna", last_name="Neri", phone="333 7654321", source="Fiera"),
        "anna2": store.create_contact(first_name="Anna", last_name="Neri", phone="+393337654321", source="Sito"),
        "luca": store.create_contact(first_name="Luca", last_name="Bianchi [VIP]", company="Studio Verdi"),
        "luca2": store.create_contact(first_name="Luca", last_name="Bianchi [VIP]", company="Studio Verdi"),
    }
    return {k: c.id or 0 for k, c in ids.items()}


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_screen(pilot: Pilot[None], batch_id: int | None = None) -> DuplicatesScreen:
    await settle(pilot)
    screen = DuplicatesScreen(batch_id=batch_id)
    pilot.app.push_screen(screen)
    await settle(pilot)
    assert pilot.app.screen is screen
    return screen


def compare_rows(app: KoachifyApp) -> dict[str, list[str]]:
    table = app.screen.query_one(CompareTable)
    return {
        str(row.key.value): [str(cell) for cell in table.get_row(row.key)]
        for row in (table.ordered_rows[i] for i in range(table.row_count))
    }


def group_lines(app: KoachifyApp) -> list[str]:
    groups = app.screen.query_one(GroupList)
    return [str(groups.get_option_at_index(i).prompt) for i in range(groups.option_count)]


def move_to_row(app: KoachifyApp, key: str) -> None:
    table = app.screen.query_one(CompareTable)
    table.move_cursor(row=table.get_row_index(key))


async def test_groups_ranked_with_reasons_and_the_first_one_side_by_side(store: Store, settings: Settings) -> None:
    ids = plant(store)
    store.add_note("Called", contact_id=ids["mario2"])
    async with make_app(settings, store).run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        lines = group_lines(pilot.app)
        assert len(lines) == 3
        assert "same email mario@x.it" in lines[0] or "same email mario@x.it" in lines[1]
        assert any("same phone +39 333 765 4321" in line for line in lines), lines
        [weak] = [line for line in lines if "Luca" in line]
        assert "(same company Studio Verdi)" in weak and "weak" in weak
        assert "Bianchi [VIP]" in weak  # user text shown literally
        assert lines.index(weak) == 2  # a name alone ranks last
        assert screen.preview is not None and screen.survivor == screen.preview.contact_ids[0]
        rows = compare_rows(pilot.app)
        assert rows["company"][0] == "Company" and rows["count:notes"][1:] in (["0", "1"], ["1", "0"])


async def test_navigate_choose_survivor_and_pick_a_value(store: Store, settings: Settings) -> None:
    ids = plant(store)
    async with make_app(settings, store).run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        assert screen.preview is not None
        first = screen.preview.contact_ids
        await pilot.press("tab", "down")  # to the groups, next group
        await settle(pilot)
        assert screen.preview.contact_ids != first
        await pilot.press("up")
        await settle(pilot)
        assert screen.preview.contact_ids == first
        if ids["mario"] not in first:  # make sure the Mario pair is shown
            await pilot.press("down")
            await settle(pilot)
        await pilot.press("tab")  # back to the side-by-side
        assert screen.survivor == ids["mario"]
        assert screen.preview.picks(ids["mario"])["company"] == ids["mario"]
        await pilot.press("2")
        assert screen.survivor == ids["mario2"]
        await pilot.press("3")  # no third contact: it stays here (not the app's "go to Automations")
        assert pilot.app.screen is screen and screen.survivor == ids["mario2"]
        assert screen.preview.picks(screen.survivor, screen.chosen)["company"] == ids["mario2"]
        await pilot.press("left")
        assert screen.survivor == ids["mario"]
        move_to_row(pilot.app, "company")
        await pilot.press("enter")  # the other contact's company survives
        assert screen.chosen == {"company": ids["mario2"]}
        assert compare_rows(pilot.app)["company"][2] == "▸ Acme srl"
        await pilot.press("space")  # and back
        assert screen.preview.picks(screen.survivor, screen.chosen)["company"] == ids["mario"]
        move_to_row(pilot.app, "first_name")
        await pilot.press("enter")  # the values agree: nothing to choose
        assert "first_name" not in screen.chosen


async def test_skip_moves_on_and_ignore_is_remembered(store: Store, settings: Settings) -> None:
    plant(store)
    async with make_app(settings, store).run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        assert screen.preview is not None
        first = screen.preview.contact_ids
        await pilot.press("s")
        await settle(pilot)
        assert screen.preview.contact_ids != first and screen.groups[-1].contact_ids == first
        assert "skipped" in group_lines(pilot.app)[-1]
        ignored = screen.preview.contact_ids
        await pilot.press("i")
        await settle(pilot)
        assert len(screen.groups) == 2 and ignored not in [g.contact_ids for g in screen.groups]
        assert "will not be suggested again" in str(screen.query_one("#dupes-status").content)
    assert ignored not in [g.contact_ids for g in store.find_duplicates()]
    assert len(store.find_duplicates()) == 2


async def test_restricted_to_an_import_batch(store: Store, settings: Settings, tmp_path: Path) -> None:
    ids = plant(store)
    path = tmp_path / "anna.csv"
    store.update_contact(ids["anna2"], {"email": "anna@neri.it"})
    rows = "Anna,Neri,Neri snc,anna@neri.it\nSara,Blu,,sara@blu.it\n"  # updates the second Anna; a new contact
    path.write_text("First Name,Last Name,Company,Email\n" + rows, encoding="utf-8")
    result = run_import(store, path, ImportOptions())
    assert result.batch_id is not None
    async with make_app(settings, store).run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, result.batch_id)
        assert [g.contact_ids for g in screen.groups] == [(ids["anna"], ids["anna2"])]
        assert "among the imported contacts" in str(screen.query_one("#dupes-title").content)


async def test_nothing_to_review(store: Store, settings: Settings) -> None:
    store.create_contact(first_name="Sola", last_name="Persona")
    async with make_app(settings, store).run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        assert "No likely duplicates left" in str(screen.query_one("#dupes-title").content)
        await pilot.press("m", "s", "i")  # nothing to act on: no error
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactsScreen)


async def test_ways_in_palette_and_contacts_key(store: Store, settings: Settings) -> None:
    plant(store)
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot)
        assert isinstance(app.screen, DuplicatesScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ContactsScreen)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        commands["Duplicates…"].callback()
        await settle(pilot)
        assert isinstance(app.screen, DuplicatesScreen)


async def show_mario(pilot: Pilot[None], screen: DuplicatesScreen, mario: int) -> None:
    """Highlight the Mario pair in the group list."""
    index = next(i for i, g in enumerate(screen.groups) if mario in g.contact_ids)
    screen.query_one(GroupList).highlighted = index
    await settle(pilot)
    assert screen.preview is not None and mario in screen.preview.contact_ids


async def test_merge_then_u_undoes_it(store: Store, settings: Settings) -> None:
    ids = plant(store)
    mario, mario2 = ids["mario"], ids["mario2"]
    store.create_opportunity(mario2, "Percorso", DEFAULT_PIPELINE)
    store.add_note("Prima call", contact_id=mario2)
    store.add_note("Seconda call", contact_id=mario2)
    async with make_app(settings, store).run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        await show_mario(pilot, screen, mario)
        move_to_row(pilot.app, "company")
        await pilot.press("enter")  # "Acme srl" (the other's) survives
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        survivor = store.get_contact(mario)
        assert survivor.company == "Acme srl" and survivor.phone == "+39 333 1234567"  # picked; non-empty won
        assert store.get_contact(mario2, include_deleted=True).merged_into_id == mario
        assert len(store.list_opportunities(contact_id=mario)) == 1
        status = str(screen.query_one("#dupes-status", Static).content)
        assert f"Merged Mario Rossi (#{mario2}) into #{mario}: 1 deal, 2 notes moved — u undoes" in status
        assert all(mario2 not in g.contact_ids for g in screen.groups) and len(screen.groups) == 2
        await pilot.press("u")
        await settle(pilot)
        assert store.get_contact(mario).company == "Acme"
        assert store.get_contact(mario2).company == "Acme srl"  # live again, as it was
        assert store.list_opportunities(contact_id=mario) == []
        assert len(store.list_opportunities(contact_id=mario2)) == 1
        assert "Merge undone" in str(screen.query_one("#dupes-status", Static).content)
        assert len(screen.groups) == 3 and screen.preview is not None and mario in screen.preview.contact_ids


async def test_merge_keeps_the_chosen_survivor(store: Store, settings: Settings) -> None:
    ids = plant(store)
    async with make_app(settings, store).run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot)
        await show_mario(pilot, screen, ids["mario"])
        await pilot.press("2", "m", "y")
        await settle(pilot)
        assert store.get_contact(ids["mario2"]).company == "Acme srl"  # the new survivor keeps its own values
        assert store.get_contact(ids["mario"], include_deleted=True).merged_into_id == ids["mario2"]


async def test_strong_groups_paint_first_and_the_name_pass_completes_them_in_place(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared emails and phones are listed while the name pass runs; when it ends its groups join the list
    without moving the rows down to the highlighted one, and a group it grew is shown grown."""
    mario = store.create_contact(first_name="Mario", last_name="Rossi", email="mario@x.it", company="Acme")
    mario2 = store.create_contact(first_name="Mario", last_name="Rossi", email="MARIO@x.it")
    mario3 = store.create_contact(first_name="Mario", last_name="Rossi", company="ACME")  # the name pass's
    anna = store.create_contact(first_name="Anna", last_name="Neri", phone="333 7654321")
    paola = store.create_contact(first_name="Paola", last_name="Neri", phone="+393337654321")  # scores 60
    luca = store.create_contact(first_name="Luca", last_name="Bianchi", company="Studio Verdi")
    luca2 = store.create_contact(first_name="Luca", last_name="Bianchi", company="Studio Verdi")  # scores 70
    find = store.find_duplicates
    release = hold_full_duplicates(monkeypatch, store)
    async with make_app(settings, store).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = DuplicatesScreen()
        pilot.app.push_screen(screen)
        while not (screen.is_mounted and screen.preview is not None):
            await pilot.pause(0.01)
        assert [g.contact_ids for g in screen.groups] == [(mario.id, mario2.id), (anna.id, paola.id)]
        assert "still looking" in str(screen.query_one("#dupes-title", Static).content)
        await pilot.press("tab", "down")  # the user reads the phone pair
        await pilot.pause()
        assert screen.current_group is not None and screen.current_group.contact_ids == (anna.id, paola.id)
        release.set()
        await settle(pilot)
        assert [g.contact_ids for g in screen.groups] == [
            (mario.id, mario2.id, mario3.id),  # grown, in its place
            (anna.id, paola.id),  # still where the cursor is, though the name-only pair outscores it
            (luca.id, luca2.id),
        ]
        assert screen.query_one(GroupList).highlighted == 1 and screen.preview is not None
        assert screen.preview.contact_ids == (anna.id, paola.id)
        assert "still looking" not in str(screen.query_one("#dupes-title", Static).content)
        whole = find()
        assert sorted(g.contact_ids for g in whole) == sorted(g.contact_ids for g in screen.groups)
        assert [g.contact_ids for g in whole][1] == (luca.id, luca2.id)  # the list's own order differs
