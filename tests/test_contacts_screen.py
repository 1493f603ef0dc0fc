"""Pilot tests of the contacts screen: every key, asserting on widgets and on the store."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, SelectionList, Static

from koachify_tui.app import KoachifyApp, make_app
from koachify_tui.config import Settings
from koachify_tui.screens.contact_detail import ContactDetailPane, ContactDetailScreen
from koachify_tui.screens.contact_forms import ActivityForm, ConfirmDialog, ContactForm, FilterForm, NameDialog
from koachify_tui.screens.contacts import ContactsScreen
from koachify_tui.store import ContactQuery, Store
from koachify_tui.widgets.contact_table import WINDOW, ContactTable
from koachify_tui.widgets.smart_lists import SmartListsSidebar

SIZE = (120, 40)


async def settle(pilot: Pilot[None], delay: float = 0.0) -> None:
    """Let timers fire, workers finish and their results paint."""
    await pilot.pause(delay)
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def app_for(store: Store, settings: Settings) -> KoachifyApp:
    return make_app(settings, store)


def names(app: KoachifyApp) -> list[str]:
    table = app.screen.query_one(ContactTable)
    return [table.get_row_at(i)[0].plain for i in range(table.row_count)]


@pytest.fixture
def people(store: Store) -> dict[str, int]:
    mario = store.create_contact(
        first_name="Mario", last_name="Rossi", phone="+39 333 123 4567", email="mario@example.it", tags=["vip"]
    )
    anna = store.create_contact(first_name="Anna", last_name="Bianchi", company="Yoga Città", source="Instagram")
    luca = store.create_contact(first_name="Luca", last_name="Verdi", tags=["lead"])
    return {"mario": mario.id or 0, "anna": anna.id or 0, "luca": luca.id or 0}


async def test_list_pages_and_counts(store: Store, settings: Settings) -> None:
    for i in range(WINDOW + 30):
        store.create_contact(first_name=f"P{i:04d}", email=f"p{i}@example.it")
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ContactTable)
        assert table.row_count == WINDOW  # one window, never everything
        assert str(table.border_title) == f"1 of {WINDOW + 30}"
        await pilot.press("j", "j", "down", "k")
        assert table.cursor_row == 2
        assert str(table.border_title) == f"3 of {WINDOW + 30}"
        await pilot.press("G")
        await settle(pilot)
        assert table.current is not None and table.current.first_name == f"P{WINDOW + 29:04d}"
        assert str(table.border_title) == f"{WINDOW + 30} of {WINDOW + 30}"
        assert table.row_count <= WINDOW
        await pilot.press("g")
        await settle(pilot)
        assert table.current is not None and table.current.first_name == "P0000"
        # walking off the end of the window loads the next page
        table.move_cursor(row=table.row_count - 1)
        await pilot.press("j")
        await settle(pilot)
        assert table.current is not None and table.current.first_name == f"P{WINDOW:04d}"


async def test_search_by_phone_in_another_format(store: Store, settings: Settings, people: dict[str, int]) -> None:
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"333 1234567")
        await settle(pilot, 0.15)
        assert names(app) == ["Mario Rossi"]
        await pilot.press("escape", "escape")  # leave the search box, then clear it
        await settle(pilot)
        assert app.screen.query_one("#contact-search", Input).value == ""
        assert len(names(app)) == 3
        await pilot.press("slash", *"yoga")
        await settle(pilot, 0.15)
        assert names(app) == ["Anna Bianchi"]
        await pilot.press("enter")  # back to the table
        assert app.screen.query_one(ContactTable).has_focus


async def test_new_contact_validates_inline_and_saves(store: Store, settings: Settings) -> None:
    store.define_field("contact", "Età", type="number")
    store.define_field("contact", "Obiettivo", type="select", options=["Peso", "Forza"])
    store.define_field("contact", "Privacy", type="boolean")
    store.define_field("contact", "Nascita", type="date")
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ContactForm)
        form.query_one("#in-first_name", Input).value = "Giulia"
        form.query_one("#in-email", Input).value = "giulia@@nowhere"
        form.query_one("#in-phone", Input).value = "12"
        form.query_one("#cf-eta", Input).value = "abc"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ContactForm)  # still open: nothing saved
        assert "invalid email" in str(form.query_one("#err-email", Static).content)
        assert "invalid phone" in str(form.query_one("#err-phone", Static).content)
        assert "not a number" in str(form.query_one("#err-cf-eta", Static).content)
        assert store.count_contacts() == 0
        form.query_one("#in-email", Input).value = "giulia@example.it"
        form.query_one("#in-phone", Input).value = "333 765 4321"
        form.query_one("#cf-eta", Input).value = "34"
        form.query_one("#cf-nascita", Input).value = "02/03/1990"
        form.query_one("#in-tags", Input).value = "vip, yoga"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ContactsScreen)
        [row] = store.list_contacts()
        assert (row.first_name, row.phone_e164, row.tags) == ("Giulia", "+393337654321", ("vip", "yoga"))
        assert store.field_values("contact", row.id) == {"eta": 34, "nascita": "1990-03-02", "privacy": False}
        assert names(app) == ["Giulia"]


async def test_escape_cancels_form_without_saving(store: Store, settings: Settings) -> None:
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#in-first_name", Input).value = "Nobody"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ContactsScreen)
        assert store.count_contacts() == 0


async def test_edit_and_tag(store: Store, settings: Settings, people: dict[str, int]) -> None:
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert names(app)[0] == "Anna Bianchi"
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ContactForm)
        assert app.screen.query_one("#in-company", Input).value == "Yoga Città"
        app.screen.query_one("#in-company", Input).value = "Pilates Roma"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.get_contact(people["anna"]).company == "Pilates Roma"
        assert app.screen.query_one(ContactTable).get_row_at(0)[3].plain == "Pilates Roma"

        await pilot.press("t")
        await pilot.pause()
        picker = app.screen
        picker.query_one("#in-new", Input).value = "corso, Estate"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.contact_tags(people["anna"]) == ["corso", "Estate"]
        # untag: untick "corso" in the picker
        await pilot.press("t")
        await pilot.pause()
        tags = app.screen.query_one("#in-tags", SelectionList)
        tags.deselect("corso")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.contact_tags(people["anna"]) == ["Estate"]


async def test_new_opportunity_key_opens_the_opportunity_form(
    store: Store, settings: Settings, people: dict[str, int]
) -> None:
    from koachify_tui.screens.opportunity_form import OpportunityForm

    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OpportunityForm)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ContactsScreen)


async def test_note_from_the_list(store: Store, settings: Settings, people: dict[str, int]) -> None:
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("N")
        await pilot.pause()
        assert isinstance(app.screen, ActivityForm)
        await pilot.press("ctrl+s")  # empty: refused inline
        await pilot.pause()
        assert isinstance(app.screen, ActivityForm)
        assert str(app.screen.query_one("#err-body", Static).content)
        await pilot.press(*"Chiamata ok")
        await pilot.press("ctrl+s")
        await settle(pilot)
        [item] = store.timeline(people["anna"], kinds=["note"])
        assert item.text == "Chiamata ok"


async def test_delete_confirm_undo_and_trash(store: Store, settings: Settings, people: dict[str, int]) -> None:
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # changed my mind
        await pilot.pause()
        assert store.count_contacts() == 3
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert store.count_contacts() == 2
        assert "Anna Bianchi" not in names(app)
        await pilot.press("u")
        await settle(pilot)
        assert store.count_contacts() == 3
        assert "Anna Bianchi" in names(app)

        await pilot.press("j", "d")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert store.count_contacts(ContactQuery(deleted=True)) == 1
        await pilot.press("D")  # the Trash
        await settle(pilot)
        assert names(app) == ["Luca Verdi"]
        assert app.screen.check_action("restore", ()) is True
        await pilot.press("R")
        await settle(pilot)
        assert store.count_contacts() == 3
        assert names(app) == []
        await pilot.press("D")
        await settle(pilot)
        assert len(names(app)) == 3


async def test_filter_save_smart_list_and_reopen(store: Store, settings: Settings, people: dict[str, int]) -> None:
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FilterForm)
        app.screen.query_one("#in-tags_any", Input).value = "vip, lead"
        app.screen.query_one("#in-tags_none", Input).value = "lead"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert names(app) == ["Mario Rossi"]
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, NameDialog)
        await pilot.press(*"VIP", "enter")
        await settle(pilot)
        [smart] = store.list_smart_lists()
        assert smart.name == "VIP"
        assert store.smart_list_query("VIP").tags_none == ["lead"]
        sidebar = app.screen.query_one(SmartListsSidebar)
        assert sidebar.display

        await pilot.press("escape")  # clears the filter
        await settle(pilot)
        assert len(names(app)) == 3
        # membership is not frozen: a new VIP shows up when the list is opened again
        store.create_contact(first_name="Zoe", last_name="Neri", tags=["VIP"])
        sidebar.focus()
        sidebar.highlighted = 1
        await pilot.press("enter")
        await settle(pilot)
        assert names(app) == ["Mario Rossi", "Zoe Neri"]
        await pilot.press("l")  # hide the sidebar
        assert not sidebar.display
        # saving under an existing name asks before replacing the filter
        await pilot.press("escape", "slash", *"zoe", "enter", "s")
        await pilot.pause()
        await pilot.press(*"vip", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert store.smart_list_query("VIP").search == "zoe"


async def test_sort_cycles(store: Store, settings: Settings) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i, name in enumerate(["Carla", "Bruno", "Aldo"]):
        store.create_contact(first_name=name, created_at=base + timedelta(days=i))
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert names(app) == ["Aldo", "Bruno", "Carla"]
        await pilot.press("r")  # created, newest first
        await settle(pilot)
        assert names(app) == ["Aldo", "Bruno", "Carla"]
        assert "created" in str(app.screen.query_one("#filter-line", Static).content)
        store.add_note("hi", contact_id=store.list_contacts(ContactQuery(search="Carla"))[0].id)
        await pilot.press("r")  # last activity
        await settle(pilot)
        assert names(app)[0] == "Carla"


async def test_enter_opens_detail_with_merged_timeline(
    store: Store, settings: Settings, people: dict[str, int]
) -> None:
    opp = store.create_opportunity(people["anna"], "Percorso 10 sessioni", "Vendite Coaching", value_minor=150000)
    store.add_note("Nota sul percorso", opportunity_id=opp.id)
    store.add_note("Nota sul contatto", contact_id=people["anna"])
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ContactDetailScreen)
        pane = app.screen.query_one(ContactDetailPane)
        timeline = pane.query_one("#timeline")
        rows = [[c.plain for c in timeline.get_row_at(i)] for i in range(timeline.row_count)]
        assert ["note", "Percorso 10 sessioni", "Nota sul percorso"] in [r[1:] for r in rows]
        assert ["note", "", "Nota sul contatto"] in [r[1:] for r in rows]
        opps = pane.query_one("#detail-opps")
        assert opps.get_row_at(0)[3].plain == "1.500,00\xa0€"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ContactsScreen)


async def test_detail_keys_task_complete_filters(store: Store, settings: Settings, people: dict[str, int]) -> None:
    opp = store.create_opportunity(people["anna"], "Corso", "Vendite Coaching")
    store.add_task("Richiamare", contact_id=people["anna"], due_at=datetime(2020, 1, 1, tzinfo=UTC))
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        pane = app.screen.query_one(ContactDetailPane)
        timeline = pane.query_one("#timeline")
        kinds = [timeline.get_row_at(i)[1].plain for i in range(timeline.row_count)]
        assert "overdue" in kinds  # the old task is highlighted as overdue

        await pilot.press("T")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ActivityForm)
        form.query_one("#in-title", Input).value = "Inviare proposta"
        form.query_one("#in-due", Input).value = "31/12/2099"
        form.query_one("#in-attach").value = opp.id
        await pilot.press("ctrl+s")
        await settle(pilot)
        [task] = store.list_tasks(opportunity_id=opp.id)
        assert task.title == "Inviare proposta" and task.due_at is not None and task.due_at.year == 2099

        await pilot.press("f", "f")  # kinds: notes → tasks
        await settle(pilot)
        assert pane.kinds == "tasks"
        items = pane.query_one("#timeline").items
        assert {i.kind for i in items} == {"task"}
        pane.query_one("#timeline").move_cursor(row=[i.text for i in items].index("Richiamare"))
        await pilot.press("x")
        await settle(pilot)
        assert store.list_tasks(contact_id=people["anna"], open_only=True) == [task]
        await pilot.press("p")  # only the deal
        await settle(pilot)
        assert pane.opportunity_id == opp.id
        assert [i.text for i in pane.query_one("#timeline").items] == ["Inviare proposta"]

        for key, kind in (("a", "appointment"), ("m", "message")):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, ActivityForm) and app.screen.kind == kind
            await pilot.press("escape")
            await pilot.pause()

        await pilot.press("e")  # the timeline is focused: `e` edits its highlighted task (issue 15)
        await pilot.pause()
        assert isinstance(app.screen, ActivityForm) and app.screen.item_id == task.id
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("E")  # the contact itself, whatever the timeline shows
        await pilot.pause()
        assert isinstance(app.screen, ContactForm)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "TagPicker"


async def test_split_pane_on_wide_terminal(store: Store, settings: Settings, people: dict[str, int]) -> None:
    store.add_note("Primo incontro", contact_id=people["mario"])
    app = app_for(store, settings)
    async with app.run_test(size=(180, 45)) as pilot:
        await settle(pilot, 0.15)
        pane = app.screen.query_one(ContactDetailPane)
        assert pane.display and pane.data is not None and pane.data.row.id == people["anna"]
        await pilot.press("j", "j")  # Luca, then Mario
        await settle(pilot, 0.15)
        assert pane.data.row.id == people["mario"]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ContactsScreen)  # no new screen: focus moves into the pane
        assert pane.query_one("#timeline").has_focus
        await pilot.press("N")
        await pilot.pause()
        await pilot.press(*"dal pannello", "ctrl+s")
        await settle(pilot)
        assert [i.text for i in store.timeline(people["mario"], kinds=["note"])] == ["dal pannello", "Primo incontro"]


MARKUP_NAMES = ["[bold red]Mario[/]", "[link=x]y", "Rossi [/", "[@click=app.quit]x"]


async def test_user_data_never_markup_in_list_detail_and_forms(store: Store, settings: Settings) -> None:
    for name in MARKUP_NAMES:
        c = store.create_contact(first_name=name, last_name="\x1b[2J", company="[b]Co", tags=["[red]t"])
        store.add_note(f"note {name}", contact_id=c.id)
    app = app_for(store, settings)
    async with app.run_test(size=(180, 45)) as pilot:
        await settle(pilot, 0.15)
        shown = {n.replace(" [2J", "").strip() for n in names(app)}
        assert set(MARKUP_NAMES) <= {n.strip() for n in shown}
        pane = app.screen.query_one(ContactDetailPane)
        header = pane.query_one("#detail-header", Static).content
        assert pane.data is not None and pane.data.row.first_name in str(header)
        assert "[red]t" in str(header)
        for _ in MARKUP_NAMES:
            await pilot.press("j")
            await settle(pilot, 0.15)
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.query_one("#in-company", Input).value == "[b]Co"
        await pilot.press("escape")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")  # the toast names the contact: literally
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert store.count_contacts() == len(MARKUP_NAMES)
        assert app.is_running


async def test_keys_are_documented_in_help_and_palette(
    store: Store, settings: Settings, people: dict[str, int]
) -> None:
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        from koachify_tui.screens.contact_detail import ContactDetailScreen as Detail
        from koachify_tui.screens.contact_forms import FormScreen

        own = [ContactsScreen, ContactTable, SmartListsSidebar, ContactDetailPane, Detail, FormScreen, ConfirmDialog]
        bindings = [b for cls in own for b in cls.BINDINGS]
        assert all(b.id and b.description and b.tooltip for b in bindings)  # type: ignore[union-attr]
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Search", "New", "Delete", "Save list", "Filter", "Lists", "Sort"} <= titles


async def test_timeline_loads_lazily_and_deal_opens(store: Store, settings: Settings) -> None:
    from koachify_tui.screens.opportunity_detail import OpportunityDetail
    from koachify_tui.widgets.timeline import PAGE

    c = store.create_contact(first_name="Busy")
    assert c.id is not None
    opp = store.create_opportunity(c.id, "Deal", "Vendite Coaching")
    base = datetime(2025, 1, 1, tzinfo=UTC)
    with store.write():
        for i in range(PAGE + 20):
            store.add_note(f"n{i}", contact_id=c.id, at=base + timedelta(hours=i))
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        timeline = app.screen.query_one("#timeline")
        assert timeline.row_count == PAGE  # one page, not everything
        timeline.move_cursor(row=PAGE - 1)
        await settle(pilot)
        assert timeline.row_count == PAGE + 20 + 1  # the rest (and the deal's "created" entry)
        assert timeline.get_row_at(1)[3].plain == f"n{PAGE + 19}"  # newest first, after the deal created today
        app.screen.query_one("#detail-opps").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OpportunityDetail) and app.screen.opportunity_id == opp.id


async def test_select_contact_jumps_to_its_page(store: Store, settings: Settings) -> None:
    for i in range(WINDOW * 2):
        store.create_contact(first_name=f"N{i:04d}")
    target = store.list_contacts(limit=1, offset=WINDOW + 10)[0]
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.select_contact(target.id)
        await settle(pilot)
        assert isinstance(app.screen, ContactDetailScreen) and app.screen.contact_id == target.id
        await pilot.press("escape")
        await settle(pilot)
        table = app.screen.query_one(ContactTable)
        assert table.current is not None and table.current.id == target.id
        assert str(table.border_title) == f"{WINDOW + 11} of {WINDOW * 2}"


async def test_filter_by_open_deal_stage_source_and_created_period(
    store: Store, settings: Settings, people: dict[str, int]
) -> None:
    pipeline = store.list_pipelines()[0]
    second = pipeline.stages[1]
    store.create_opportunity(people["luca"], "Corso", pipeline.id, stage=second.id)
    won = store.create_opportunity(people["mario"], "Vinto", pipeline.id)
    store.set_status(won.id, "won")
    old = store.create_contact(first_name="Vecchio", created_at=datetime(2020, 5, 1, tzinfo=UTC))
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        async def apply(**values: str) -> list[str]:
            await pilot.press("escape", "f")
            await pilot.pause()
            form = app.screen
            for key, value in values.items():
                form.query_one(f"#in-{key}").value = value
            await pilot.press("ctrl+s")
            await settle(pilot)
            return names(app)

        assert await apply(stage=f"p{pipeline.id}") == ["Luca Verdi"]  # won deals are not open
        assert await apply(stage=f"s{pipeline.id}:{second.id}") == ["Luca Verdi"]
        assert await apply(stage=f"s{pipeline.id}:{pipeline.stages[0].id}") == []
        assert await apply(source="instagram") == ["Anna Bianchi"]
        assert await apply(before="01/01/2021") == ["Vecchio"]
        assert await apply(after="2021-01-01") == ["Anna Bianchi", "Luca Verdi", "Mario Rossi"]
        assert old.id is not None
        await pilot.press("escape", "f")
        await pilot.pause()
        app.screen.query_one("#in-after").value = "31/02/2021"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FilterForm)  # an impossible date is refused inline
        assert "invalid date" in str(app.screen.query_one("#err-after", Static).content)


async def test_import_key_opens_the_import_dialog(store: Store, settings: Settings) -> None:
    from koachify_tui.screens.import_csv import ImportCsvScreen

    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ImportCsvScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ContactsScreen)


async def test_show_contact_from_another_screen(store: Store, settings: Settings) -> None:
    for i in range(WINDOW + 20):
        store.create_contact(first_name=f"S{i:04d}")
    target = store.list_contacts(limit=1, offset=WINDOW + 5)[0]
    app = app_for(store, settings)
    async with app.run_test(size=(180, 45)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # another screen
        await pilot.pause(0.2)
        app.show_contact(target.id)
        await settle(pilot, 0.2)
        assert isinstance(app.screen, ContactsScreen)
        table = app.screen.query_one(ContactTable)
        assert table.current is not None and table.current.id == target.id


async def test_table_draws_user_data_literally_clicks_and_pages(store: Store, settings: Settings) -> None:
    from rich.cells import cell_len

    store.create_contact(first_name="[@click=app.quit]x", last_name="[/")
    store.create_contact(first_name="A名前", last_name="[b]Mario[/]")  # wide characters
    for i in range(WINDOW + 30):
        store.create_contact(first_name=f"P{i:04d}")
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ContactTable)
        visible = table.scrollable_content_region.height - 1  # - the header line
        drawn = ["".join(s.text for s in table.render_line(y)) for y in range(1, visible + 1)]
        assert drawn[0].startswith(" [@click=app.quit]x [/ ")
        assert drawn[1].startswith(" A名前 [b]Mario[/] ")
        assert {cell_len(line) for line in drawn} == {table.scrollable_content_region.width}
        # a click moves the cursor (row 1 is below the border and the header); a click on it opens it
        await pilot.click(ContactTable, offset=(4, 3))
        assert table.cursor_row == 1
        await pilot.click(ContactTable, offset=(4, 3))
        await pilot.pause()
        assert isinstance(app.screen, ContactDetailScreen) and table.current is not None
        assert app.screen.contact_id == table.current.id
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("pagedown")
        assert table.cursor_row == 1 + visible
        assert str(table.border_title) == f"{2 + visible} of {WINDOW + 32}"
        await pilot.press("pageup", "pageup")
        assert table.cursor_row == 0


async def test_table_has_no_scrollbars_yet_scrolls_pages_and_restyles(store: Store, settings: Settings) -> None:
    """The list draws no scrollbar (one appearing or going with a page laid the whole screen out): the header
    marks columns off screen with ◂ ▸, ←/→ and the wheel still scroll, and the wheel pages on past the window."""
    from textual import events

    for i in range(WINDOW + 30):
        store.create_contact(
            first_name=f"P{i:04d}",
            email=f"someone.long{i}@example-company.it",
            company="Palestra Grande Srl",
            tags=["cliente-premium", "workshop"],
            source="Facebook Lead Ads",
        )
    app = app_for(store, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ContactTable)
        assert not table.show_vertical_scrollbar and not table.show_horizontal_scrollbar
        header = "".join(s.text for s in table.render_line(0))
        assert header.endswith("▸") and not header.startswith("◂")
        await pilot.press("right")  # a column at a time
        assert table.scroll_x == table._column_starts()[1]
        await pilot.press("right", "left")
        assert table.scroll_x == table._column_starts()[1]
        table.scroll_to(x=table.max_scroll_x, animate=False)
        await pilot.pause()
        header = "".join(s.text for s in table.render_line(0))
        assert header.startswith("◂") and not header.endswith("▸")
        wheel = events.MouseScrollDown(table, 4, 5, 0, 1, 0, False, False, False)
        table.post_message(wheel)  # the wheel scrolls the window…
        await pilot.pause()
        assert table.scroll_y > 0 and table.window_start == 0
        table.scroll_to(y=table.max_scroll_y, animate=False)
        await pilot.pause()
        table.post_message(events.MouseScrollDown(table, 4, 5, 0, 1, 0, False, False, False))
        await settle(pilot)  # …and at its end the next page comes
        assert table.window_start > 0 and not table.show_vertical_scrollbar
        # the cursor's style follows the focus (the styles are cached until they change)
        focused = table.render_line(1 + table.cursor_row - round(table.scroll_y)).crop(1, 2)
        await pilot.press("slash")
        await pilot.pause()
        blurred = table.render_line(1 + table.cursor_row - round(table.scroll_y)).crop(1, 2)
        assert [s.style for s in focused] != [s.style for s in blurred]


async def test_the_count_runs_after_its_page_has_painted(
    store: Store, settings: Settings, people: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The capped count of a search starts once the page's lines are drawn: run beside the paint, its SQLite
    work made the paint a third slower on 2 cores."""
    events: list[str] = []
    show, render, count = ContactTable.show_page, ContactTable.render_lines, Store.count_contacts_capped

    def shown(self: ContactTable, *args: Any, **kwargs: Any) -> None:
        events.append("page")
        show(self, *args, **kwargs)

    def drawn(self: ContactTable, crop: Any) -> Any:
        if events and events[-1] == "page":
            time.sleep(0.05)  # a slow paint: a count started beside it would come first
            events.append("painted")
        return render(self, crop)

    def counted(self: Store, *args: Any, **kwargs: Any) -> tuple[int, bool]:
        events.append("count")
        return count(self, *args, **kwargs)

    monkeypatch.setattr(ContactTable, "show_page", shown)
    monkeypatch.setattr(ContactTable, "render_lines", drawn)
    monkeypatch.setattr(Store, "count_contacts_capped", counted)
    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        events.clear()
        await pilot.press("slash", "r", "o")
        await settle(pilot, 0.2)
        assert events[-3:] == ["page", "painted", "count"]
        assert str(app.screen.query_one(ContactTable).border_title) == "1 of 1"


