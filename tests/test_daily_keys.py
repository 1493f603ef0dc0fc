"""Issue 15, "fewer keys for daily tasks": each row of the README's "Daily tasks in keys" table, pressed key by
key (text typed is not counted), checked in the store. The count asserted is the README's."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from koachify_tui.app import KoachifyApp, make_app
from koachify_tui.config import Settings
from koachify_tui.screens.contact_detail import ContactDetailScreen
from koachify_tui.screens.contact_forms import ActivityForm, ContactForm
from koachify_tui.screens.contacts import ContactsScreen
from koachify_tui.screens.next_task import NextTaskDialog
from koachify_tui.screens.pickers import ChoicePicker
from koachify_tui.screens.quick_add import QuickAddLine
from koachify_tui.store import Store
from koachify_tui.store.models import utcnow
from koachify_tui.widgets.contact_table import ContactTable
from test_daily_use import settle, table_lines, toasts

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_counts() -> dict[str, int]:
    """Task → count, from the README table under "Daily tasks in keys"."""
    text = README.read_text(encoding="utf-8")
    table = text.split("**Daily tasks in keys**", 1)[1].split("\n\n", 2)[1]
    counts = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        counts[cells[0]] = int(re.match(r"\d+", cells[-1])[0])  # type: ignore[index]
    return counts


class Keys:
    """Presses keys and counts them; `text()` types without counting (the issue counts keys beyond the text)."""

    def __init__(self, pilot: Pilot[None]) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        for key in keys:
            self.count += 1
            await self.pilot.press(key)
            await settle(self.pilot)

    async def text(self, value: str) -> None:
        await self.pilot.press(*value)
        await self.pilot.pause()


def test_the_readme_lists_every_daily_task() -> None:
    assert readme_counts() == {
        "Add a lead": 2,
        "Log a call on the highlighted contact": 2,
        "Add a note to the highlighted contact": 2,
        "Add a note to one of its deals": 2,
        "Complete the next overdue task, from any screen": 2,
        "Find a contact by phone": 2,
        "Move a deal to the next stage, or win it (board)": 1,
    }


@pytest.fixture
def trio(store: Store) -> dict[str, int]:
    return {
        first.lower(): store.create_contact(first_name=first, last_name=last).id or 0
        for first, last in (("Anna", "Bianchi"), ("Luca", "Verdi"), ("Mario", "Rossi"))
    }


async def test_add_a_lead(store: Store, settings: Settings, trio: dict[str, int]) -> None:
    app = make_app(settings, store)
    toasts(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = Keys(pilot)
        await keys.text("/mario")  # a search is active: the new contact is shown anyway (the search is cleared)
        await pilot.pause(0.15)
        await settle(pilot)
        await keys.press("enter")  # back to the list (not counted: part of the search)
        keys.count = 0
        await keys.press("plus")
        await keys.text("Giulia Verdi giulia@x.it 333 1234567 #lead @Form")
        preview = str(app.screen.query_one("#quick-add-preview", Static).render())
        assert "First name: Giulia · Last name: Verdi · Email: giulia@x.it · Phone: +39 333 123 4567" in preview
        assert "Tags: lead · Source: Form" in preview
        await keys.press("enter")
        table = app.screen.query_one(ContactTable)
        assert table.current is not None and table.current.display_name == "Giulia Verdi"
        assert "Giulia Verdi" in table_lines(app)[1 + table.cursor_row - round(table.scroll_y)]
        assert table.has_focus and not app.screen.query_one(QuickAddLine).display
        assert any("Created Giulia Verdi" in t for t in toasts(app))
    [cid] = store.find_contacts_by_email("giulia@x.it")
    row = store.contact_row(cid)
    assert (row.phone_e164, row.source, list(row.tags)) == ("+393331234567", "Form", ["lead"])
    assert keys.count == readme_counts()["Add a lead"]


async def test_the_quick_add_line_shows_errors_and_writes_nothing(store: Store, settings: Settings) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("plus", *"Giulia giulia@ 12", "enter")
        await settle(pilot)
        preview = str(app.screen.query_one("#quick-add-preview", Static).render())
        assert "✗ invalid email 'giulia@'" in preview and "✗ invalid phone '12'" in preview
        assert app.screen.query_one(QuickAddLine).display  # still open with the text, to fix it
        assert store.count_contacts() == 0
        await pilot.press("escape")
        await settle(pilot)
        assert not app.screen.query_one(QuickAddLine).display and app.screen.query_one(ContactTable).has_focus
    assert store.count_contacts() == 0


async def test_the_quick_add_line_warns_of_a_duplicate_then_creates_on_a_second_enter(
    store: Store, settings: Settings
) -> None:
    store.create_contact(first_name="Giulia", last_name="Verdi", phone="+39 333 123 4567")
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("plus", *"G. Verdi 3331234567", "enter")
        await settle(pilot)
        preview = str(app.screen.query_one("#quick-add-preview", Static).render())
        assert "Already in your contacts: Giulia Verdi (same phone)" in preview
        assert store.count_contacts() == 1
        await pilot.press("enter")
        await settle(pilot)
    assert store.count_contacts() == 2


async def test_ctrl_o_opens_the_full_form_filled_with_the_line(store: Store, settings: Settings) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("plus", *"Giulia Verdi #lead @Form", "ctrl+o")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ContactForm)
        assert form.query_one("#in-first_name", Input).value == "Giulia"
        assert form.query_one("#in-source", Input).value == "Form"
        assert form.query_one("#in-tags", Input).value == "lead"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert store.contact_row(1).display_name == "Giulia Verdi"


async def test_log_a_call_on_the_highlighted_contact(store: Store, settings: Settings, trio: dict[str, int]) -> None:
    store.create_opportunity(trio["luca"], "Percorso", "Vendite Coaching")  # "Attach to" is there, preset
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j")  # Luca Verdi (moving to the contact is not part of the task)
        keys = Keys(pilot)
        await keys.press("m")
        assert isinstance(app.screen, ActivityForm)
        await keys.text("Richiamare giovedì")
        await keys.press("ctrl+s")
    [message] = store.list_messages(contact_id=trio["luca"])
    assert (message.channel, message.direction, message.subject, message.opportunity_id) == (
        "call",
        "out",
        "Richiamare giovedì",
        None,
    )
    assert keys.count == readme_counts()["Log a call on the highlighted contact"]


async def test_add_a_note_to_the_highlighted_contact(store: Store, settings: Settings, trio: dict[str, int]) -> None:
    store.create_opportunity(trio["anna"], "Percorso", "Vendite Coaching")
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = Keys(pilot)
        await keys.press("N")
        await keys.text("Interessata al percorso")
        await keys.press("ctrl+s")
    [note] = [i for i in store.timeline(trio["anna"]) if i.kind == "note"]
    assert note.opportunity_id is None
    assert keys.count == readme_counts()["Add a note to the highlighted contact"]


@pytest.mark.parametrize("where", ["list", "detail"])
async def test_add_a_note_to_one_of_its_deals(
    store: Store, settings: Settings, trio: dict[str, int], where: str
) -> None:
    oid = store.create_opportunity(trio["anna"], "Percorso 3 mesi", "Vendite Coaching").id
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        if where == "detail":
            await pilot.press("enter")
            await settle(pilot)
        keys = Keys(pilot)
        await keys.press("O")
        form = app.screen
        assert isinstance(form, ActivityForm) and form.kind == "note" and form.target.opportunity_id == oid
        await keys.text("Proposta inviata")
        await keys.press("ctrl+s")
    [note] = [i for i in store.timeline(trio["anna"]) if i.kind == "note"]
    assert note.opportunity_id == oid
    assert keys.count == readme_counts()["Add a note to one of its deals"]


async def test_a_note_on_one_of_several_deals_picks_it_first(
    store: Store, settings: Settings, trio: dict[str, int]
) -> None:
    first = store.create_opportunity(trio["anna"], "Percorso 3 mesi", "Vendite Coaching").id
    store.create_opportunity(trio["anna"], "Workshop", "Vendite Coaching")
    won = store.create_opportunity(trio["anna"], "Abbonamento", "Vendite Coaching").id or 0
    store.set_status(won, "won")
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = Keys(pilot)
        await keys.press("O")
        picker = app.screen
        assert isinstance(picker, ChoicePicker)
        assert [label for label, _v in picker.options] == [
            "Percorso 3 mesi · Nuovo contatto",
            "Workshop · Nuovo contatto",
            "Abbonamento · Nuovo contatto (won)",  # closed deals last
        ]
        await keys.press("enter")  # the first, or type a few letters of another
        assert isinstance(app.screen, ActivityForm) and app.screen.target.opportunity_id == first
        await keys.text("Nota")
        await keys.press("ctrl+s")
    assert keys.count == 3
    no_deals = make_app(settings, store)
    toasts(no_deals)
    async with no_deals.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "O")  # Luca has no deal: said so, nothing opens
        await settle(pilot)
        assert isinstance(no_deals.screen, ContactsScreen)
        assert "No deals yet: o creates one" in toasts(no_deals)


async def complete_next_task(app: KoachifyApp, pilot: Pilot[None], *before: str) -> Keys:
    await settle(pilot)
    await pilot.press(*before)
    await settle(pilot)
    keys = Keys(pilot)
    await keys.press("ctrl+t")
    assert isinstance(app.screen, NextTaskDialog)
    await keys.press("x")
    return keys


@pytest.mark.parametrize("before", [(), ("2",), ("5",), ("n", *"Giul")])
async def test_complete_the_next_overdue_task_from_any_screen(
    store: Store, settings: Settings, trio: dict[str, int], before: tuple[str, ...]
) -> None:
    now = utcnow()
    oldest = store.add_task("Mandare il preventivo", contact_id=trio["mario"], due_at=now - timedelta(days=3)).id
    later = store.add_task("Richiamare", contact_id=trio["anna"], due_at=now - timedelta(days=1)).id
    store.add_task("Domani", contact_id=trio["anna"], due_at=now + timedelta(days=1))
    app = make_app(settings, store)
    toasts(app)
    async with app.run_test(size=(120, 40)) as pilot:
        keys = await complete_next_task(app, pilot, *before)
        assert not isinstance(app.screen, NextTaskDialog)
        if before[:1] == ("n",):  # back in the form, with what was typed
            assert isinstance(app.screen, ContactForm) and app.screen.query_one("#in-first_name", Input).value == "Giul"
        assert "Done: «Mandare il preventivo» (Mario Rossi) — ctrl+t then u reopens it" in toasts(app)
    assert store.get_activity("task", oldest or 0).done_at is not None
    assert store.get_activity("task", later or 0).done_at is None
    assert keys.count == readme_counts()["Complete the next overdue task, from any screen"]


async def test_the_next_task_dialog_names_the_task_and_undoes_it(
    store: Store, settings: Settings, trio: dict[str, int]
) -> None:
    now = utcnow()
    oid = store.create_opportunity(trio["mario"], "Percorso", "Vendite Coaching").id
    task = store.add_task("Mandare il preventivo", opportunity_id=oid, due_at=now - timedelta(days=3)).id or 0
    store.add_task("Richiamare", contact_id=trio["anna"], due_at=now - timedelta(days=1))
    app = make_app(settings, store)
    toasts(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        shown = str(app.screen.query_one("#next-task", Static).render())
        assert "«Mandare il preventivo»\nMario Rossi · Percorso\nDue " in shown
        assert "3 days ago · 1 of 2 overdue" in shown
        await pilot.press("x", "ctrl+t")
        await settle(pilot)
        assert "«Richiamare»" in str(app.screen.query_one("#next-task", Static).render())
        undo = str(app.screen.query_one("#next-task-undo", Static).render())
        assert "Last done here: «Mandare il preventivo» (Mario Rossi) — u reopens it" in undo
        await pilot.press("u")
        await settle(pilot)
        assert store.get_activity("task", task).done_at is None
        assert "Undone: «Mandare il preventivo» is open again" in toasts(app)
        assert "«Mandare il preventivo»" in str(app.screen.query_one("#next-task", Static).render())
        await pilot.press("u")  # nothing left to undo
        await settle(pilot)
        assert "Nothing to undo" in toasts(app)
        await pilot.press("enter")  # opens the task's contact
        await settle(pilot)
        assert isinstance(app.screen, ContactDetailScreen) and app.screen.contact_id == trio["mario"]


async def test_undo_keeps_a_completion_made_again_since(store: Store, settings: Settings, trio: dict[str, int]) -> None:
    task = store.add_task("T", contact_id=trio["anna"], due_at=utcnow() - timedelta(days=1)).id or 0
    app = make_app(settings, store)
    toasts(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await complete_next_task(app, pilot)
        store.complete_task(task, done=False)  # someone reopens it and completes it again
        store.complete_task(task)
        again = store.get_activity("task", task).done_at
        await pilot.press("ctrl+t", "u")
        await settle(pilot)
        assert "Not undone: «T» was completed again since" in toasts(app)
    assert store.get_activity("task", task).done_at == again


async def test_find_a_contact_by_phone(store: Store, settings: Settings, trio: dict[str, int]) -> None:
    wanted = store.create_contact(first_name="Giulia", last_name="Verdi", phone="+39 333 123 4567").id
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = Keys(pilot)
        await keys.press("slash")
        await keys.text("3331234")
        await pilot.pause(0.15)  # the search debounce
        await settle(pilot)
        await keys.press("enter")  # back on the list, on the one found: N, m, O… act on it
        table = app.screen.query_one(ContactTable)
        assert table.has_focus and table.current is not None and table.current.id == wanted
    assert keys.count == readme_counts()["Find a contact by phone"]


@pytest.mark.parametrize("key", ["shift+right", "w"])
async def test_move_or_win_a_deal_on_the_board(store: Store, settings: Settings, key: str) -> None:
    cid = store.create_contact(first_name="Mario").id
    oid = store.create_opportunity(cid, "Percorso", "Vendite Coaching").id or 0
    app = make_app(settings, store, start="board")
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        keys = Keys(pilot)
        await keys.press(key)
    row = store.opportunity_row(oid)
    assert (row.stage, row.status) == (
        ("Proposta inviata", "open") if key == "shift+right" else ("Nuovo contatto", "won")
    )
    assert keys.count == readme_counts()["Move a deal to the next stage, or win it (board)"]
