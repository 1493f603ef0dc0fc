"""Issue 15, daily use: what a coach trips over in the first hour (layouts, keys acting on what is visible)."""

from __future__ import annotations

import time

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from koachify_tui.app import KoachifyApp, make_app
from koachify_tui.config import Settings
from koachify_tui.screens import contacts as contacts_module
from koachify_tui.screens.contact_detail import ContactDetailScreen
from koachify_tui.screens.contact_forms import ContactForm
from koachify_tui.screens.contacts import UNDO_WINDOW, ContactsScreen
from koachify_tui.store import Store
from koachify_tui.widgets.contact_table import ContactTable
from koachify_tui.widgets.smart_lists import SmartListsSidebar


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def table_lines(app: KoachifyApp) -> list[str]:
    """The contact table's lines as drawn inside its viewport (cropped where the screen cuts them)."""
    table = app.screen.query_one(ContactTable)
    region = table.content_region.intersection(app.screen.region)
    return [table.render_line(y).text[: region.width] for y in range(region.height)]


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
@pytest.mark.parametrize("lists", [False, True])
async def test_phone_never_cut_and_empty_columns_take_no_width(
    store: Store, settings: Settings, size: tuple[int, int], lists: bool
) -> None:
    store.create_contact(
        first_name="Alessandro",
        last_name="Barbieri",
        phone="+39 347 435 4022",
        email="alessandro.barbieri@gmail.com",
        tags=["lead"],
    )
    store.create_contact(first_name="Amelia", last_name="Davies", phone="+44 7700 900123")
    app = make_app(settings, store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ContactsScreen)
        if lists:
            await pilot.press("l")
            await settle(pilot)
            assert app.screen.query_one(SmartListsSidebar).display
        lines = table_lines(app)
        header = lines[0]
        assert "Phone" in header and "Company" not in header  # nobody has a company: no column for it
        assert "+39 347 435 4022" in lines[1]
        assert "+44 7700 900123" in lines[2]


def test_column_layout_gives_width_to_data() -> None:
    from koachify_tui.widgets.contact_table import column_layout

    cols = ContactTable.COLUMNS
    keys = [key for _label, key, _w, _n in cols]
    content = [19, 16, 29, 0, 0, 0, 0, 0]  # name, phone, email; no company, tags…
    wide = dict(column_layout(cols, content, 150, ContactTable.SHRINK_ORDER, ContactTable.ALWAYS))
    assert [keys[i] for i in wide] == ["name", "phone", "email"] and wide[1] == 16
    content[3] = 7  # one short company: the column is as wide as its label
    wide = dict(column_layout(cols, content, 150, ContactTable.SHRINK_ORDER, ContactTable.ALWAYS))
    assert wide[3] == len("Company")
    narrow = dict(
        column_layout(cols, [28, 16, 32, 24, 20, 10, 1, 13], 40, ContactTable.SHRINK_ORDER, ContactTable.ALWAYS)
    )
    assert narrow[1] == 16 and narrow[0] + narrow[1] + 4 <= 40  # the name gives way to the phone


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


@pytest.fixture
def trio(store: Store) -> dict[str, int]:
    ids = {}
    for first, last in (("Anna", "Bianchi"), ("Luca", "Verdi"), ("Mario", "Rossi")):
        ids[first.lower()] = store.create_contact(first_name=first, last_name=last).id or 0
    return ids