async def test_keys_typed_right_after_slash_go_into_the_search(
    store: Store, settings: Settings, people: dict[str, int]
) -> None:
    """A terminal delivers "/mar" typed fast (or pasted) as keys queued together: they must land in the search
    box, not on the list's own keys (`m` logs a call, `a` adds an appointment)."""
    from textual import events

    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, char in (("slash", "/"), ("m", "m"), ("a", "a"), ("r", "r")):
            app.post_message(events.Key(key, char))  # queued at once, as a fast typist's keys arrive
        await settle(pilot, 0.2)
        assert isinstance(app.screen, ContactsScreen)  # no form opened
        search = app.screen.query_one("#contact-search", Input)
        assert search.value == "mar"
        assert names(app) == ["Mario Rossi"]
        for key, char in (("slash", "/"), ("plus", "+")):  # in a box, the same keys are typed into it
            app.post_message(events.Key(key, char))
        await pilot.pause()
        assert search.value == "mar/+"
        await pilot.press("escape")
        for key, char in (("plus", "+"), ("G", "G"), ("i", "i")):  # the quick add line, typed at once
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert isinstance(app.screen, ContactsScreen)
        assert app.screen.query_one("#quick-add-input", Input).value == "Gi"


async def test_a_refresh_in_flight_never_moves_the_cursor_back(
    store: Store, settings: Settings, people: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reload that keeps the cursor (another window's save, an undo's echo) is read in a worker; `j` pressed
    meanwhile must win, or `d` right after deletes the contact the cursor was taken back to."""
    import threading

    release = threading.Event()
    read = ContactsScreen._read_page

    def slow(store_: Store, query: ContactQuery, start: int, total: int | None) -> Any:
        assert release.wait(10)
        return read(store_, query, start, total)

    app = app_for(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ContactsScreen)
        monkeypatch.setattr(ContactsScreen, "_read_page", staticmethod(slow))
        screen.reload()  # as the store's echo of a change does
        await pilot.press("j")
        release.set()
        await settle(pilot, 0.1)
        table = screen.query_one(ContactTable)
        assert table.cursor_row == 1 and table.current is not None
        assert table.current.display_name == names(app)[1]
