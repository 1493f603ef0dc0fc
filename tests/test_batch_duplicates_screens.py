"""The import dialog's "N possible duplicates" and the Duplicates screen it opens use the CLI's definition of an
import batch's duplicates (`store.batch_duplicates`, `koachify duplicates list --batch N`): the whole list's
groups holding a contact of the batch, also where a batch contact reaches an old one only through a third."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import hold_full_duplicates
from koachify_tui.app import make_app
from koachify_tui.cli import app as cli
from koachify_tui.config import Settings
from koachify_tui.screens.duplicates import DuplicatesScreen
from koachify_tui.screens.import_csv import ImportCsvScreen
from koachify_tui.store import Store
from koachify_tui.store.duplicate_types import DuplicateGroup
from test_import_dialog_after import imported
from test_import_screen import SIZE, settle, text_of

ROWS = (
    "Anna,Bianchi,Studio Acme,anna.b@gmail.com\n"  # created: a namesake at the same company as old Anna...
    "Paolo,Rossi,Rossi srl,paolo@rossi.it\n"  # updates old Paolo (his email), who shares a phone with Eva
    "Luca,Verdi,Ortofrutta,luca.verdi@gmail.com\n"  # created: a name-only pair with the two old Lucas
    "Zoe,Gialli,,zoe@y.it\n"  # created: no duplicate
)


def plant(store: Store, tmp_path: Path) -> tuple[dict[str, int], Path]:
    """Old contacts, and the file of the batch. Anna (old) shares a phone with Marta, who shares nothing with
    the new Anna: the batch's group {new Anna, Anna, Marta} holds Marta only through old Anna."""
    new = store.create_contact
    made = {
        "anna": new(first_name="Anna", last_name="Bianchi", company="Studio Acme", email="anna@acme.it",
                    phone="+39 333 1112223"),
        "marta": new(first_name="Marta", last_name="Neri", phone="333 1112223"),
        "paolo": new(first_name="Paolo", last_name="Rossi", email="paolo@rossi.it", phone="347 5556667"),
        "eva": new(first_name="Eva", last_name="Conti", phone="+39 347 5556667"),
        "luca": new(first_name="Luca", last_name="Verdi", company="Ortofrutta", email="l@ortofrutta.it"),
        "luca2": new(first_name="Luca", last_name="Verdi", company="Ortofrutta", email="lv@ortofrutta.it"),
        "gino": new(first_name="Gino", last_name="Sala", email="gino@sala.it"),  # a pair outside the batch
        "gino2": new(first_name="Gino", last_name="Sala", email="GINO@sala.it"),
    }  # fmt: skip
    path = tmp_path / "nuovi.csv"
    path.write_text("First Name,Last Name,Company,Email\n" + ROWS, encoding="utf-8")
    return {k: c.id or 0 for k, c in made.items()}, path


def listed(db: str, batch_id: int) -> list[tuple[int, ...]]:
    """`koachify duplicates list --batch N --json`: the groups' contact ids."""
    out = CliRunner().invoke(cli, ["duplicates", "list", "--batch", str(batch_id), "--db", db, "--json"])
    assert out.exit_code == 0, out.stderr
    return [tuple(g["contact_ids"]) for g in json.loads(out.stdout)]


def ids_of(groups: list[DuplicateGroup]) -> list[tuple[int, ...]]:
    return [g.contact_ids for g in groups]


def batch_of(screen: ImportCsvScreen) -> int:
    assert screen.result is not None and screen.result.batch_id is not None
    return screen.result.batch_id


async def test_the_dialogs_count_and_the_screen_it_opens_are_the_clis(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    ids, path = plant(store, tmp_path)
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await imported(pilot, path)
        batch = batch_of(dialog)
        [new_anna] = store.find_contacts_by_email("anna.b@gmail.com")
        expected = store.batch_duplicates(batch)
        assert ids_of(expected) and (ids["anna"], ids["marta"], new_anna) in ids_of(expected)  # Marta via Anna
        assert all(ids["gino"] not in g for g in ids_of(expected))
        assert dialog.duplicate_groups == len(expected) == 3
        assert "3 possible duplicates — press D to review" in text_of(app, "#import-duplicates")
        await pilot.press("D")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DuplicatesScreen)
        assert sorted(ids_of(screen.groups)) == sorted(ids_of(expected))
    assert sorted(listed(settings.db, batch)) == sorted(ids_of(expected))


async def test_the_screen_on_a_batch_paints_its_strong_groups_first_then_the_rest_in_place(
    store: Store, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened from the dialog after the new Anna was merged into the old one elsewhere (her import item moved
    to the survivor): the screen shows the batch as it is now, strong groups first, as the CLI lists it."""
    ids, path = plant(store, tmp_path)
    app = make_app(settings, store)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await imported(pilot, path)
        batch = batch_of(dialog)
        [new_anna] = store.find_contacts_by_email("anna.b@gmail.com")
        store.merge_contacts(ids["anna"], [new_anna], origin="cli")  # another window or `duplicates merge`
        await settle(pilot)
        strong, whole = store.batch_duplicates(batch, strong_only=True), store.batch_duplicates(batch)
        assert ids_of(strong) == [(ids["anna"], ids["marta"]), (ids["paolo"], ids["eva"])]  # Anna holds the item
        assert len(whole) == 3
        release = hold_full_duplicates(monkeypatch, store)
        await pilot.press("D")
        screen = app.screen
        assert isinstance(screen, DuplicatesScreen)
        while not (screen.is_mounted and screen.preview is not None):
            await pilot.pause(0.01)
        assert ids_of(screen.groups) == ids_of(strong)
        await pilot.press("tab", "down")  # the user reads the second strong group
        await pilot.pause()
        release.set()
        await settle(pilot)
        assert ids_of(screen.groups)[:2] == ids_of(strong)  # the rows down to the highlighted one stay
        assert sorted(ids_of(screen.groups)) == sorted(ids_of(whole))
        assert "among the imported contacts" in str(screen.query_one("#dupes-title").content)
    assert sorted(listed(settings.db, batch)) == sorted(ids_of(whole))