async def test_escape_keeps_the_filter_then_clears_it_on_the_same_contact(
    store: Store, settings: Settings, trio: dict[str, int]
) -> None:
    app = make_app(settings, store)
    toasts(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ContactsScreen)
        table = screen.query_one(ContactTable)
        await pilot.press("slash", *"mario")
        await settle(pilot)
        await pilot.pause(0.15)  # the search debounce
        await settle(pilot)
        assert table.current is not None and table.current.id == trio["mario"] and table.row_count == 1
        await pilot.press("escape")  # leaves the search box; the filter stays
        await settle(pilot)
        assert screen.focused is table
        assert screen.query_one("#contact-search", Input).value == "mario" and table.row_count == 1
        await pilot.press("escape")  # clears it, visibly, and stays on Mario
        await settle(pilot)
        assert screen.query_one("#contact-search", Input).value == "" and table.row_count == 3
        assert table.current is not None and table.current.id == trio["mario"]
        assert any("still on Mario Rossi" in t for t in toasts(app))
        assert "Mario Rossi" in table_lines(app)[1 + table.cursor_row]
        await pilot.press("enter")  # opens the same person
        await pilot.pause()
        assert isinstance(app.screen, ContactDetailScreen) and app.screen.contact_id == trio["mario"]


async def test_undo_only_a_recent_delete_and_say_what(
    store: Store, settings: Settings, trio: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(settings, store)
    toasts(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert store.count_contacts() == 2
        await pilot.press("u")
        await settle(pilot)
        assert store.count_contacts() == 3
        assert "Undone: restored Anna Bianchi" in toasts(app)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        later = time.monotonic() + UNDO_WINDOW + 1
        monkeypatch.setattr(contacts_module, "undo_clock", lambda: later)
        await pilot.press("u")  # minutes later: `u` does not bring back something out of view
        await settle(pilot)
        assert store.count_contacts() == 2
        assert any("restore Anna Bianchi from the Trash" in t for t in toasts(app))


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Keys arriving in one batch, as from a fast typist or a text expander: all queued before any is handled
    (Pilot.press waits for the app to go idle after each key, which hides ordering bugs)."""
    from textual import events

    driver = pilot.app._driver
    assert driver is not None
    for key in keys:
        driver.send_message(events.Key(key, key if len(key) == 1 else None))
    await pilot.pause()
    await pilot.pause()


async def test_text_typed_right_after_tab_lands_in_the_next_field(store: Store, settings: Settings) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ContactForm)
        await burst(pilot, *"Giulia", "tab", *"Verdi", "tab", *"g@x.it")
        form = app.screen
        assert form.query_one("#in-first_name", Input).value == "Giulia"
        assert form.query_one("#in-last_name", Input).value == "Verdi"
        await burst(pilot, "shift+tab", "end", "ctrl+u", *"Biancx", "backspace", *"hi")  # back a field
        assert form.query_one("#in-last_name", Input).value == "Bianchi"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert [c.display_name for c in store.list_contacts()] == ["Giulia Bianchi"]


async def test_end_ctrl_u_value_burst_saves_the_value(store: Store, settings: Settings) -> None:
    from koachify_tui.screens.opportunity_form import OpportunityForm

    cid = store.create_contact(first_name="Mario", last_name="Rossi").id or 0
    oid = store.create_opportunity(cid, "Percorso", "Vendite Coaching", value_minor=900_00).id or 0
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(OpportunityForm(store, opportunity_id=oid))
        await pilot.pause()
        app.screen.query_one("#opp-stage").focus()
        await pilot.pause()
        await burst(pilot, "tab", "end", "ctrl+u", *"1500")
        assert app.screen.query_one("#opp-value", Input).value == "1500"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert store.opportunity_row(oid).value_minor == 1500_00


async def test_new_contact_is_highlighted_and_shown_with_a_search_active(
    store: Store, settings: Settings, trio: dict[str, int]
) -> None:
    app = make_app(settings, store)
    toasts(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one(ContactTable)
        await pilot.press("slash", *"mario")
        await pilot.pause(0.15)
        await settle(pilot)
        await pilot.press("enter")  # back to the list, the search active
        assert table.row_count == 1
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Giulia", "tab", *"Verdi", "ctrl+s")
        await settle(pilot)
        assert screen.query_one("#contact-search", Input).value == ""  # relaxed, and said so
        assert any("Created Giulia Verdi: search and filters cleared" in t for t in toasts(app))
        assert table.current is not None and table.current.display_name == "Giulia Verdi"
        assert "Giulia Verdi" in table_lines(app)[1 + table.cursor_row - round(table.scroll_y)]
        await pilot.press("n")  # without a search: highlighted where it sorts
        await pilot.pause()
        await pilot.press(*"Bea", "ctrl+s")
        await settle(pilot)
        assert table.current is not None and table.current.display_name == "Bea"
        assert "Created Bea" in toasts(app)


@pytest.mark.parametrize(("key", "kind"), [("N", "note"), ("m", "message"), ("T", "task"), ("a", "appointment")])
async def test_list_keys_add_to_the_highlighted_contact(
    store: Store, settings: Settings, trio: dict[str, int], key: str, kind: str
) -> None:
    from koachify_tui.screens.contact_forms import ActivityForm

    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j")  # Luca Verdi
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, ActivityForm) and app.screen.kind == kind
        assert app.screen.target.contact_id == trio["luca"]


async def test_automations_speak_in_names_words_and_local_times(store: Store, settings: Settings) -> None:
    from textual.widgets import DataTable, Static

    from koachify_tui.formatting import datetime_short
    from koachify_tui.screens.automations import AutomationsScreen

    cid = store.create_contact(first_name="Anna", last_name="Bianchi").id or 0
    oid = store.create_opportunity(cid, "Deal", "Vendite Coaching").id or 0
    app = make_app(settings, store)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        store.set_status(oid, "won")  # the seed rule tags the contact
        await pilot.press("3")
        await pilot.pause(0.3)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AutomationsScreen)
        rules = screen.query_one("#rules-table", DataTable)
        row = [str(c) for c in rules.get_row_at(0)]
        assert row[4] == "Add tag «Cliente attivo» to the contact"
        [rule] = store.list_rules()  # Last run: local zone, the app locale
        assert rule.last_run_at is not None and row[6] == datetime_short(rule.last_run_at, "it_IT")
        runs = screen.query_one("#runs-table", DataTable)
        assert str(runs.get_row_at(0)[2]) == "Anna Bianchi"  # a name, not an id
        assert str(runs.get_row_at(0)[0]) == datetime_short(store.list_runs(limit=1)[0].at, "it_IT")
        # nothing of the rules table is cut: it fits the screen
        assert rules.virtual_size.width <= rules.scrollable_content_region.width
        detail = str(screen.query_one("#rule-detail", Static).render())
        assert "Last run: " + row[6] in detail  # in full below the table, for narrow terminals


async def test_enter_on_the_timeline_opens_the_line_in_full_or_the_deal(store: Store, settings: Settings) -> None:
    from textual.widgets import Static

    from koachify_tui.screens.opportunity_detail import OpportunityDetail
    from koachify_tui.screens.timeline_item import TimelineItemScreen
    from koachify_tui.widgets.timeline import TimelineView

    cid = store.create_contact(first_name="Mario", last_name="Rossi").id or 0
    oid = store.create_opportunity(cid, "Percorso", "Vendite Coaching").id or 0
    long_note = "Firmato il contratto, inizio a gennaio con sessioni settimanali " * 3 + "[b]fine[/b]"
    store.add_note(long_note.strip(), opportunity_id=oid)
    app = make_app(settings, store)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the contact, on its own screen
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, ContactDetailScreen)
        timeline = detail.query_one(TimelineView)
        timeline.focus()
        kinds = [i.kind for i in timeline.items]
        timeline.move_cursor(row=kinds.index("note"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TimelineItemScreen)
        shown = str(app.screen.query_one("#item-text", Static).render())
        assert long_note.strip() in shown  # in full, the user text literally (not markup)
        await pilot.press("o")  # its deal
        await pilot.pause()
        assert isinstance(app.screen, OpportunityDetail) and app.screen.opportunity_id == oid
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is detail
        timeline.move_cursor(row=[i.kind for i in timeline.items].index("created"))
        await pilot.press("enter")  # the deal's own history opens the deal
        await pilot.pause()
        assert isinstance(app.screen, OpportunityDetail) and app.screen.opportunity_id == oid
